"""Backup service configuration (`NAVARCH_BACKUP_*`), defaults as documented in the README."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BackupSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NAVARCH_BACKUP_", extra="ignore")

    bucket: str = Field(
        default="navarch-backups",
        description="JetStream object store bucket holding the archives",
    )
    request_timeout_s: float = Field(default=10.0, gt=0, description="one member request")
    page_size: int = Field(
        default=500, ge=1, description="items per member list page (Velero's client page size)"
    )
    requests_per_cluster: int = Field(
        default=4, ge=1, description="concurrent list or create requests to one member"
    )
    workers: int = Field(
        default=4, ge=1, description="Backups, Restores and Migrates reconciled at once (each)"
    )
    crd_established_timeout_s: float = Field(
        default=30.0, gt=0, description="how long a restore waits for a CRD to be Established"
    )
