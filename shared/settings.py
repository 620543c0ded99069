"""Configuration shared by every process, from `NAVARCH_*` environment variables and flags."""

import json
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

NATS_CONNECTION_FILE = "nats.json"


class NavarchSettings(BaseSettings):
    """Every default is documented here and in the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="NAVARCH_", extra="ignore")

    home: Path = Field(default=Path(".navarch"), description="State directory of this hub")
    nats_url: str | None = Field(
        default=None,
        description="Use this NATS instead of the embedded one (credentials in the URL)",
    )
    bucket: str = Field(default="navarch", description="JetStream KV bucket holding the objects")
    kv_history: int = Field(default=8, ge=1, le=64, description="Revisions kept per key")
    kv_replicas: int = Field(default=1, ge=1, le=5, description="JetStream replicas of the bucket")
    log_level: str = Field(default="INFO", description="Python log level name")
    http_host: str = Field(
        default="127.0.0.1", description="Where /healthz, /readyz, /metrics bind"
    )
    http_port: int = Field(default=0, ge=0, le=65535, description="0 picks a free port")
    shutdown_timeout_s: float = Field(default=10.0, gt=0, description="Drain time on SIGTERM")

    def resolved_nats_url(self) -> str:
        """The explicit URL, else the one `navarch up` recorded in the home directory."""
        if self.nats_url:
            return self.nats_url
        recorded = self.home / NATS_CONNECTION_FILE
        if recorded.exists():
            return str(json.loads(recorded.read_text())["url"])
        raise RuntimeError(
            f"no NATS to connect to: set NAVARCH_NATS_URL or run `navarch up` (no {recorded})"
        )


class SupervisorSettings(BaseSettings):
    """How `navarch up` watches the processes it runs (read by the supervisor only)."""

    model_config = SettingsConfigDict(env_prefix="NAVARCH_", extra="ignore")

    liveness_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="A service whose /healthz fails this long in a row is killed and restarted",
    )
    liveness_period_s: float = Field(
        default=2.0, gt=0, description="How often /healthz is probed, and each probe's timeout"
    )
