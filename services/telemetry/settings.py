"""Telemetry configuration (`NAVARCH_TELEMETRY_*`), defaults as documented in the README."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TelemetrySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NAVARCH_TELEMETRY_", extra="ignore")

    member_timeout_s: float = Field(
        default=0.8,
        gt=0,
        description="one member's deadline in a kubectl top / aggregated API answer; a member "
        "slower than this is left out with a warning",
    )
    collect_period_s: float = Field(
        default=15.0, gt=0, description="how often the fleet endpoint's figures are collected"
    )
    collect_timeout_s: float = Field(
        default=10.0, gt=0, description="one member's deadline in one collection"
    )
    request_timeout_s: float = Field(
        default=10.0, gt=0, description="the member client's timeout for any other request"
    )
