"""Gateway configuration (`NAVARCH_GATEWAY_*`)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NAVARCH_GATEWAY_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="address the HTTPS API binds")
    port: int = Field(default=6443, ge=0, le=65535, description="HTTPS API port")
    advertise_host: str = Field(default="127.0.0.1", description="host written to the kubeconfig")
    compact_interval_s: float = Field(
        default=600.0, gt=0, description="tombstone compaction period"
    )
    compact_keep_revisions: int = Field(
        default=100_000, ge=1000, description="revisions a watch can still resume from"
    )
