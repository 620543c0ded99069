"""Kurator's status bookkeeping over Velero's per-cluster runs: names, details, phases, TTL.

Names and the per-cluster detail entries follow kurator-dev/kurator
`pkg/fleet-manager/backup/shared.go` and `backup_controller.go`; run names, TTL and expiry follow
vmware-tanzu/velero (`Schedule.TimestampedName`, prepareBackupRequest, the GC controller).
Upstream Kurator declares `status.phase` on Backup and Restore but never sets it; Navarch sets
the aggregate defined here so the print column means something.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

from pydantic import BaseModel

from services.backup.durations import parse_go_duration
from services.backup.models import (
    BackupDetails,
    MigratePhase,
    MigrateStatus,
    RestoreDetails,
    VeleroBackupPhase,
    VeleroBackupStatus,
    VeleroRestorePhase,
    VeleroRestoreStatus,
)

DEFAULT_BACKUP_TTL = timedelta(hours=720)
"""Velero's `--default-backup-ttl` (30 days), used when `policy.ttl` is empty."""

TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"
"""Go's `20060102150405`, the suffix of scheduled backup names."""

AggregatePhase = Literal[
    "New", "InProgress", "Completed", "PartiallyFailed", "Failed", "FailedValidation"
]
"""The aggregate phase of a Kurator Backup or Restore across its clusters."""

BACKUP_KIND = "backup"
RESTORE_KIND = "restore"
MIGRATE_KIND = "migrate"

_FAILED: frozenset[str] = frozenset({"Failed", "FailedValidation"})
_TERMINAL: frozenset[str] = frozenset(
    {"Completed", "PartiallyFailed", "Failed", "FailedValidation"}
)


def velero_object_name(*, cluster: str, kind: str, namespace: str, name: str) -> str:
    """generateVeleroResourceName: `<cluster>-<kind>-<namespace>-<name>`, unique in storage."""
    return f"{cluster}-{kind}-{namespace}-{name}"


def timestamped_name(prefix: str, at: datetime) -> str:
    """Velero's `<schedule>-<YYYYMMDDhhmmss>` (scheduled backups, default restore names), UTC."""
    return f"{prefix}-{at.astimezone(UTC).strftime(TIMESTAMP_FORMAT)}"


SCHEDULE_NAME_LABEL = "velero.io/schedule-name"


def scheduled_backup_labels(
    schedule: str, *, schedule_labels: dict[str, str], template_labels: dict[str, str] | None
) -> dict[str, str]:
    """FromSchedule: the template's labels if it has any (even empty), else the Schedule's."""
    labels = dict(template_labels if template_labels is not None else schedule_labels)
    labels[SCHEDULE_NAME_LABEL] = schedule
    return labels


def backup_ttl(ttl: str | None) -> timedelta:
    """An empty or zero TTL takes Velero's default."""
    duration = parse_go_duration(ttl) if ttl else timedelta(0)
    return duration if duration != timedelta(0) else DEFAULT_BACKUP_TTL


def backup_expiration(*, started: datetime, ttl: str | None) -> datetime:
    """status.expiration = the time the backup request was prepared + TTL."""
    return started + backup_ttl(ttl)


def is_expired(expiration: datetime | None, *, now: datetime) -> bool:
    """The GC controller: no expiration never expires; expired once now is not before it."""
    return expiration is not None and not expiration > now


def aggregate_phase(phases: Sequence[str | None]) -> AggregatePhase:
    """The fleet-wide phase of per-cluster Velero phases.

    Nothing started anywhere -> New; anything still running -> InProgress; every run
    Completed -> Completed; every run rejected -> FailedValidation; every run failed ->
    Failed; otherwise some clusters (or items) succeeded and some did not -> PartiallyFailed.
    """
    if not phases or all(phase in (None, "", "New") for phase in phases):
        return "New"
    if any(phase not in _TERMINAL for phase in phases):
        return "InProgress"
    if all(phase == "Completed" for phase in phases):
        return "Completed"
    if all(phase == "FailedValidation" for phase in phases):
        return "FailedValidation"
    if all(phase in _FAILED for phase in phases):
        return "Failed"
    return "PartiallyFailed"


def _backup_phase(detail: BackupDetails) -> VeleroBackupPhase | None:
    status = detail.backup_status_in_cluster
    return status.phase if status else None


def _restore_phase(detail: RestoreDetails) -> VeleroRestorePhase | None:
    status = detail.restore_status_in_cluster
    return status.phase if status else None


def backup_phase(details: Iterable[BackupDetails]) -> AggregatePhase:
    return aggregate_phase([_backup_phase(detail) for detail in details])


def restore_phase(details: Iterable[RestoreDetails]) -> AggregatePhase:
    return aggregate_phase([_restore_phase(detail) for detail in details])


def all_backups_completed(details: Iterable[BackupDetails]) -> bool:
    """Kurator's allBackupsCompleted: it keeps polling until this holds."""
    return all(_backup_phase(detail) == "Completed" for detail in details)


def all_restores_completed(details: Iterable[RestoreDetails]) -> bool:
    return all(_restore_phase(detail) == "Completed" for detail in details)


def record_backup_detail(
    details: Sequence[BackupDetails],
    *,
    cluster_name: str,
    cluster_kind: str,
    backup_name: str,
    status: VeleroBackupStatus,
) -> list[BackupDetails]:
    """One entry per cluster, replaced in place (Kurator appends one per scheduled run)."""
    entry = BackupDetails(
        cluster_name=cluster_name,
        cluster_kind=cluster_kind,
        backup_name_in_cluster=backup_name,
        backup_status_in_cluster=status,
    )
    return _replace_cluster_entry(list(details), entry, cluster_name, cluster_kind)


def record_restore_detail(
    details: Sequence[RestoreDetails],
    *,
    cluster_name: str,
    cluster_kind: str,
    restore_name: str,
    status: VeleroRestoreStatus,
) -> list[RestoreDetails]:
    entry = RestoreDetails(
        cluster_name=cluster_name,
        cluster_kind=cluster_kind,
        restore_name_in_cluster=restore_name,
        restore_status_in_cluster=status,
    )
    return _replace_cluster_entry(list(details), entry, cluster_name, cluster_kind)


Detail = TypeVar("Detail", BackupDetails, RestoreDetails)


def _replace_cluster_entry(
    details: list[Detail], entry: Detail, cluster_name: str, cluster_kind: str
) -> list[Detail]:
    for index, existing in enumerate(details):
        if existing.cluster_name == cluster_name and existing.cluster_kind == cluster_kind:
            details[index] = entry
            return details
    return [*details, entry]


class VeleroBackupRun(BaseModel):
    """A Velero Backup as listed from a member: its name and status."""

    name: str
    status: VeleroBackupStatus


def most_recent_completed_backup(runs: Iterable[VeleroBackupRun]) -> VeleroBackupRun | None:
    """MostRecentCompletedBackup: newest startTimestamp first (none sorts oldest), Completed."""
    oldest = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(runs, key=lambda run: run.status.start_timestamp or oldest, reverse=True)
    return next((run for run in ordered if run.status.phase == "Completed"), None)


def next_migrate_phase(status: MigrateStatus, *, targets_expected: int) -> MigratePhase:
    """Where a Migrate stands, from its source backup and target restores.

    Kurator's steps with its inverted RestoreInProgress switch fixed: Pending -> BackupInProgress
    until the source backup Completed -> RestoreInProgress until every target restore Completed.
    A terminal failure of the source backup, or of a target restore once all have ended, fails
    the Migrate (upstream polls forever).
    """
    current = status.phase or "Pending"
    if current in ("Completed", "Failed", "FailedValidation"):
        return current
    if current == "Pending":
        return "BackupInProgress"
    source = status.source_cluster_status
    source_phase = _backup_phase(source) if source else None
    if source_phase != "Completed":
        return "Failed" if source_phase in _TERMINAL else "BackupInProgress"
    targets = [_restore_phase(detail) for detail in status.target_cluster_status or []]
    if len(targets) < targets_expected or any(phase not in _TERMINAL for phase in targets):
        return "RestoreInProgress"
    return "Completed" if all(phase == "Completed" for phase in targets) else "Failed"
