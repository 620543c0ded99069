"""Kurator's Migrate as plain functions: what is invalid, what each stage is handed, and the
status bookkeeping between them (kurator-dev/kurator
`pkg/fleet-manager/backup/migrate_controller.go`).

Upstream crashes on a `sourceCluster` with no cluster and picks an arbitrary one of several;
Navarch refuses both as `FailedValidation`, naming the field.
"""

from datetime import datetime

from services.backup.models import (
    SOURCE_READY_CONDITION,
    BackupDetails,
    ClusterAPICondition,
    MigratePolicy,
    MigrateSpec,
    MigrateStatus,
    RestoreDetails,
    RestorePolicy,
    VeleroBackupStatus,
    VeleroRestoreStatus,
)
from services.backup.validating import validate_backup_filter

SOURCE_NOT_ONE_CLUSTER = "spec.sourceCluster.clusters: must list exactly one cluster, found {count}"
MIGRATE_NAME_LABEL = "kurator.dev/migrate-name"
INTERRUPTED_BACKUP = (
    'found a backup with status "InProgress" during the server starting, mark it as "Failed"'
)
INTERRUPTED_RESTORE = (
    'found a restore with status "InProgress" during the server starting, mark it as "Failed"'
)
_UNFINISHED = (None, "", "New", "InProgress")


def migrate_spec_errors(spec: MigrateSpec) -> list[str]:
    """Velero-style validation errors of a Migrate; empty when it can run."""
    errors: list[str] = []
    count = len(spec.source_cluster.clusters)
    if count != 1:
        errors.append(SOURCE_NOT_ONE_CLUSTER.format(count=count))
    policy = spec.policy or MigratePolicy()
    errors.extend(validate_backup_filter(policy.resource_filter))
    return errors


def migrate_backup_spec(policy: MigratePolicy | None) -> dict[str, object]:
    """The Velero BackupSpec of the source: resourceFilter and orderedResources, no ttl."""
    spec: dict[str, object] = {}
    if policy is not None:
        if policy.resource_filter is not None:
            spec.update(policy.resource_filter.to_dict())
        if policy.ordered_resources:
            spec["orderedResources"] = policy.ordered_resources
    return spec


def migrate_restore_policy(policy: MigratePolicy | None) -> RestorePolicy:
    """What each target restores with: no filter, namespaceMapping, status, nodePorts."""
    policy = policy or MigratePolicy()
    return RestorePolicy(
        namespace_mapping=policy.namespace_mapping,
        preserve_status=policy.migrate_status,
        preserve_node_ports=policy.preserve_node_ports,
    )


def with_source_ready(status: MigrateStatus, *, now: datetime) -> MigrateStatus:
    """Kurator's `sourceReady=True` condition, added once the source backup Completed."""
    source = status.source_cluster_status
    completed = (
        source is not None
        and source.backup_status_in_cluster is not None
        and source.backup_status_in_cluster.phase == "Completed"
    )
    conditions = list(status.conditions or [])
    if not completed or any(item.type == SOURCE_READY_CONDITION for item in conditions):
        return status
    ready = ClusterAPICondition(
        type=SOURCE_READY_CONDITION, status="True", last_transition_time=now
    )
    return status.model_copy(update={"conditions": [*conditions, ready]})


def failed_validation(status: MigrateStatus, errors: list[str]) -> MigrateStatus:
    """The errors shown where a user looks first: the source's Velero status."""
    source = status.source_cluster_status or BackupDetails()
    source = source.model_copy(
        update={
            "backup_status_in_cluster": VeleroBackupStatus(
                phase="FailedValidation", validation_errors=errors
            )
        }
    )
    return status.model_copy(update={"phase": "FailedValidation", "source_cluster_status": source})


def interrupted_migrate(status: MigrateStatus, *, now: datetime) -> MigrateStatus | None:
    """A stage left unfinished by a dead process marked Failed as Velero marks its own;
    None when nothing was unfinished."""
    changed = False
    source = status.source_cluster_status
    if source is not None and source.backup_status_in_cluster is not None:
        backup = source.backup_status_in_cluster
        if source.backup_name_in_cluster and backup.phase in _UNFINISHED:
            backup = backup.model_copy(
                update={
                    "phase": "Failed",
                    "failure_reason": INTERRUPTED_BACKUP,
                    "completion_timestamp": now,
                }
            )
            source = source.model_copy(update={"backup_status_in_cluster": backup})
            changed = True
    targets: list[RestoreDetails] = []
    for detail in status.target_cluster_status or []:
        restore = detail.restore_status_in_cluster
        if restore is not None and restore.phase in _UNFINISHED:
            restore = restore.model_copy(
                update={
                    "phase": "Failed",
                    "failure_reason": INTERRUPTED_RESTORE,
                    "completion_timestamp": now,
                }
            )
            detail = detail.model_copy(update={"restore_status_in_cluster": restore})
            changed = True
        targets.append(detail)
    if not changed:
        return None
    return status.model_copy(
        update={"source_cluster_status": source, "target_cluster_status": targets or None}
    )


def restore_unavailable(
    *, cluster: str, reason: str, started: datetime, now: datetime
) -> VeleroRestoreStatus:
    return VeleroRestoreStatus(
        phase="Failed",
        failure_reason=f"cluster {cluster} unavailable: {reason}",
        start_timestamp=started,
        completion_timestamp=now,
    )
