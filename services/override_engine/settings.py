"""Override-engine configuration (`NAVARCH_OVERRIDE_*`), defaults as documented in the README."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OverrideEngineSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NAVARCH_OVERRIDE_", extra="ignore")

    field_manager: str = Field(default="navarch", description="server-side apply field manager")
    hub_workers: int = Field(default=8, ge=1, description="concurrent binding reconciles")
    member_workers: int = Field(
        default=8, ge=1, description="concurrent reconciles per member cluster"
    )
    request_timeout_s: float = Field(default=5.0, gt=0, description="one member request's timeout")
    member_max_backoff_s: float = Field(
        default=5.0, gt=0, description="longest retry delay for a failing member"
    )
    status_delay_s: float = Field(
        default=0.1, ge=0, description="status changes coalesced for this long before a write"
    )
    status_interval_s: float = Field(
        default=0.5,
        ge=0,
        description="shortest time between two status writes of one binding while it changes",
    )
    watch_timeout_s: int = Field(
        default=300, ge=1, description="server timeout of one member watch request"
    )
    watch_retry_s: float = Field(default=0.5, gt=0, description="delay before re-watching")
