"""Fleet-manager configuration (`NAVARCH_FLEET_*`), defaults as documented in the README."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class FleetManagerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NAVARCH_FLEET_", extra="ignore")

    probe_period_s: float = Field(default=2.0, gt=0, description="health probe period")
    failure_threshold: int = Field(default=3, ge=1, description="failed probes before NotReady")
    probe_timeout_s: float = Field(default=1.5, gt=0, description="one probe's timeout")
    request_timeout_s: float = Field(default=5.0, gt=0, description="member request timeout")
    workers: int = Field(default=8, ge=1, description="concurrent reconciles")
    unhealthy_threshold: float = Field(
        default=0.55,
        gt=0,
        le=1,
        description="share of unhealthy clusters that pauses evictions "
        "(Kubernetes --unhealthy-zone-threshold)",
    )
    disruption_min_clusters: int = Field(
        default=3,
        ge=1,
        description="unhealthy clusters needed before the threshold applies "
        "(Kubernetes: more than 2 not-ready nodes)",
    )
