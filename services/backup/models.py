"""Kurator's `backup.kurator.dev/v1alpha1` Backup, Restore and Migrate, field by field.

The shapes follow kurator-dev/kurator `pkg/apis/backups/v1alpha1` (which copies Velero 1.11's
filters and embeds Velero's own BackupStatus / RestoreStatus per cluster). Velero's status
types are modelled here too, because Kurator reports them verbatim.
"""

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, field_validator

from services.backup.durations import parse_go_duration
from shared.api.base import KubeModel
from shared.api.meta import LabelSelector, ObjectMeta

API_GROUP = "backup.kurator.dev"
API_VERSION = "backup.kurator.dev/v1alpha1"


def _aware(value: object) -> object:
    """metav1.Time is RFC 3339 in UTC; a naive datetime is taken as UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


KubeTime = Annotated[
    datetime,
    BeforeValidator(_aware),
    PlainSerializer(
        lambda value: value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), return_type=str
    ),
]
"""metav1.Time: second precision, `Z` suffix on the wire."""


class ObjectReference(KubeModel):
    """corev1.ObjectReference as Kurator uses it in `destination.clusters`."""

    kind: str = ""
    namespace: str | None = None
    name: str = ""
    uid: str | None = None
    api_version: str | None = None
    resource_version: str | None = None
    field_path: str | None = None


class Destination(KubeModel):
    fleet: str
    clusters: list[ObjectReference] = Field(default_factory=list)


class ResourceFilter(KubeModel):
    """Velero 1.11's backup filters, copied by Kurator."""

    included_namespaces: list[str] | None = None
    excluded_namespaces: list[str] | None = None
    included_resources: list[str] | None = None
    excluded_resources: list[str] | None = None
    include_cluster_resources: bool | None = None
    included_cluster_scoped_resources: list[str] | None = None
    excluded_cluster_scoped_resources: list[str] | None = None
    included_namespace_scoped_resources: list[str] | None = None
    excluded_namespace_scoped_resources: list[str] | None = None
    label_selector: LabelSelector | None = None
    or_label_selectors: list[LabelSelector] | None = None

    def uses_old_resource_filters(self) -> bool:
        """Velero's UseOldResourceFilters: any old-style field set selects the old filter."""
        return (
            self.include_cluster_resources is not None
            or bool(self.included_resources)
            or bool(self.excluded_resources)
        )

    def uses_scoped_resource_filters(self) -> bool:
        return (
            bool(self.included_cluster_scoped_resources)
            or bool(self.excluded_cluster_scoped_resources)
            or bool(self.included_namespace_scoped_resources)
            or bool(self.excluded_namespace_scoped_resources)
        )


class PreserveStatus(KubeModel):
    """Velero's `restoreStatus`: absent = no status; empty includes = every resource."""

    included_resources: list[str] | None = None
    excluded_resources: list[str] | None = None


class BackupPolicy(KubeModel):
    resource_filter: ResourceFilter | None = None
    ttl: str | None = None
    ordered_resources: dict[str, str] | None = None

    @field_validator("ttl")
    @classmethod
    def _ttl_is_a_duration(cls, value: str | None) -> str | None:
        """metav1.Duration: rejected at the API like Go's time.ParseDuration rejects it."""
        if value:
            parse_go_duration(value)
        return value


class BackupSpec(KubeModel):
    schedule: str = ""
    destination: Destination
    policy: BackupPolicy | None = None


VeleroBackupPhase = Literal[
    "New",
    "Queued",
    "ReadyToStart",
    "FailedValidation",
    "InProgress",
    "WaitingForPluginOperations",
    "WaitingForPluginOperationsPartiallyFailed",
    "Finalizing",
    "FinalizingPartiallyFailed",
    "Completed",
    "PartiallyFailed",
    "Failed",
    "Deleting",
]

VeleroRestorePhase = Literal[
    "New",
    "FailedValidation",
    "InProgress",
    "WaitingForPluginOperations",
    "WaitingForPluginOperationsPartiallyFailed",
    "Finalizing",
    "FinalizingPartiallyFailed",
    "Completed",
    "PartiallyFailed",
    "Failed",
]


class BackupProgress(KubeModel):
    total_items: int | None = None
    items_backed_up: int | None = None


class RestoreProgress(KubeModel):
    total_items: int | None = None
    items_restored: int | None = None


class HookStatus(KubeModel):
    hooks_attempted: int | None = None
    hooks_failed: int | None = None


class VeleroBackupStatus(KubeModel):
    """velero.io/v1 BackupStatus, reported per cluster in `backupStatusInCluster`."""

    version: int | None = None
    format_version: str | None = None
    expiration: KubeTime | None = None
    phase: VeleroBackupPhase | None = None
    queue_position: int | None = None
    validation_errors: list[str] | None = None
    start_timestamp: KubeTime | None = None
    completion_timestamp: KubeTime | None = None
    volume_snapshots_attempted: int | None = None
    volume_snapshots_completed: int | None = None
    failure_reason: str | None = None
    warnings: int | None = None
    errors: int | None = None
    progress: BackupProgress | None = None
    csi_volume_snapshots_attempted: int | None = None
    csi_volume_snapshots_completed: int | None = None
    backup_item_operations_attempted: int | None = None
    backup_item_operations_completed: int | None = None
    backup_item_operations_failed: int | None = None
    hook_status: HookStatus | None = None


class VeleroRestoreStatus(KubeModel):
    """velero.io/v1 RestoreStatus, reported per cluster in `restoreStatusInCluster`."""

    phase: VeleroRestorePhase | None = None
    validation_errors: list[str] | None = None
    warnings: int | None = None
    errors: int | None = None
    failure_reason: str | None = None
    start_timestamp: KubeTime | None = None
    completion_timestamp: KubeTime | None = None
    progress: RestoreProgress | None = None
    restore_item_operations_attempted: int | None = None
    restore_item_operations_completed: int | None = None
    restore_item_operations_failed: int | None = None
    hook_status: HookStatus | None = None


class ClusterAPICondition(KubeModel):
    """Cluster API's Condition (capiv1.Condition), which Kurator's statuses use."""

    type: str
    status: Literal["True", "False", "Unknown"]
    severity: Literal["Error", "Warning", "Info", ""] | None = None
    last_transition_time: KubeTime
    reason: str | None = None
    message: str | None = None


class BackupDetails(KubeModel):
    cluster_name: str | None = None
    cluster_kind: str | None = None
    backup_name_in_cluster: str | None = None
    backup_status_in_cluster: VeleroBackupStatus | None = None


class RestoreDetails(KubeModel):
    cluster_name: str | None = None
    cluster_kind: str | None = None
    restore_name_in_cluster: str | None = None
    restore_status_in_cluster: VeleroRestoreStatus | None = None


class BackupStatus(KubeModel):
    conditions: list[ClusterAPICondition] | None = None
    phase: str | None = None
    backup_details: list[BackupDetails] | None = None


class Backup(KubeModel):
    api_version: Literal["backup.kurator.dev/v1alpha1"] = API_VERSION
    kind: Literal["Backup"] = "Backup"
    metadata: ObjectMeta
    spec: BackupSpec
    status: BackupStatus = Field(default_factory=BackupStatus)


ExistingResourcePolicy = Literal["none", "update"]
"""Velero's `existingResourcePolicy` for objects already in the target cluster."""


class RestorePolicy(KubeModel):
    resource_filter: ResourceFilter | None = None
    namespace_mapping: dict[str, str] | None = None
    preserve_status: PreserveStatus | None = None
    preserve_node_ports: bool | None = None
    existing_resource_policy: ExistingResourcePolicy | None = None
    """A Navarch extension carrying Velero's RestoreSpec field (Kurator has no such field)."""


class RestoreSpec(KubeModel):
    backup_name: str
    destination: Destination | None = None
    policy: RestorePolicy | None = None


class RestoreStatus(KubeModel):
    conditions: list[ClusterAPICondition] | None = None
    phase: str | None = None
    restore_details: list[RestoreDetails] | None = None


class Restore(KubeModel):
    api_version: Literal["backup.kurator.dev/v1alpha1"] = API_VERSION
    kind: Literal["Restore"] = "Restore"
    metadata: ObjectMeta
    spec: RestoreSpec
    status: RestoreStatus = Field(default_factory=RestoreStatus)


class MigratePolicy(KubeModel):
    resource_filter: ResourceFilter | None = None
    ordered_resources: dict[str, str] | None = None
    namespace_mapping: dict[str, str] | None = None
    migrate_status: PreserveStatus | None = None
    preserve_node_ports: bool | None = None


class MigrateSpec(KubeModel):
    source_cluster: Destination
    target_cluster: Destination
    """JSON key singular as in Kurator's CRD (Go field `TargetClusters`)."""
    policy: MigratePolicy | None = None


MigratePhase = Literal[
    "Pending", "FailedValidation", "BackupInProgress", "RestoreInProgress", "Completed", "Failed"
]
"""The CRD-enforced enum of Kurator's Migrate phase."""

SOURCE_READY_CONDITION = "sourceReady"


class MigrateStatus(KubeModel):
    conditions: list[ClusterAPICondition] | None = None
    phase: MigratePhase | None = None
    source_cluster_status: BackupDetails | None = None
    target_cluster_status: list[RestoreDetails] | None = None
    """JSON key singular as in Kurator's CRD (Go field `TargetClustersStatus`)."""


class Migrate(KubeModel):
    api_version: Literal["backup.kurator.dev/v1alpha1"] = API_VERSION
    kind: Literal["Migrate"] = "Migrate"
    metadata: ObjectMeta
    spec: MigrateSpec
    status: MigrateStatus = Field(default_factory=MigrateStatus)
