"""Scaler configuration (`NAVARCH_SCALER_*`), defaults as documented in the README."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ScalerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NAVARCH_SCALER_", extra="ignore")

    sync_period_s: float = Field(
        default=15.0,
        gt=0,
        description="how often every HPA is evaluated (kube-controller-manager's "
        "--horizontal-pod-autoscaler-sync-period)",
    )
    metrics_timeout_s: float = Field(
        default=5.0, gt=0, description="how long one metrics query to telemetry may take"
    )
    request_timeout_s: float = Field(default=5.0, gt=0, description="one member request")
    hub_hpa_grace_s: float = Field(
        default=5.0,
        ge=0,
        description="how long a new hub HPA waits before the scaler treats it as hub-only, "
        "so a PropagationPolicy applied with it is seen first",
    )
    workers: int = Field(default=4, ge=1, description="HPAs evaluated at once")
    tolerance: float = Field(default=0.1, ge=0, description="--horizontal-pod-autoscaler-tolerance")
    downscale_stabilization_s: float = Field(
        default=300.0,
        ge=0,
        description="--horizontal-pod-autoscaler-downscale-stabilization",
    )
