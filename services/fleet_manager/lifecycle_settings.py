"""Cluster lifecycle configuration (`NAVARCH_LIFECYCLE_*`), defaults as documented in the README."""

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.fleet_manager.lifecycle_draining import ScaleDownOrder

SIMULATOR_STATE_FILE = "simulator.json"


class LifecycleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NAVARCH_LIFECYCLE_", extra="ignore")

    simulator_state_file: str = Field(
        default="",
        description="the simulator's state file; empty: $NAVARCH_HOME/members/simulator.json",
    )
    drain_timeout_s: float = Field(
        default=600.0, gt=0, description="how long one node's drain may take (nodeDrainTimeout)"
    )
    eviction_backoff_s: float = Field(
        default=5.0, gt=0, description="first retry of an eviction a PDB refused (kubectl: 5 s)"
    )
    eviction_max_backoff_s: float = Field(
        default=60.0, gt=0, description="longest wait between eviction retries"
    )
    scale_down_order: ScaleDownOrder = Field(
        default="Oldest", description="among equally used nodes, which go first"
    )
    poll_s: float = Field(
        default=1.0, gt=0, description="how soon a cluster being provisioned is looked at again"
    )
    provider_retry_s: float = Field(
        default=10.0, gt=0, description="how soon a Cluster with no usable provider is retried"
    )

    def state_file(self) -> Path:
        if self.simulator_state_file:
            return Path(self.simulator_state_file)
        home = Path(os.environ.get("NAVARCH_HOME") or ".navarch")
        return home / "members" / SIMULATOR_STATE_FILE
