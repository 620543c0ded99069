"""Karmada's `work.karmada.io/v1alpha2` (Cluster)ResourceBinding: one resource's placement.

The scheduler writes `spec.clusters` and the scheduling status; the override-engine reads
the result and writes `status.aggregatedStatus`.
"""

from typing import Any, Literal

from pydantic import Field

from shared.api.base import KubeModel
from shared.api.meta import Condition, ObjectMeta, Toleration
from shared.api.propagation import FailoverBehavior, Placement, PurgeMode, SchedulePriority

BINDING_API_VERSION = "work.karmada.io/v1alpha2"
CONDITION_SCHEDULED = "Scheduled"
CONDITION_FULLY_APPLIED = "FullyApplied"
REASON_SUCCESS = "Success"
REASON_SCHEDULER_ERROR = "SchedulerError"
REASON_NO_CLUSTER_FIT = "NoClusterFit"
REASON_UNSCHEDULABLE = "Unschedulable"


class ObjectReference(KubeModel):
    api_version: str
    kind: str
    namespace: str = ""
    name: str
    uid: str = ""
    resource_version: str = ""


class NodeClaim(KubeModel):
    node_selector: dict[str, str] = Field(default_factory=dict)
    tolerations: list[Toleration] = Field(default_factory=list)
    hard_node_affinity: dict[str, Any] | None = None


class ReplicaRequirements(KubeModel):
    """Per-replica needs; quantities stay Kubernetes strings as on the wire."""

    node_claim: NodeClaim | None = None
    resource_request: dict[str, str] = Field(default_factory=dict)
    namespace: str = ""
    priority_class_name: str = ""


class TargetComponent(KubeModel):
    name: str
    replicas: int


class TargetCluster(KubeModel):
    name: str
    replicas: int = 0
    components: list[TargetComponent] = Field(default_factory=list)


class GracefulEvictionTask(KubeModel):
    from_cluster: str
    purge_mode: PurgeMode | None = None
    replicas: int | None = None
    reason: str
    message: str = ""
    producer: str
    grace_period_seconds: int | None = None
    suppress_deletion: bool | None = None
    preserved_label_state: dict[str, str] = Field(default_factory=dict)
    creation_timestamp: str | None = None
    clusters_before_failover: list[str] = Field(default_factory=list)


class BindingSnapshot(KubeModel):
    namespace: str = ""
    name: str
    clusters: list[TargetCluster] = Field(default_factory=list)


class BindingSuspension(KubeModel):
    dispatching: bool | None = None
    dispatching_on_clusters: dict[str, list[str]] | None = None
    scheduling: bool | None = None


class ResourceBindingSpec(KubeModel):
    resource: ObjectReference
    propagate_deps: bool = False
    replica_requirements: ReplicaRequirements | None = None
    replicas: int = 0
    clusters: list[TargetCluster] = Field(default_factory=list)
    placement: Placement | None = None
    graceful_eviction_tasks: list[GracefulEvictionTask] = Field(default_factory=list)
    required_by: list[BindingSnapshot] = Field(default_factory=list)
    scheduler_name: str = ""
    failover: FailoverBehavior | None = None
    conflict_resolution: Literal["Abort", "Overwrite"] = "Abort"
    reschedule_triggered_at: str | None = None
    suspension: BindingSuspension | None = None
    preserve_resources_on_deletion: bool | None = None
    schedule_priority: SchedulePriority | None = None

    def target_contains(self, cluster_name: str) -> bool:
        return any(target.name == cluster_name for target in self.clusters)

    def assigned_replicas_for(self, cluster_name: str) -> int:
        return next((t.replicas for t in self.clusters if t.name == cluster_name), 0)

    def evicting_clusters(self) -> set[str]:
        """Clusters with a pending graceful-eviction task (the ClusterEviction filter)."""
        return {task.from_cluster for task in self.graceful_eviction_tasks}


class AggregatedStatusItem(KubeModel):
    cluster_name: str
    status: dict[str, Any] | None = None
    applied: bool = False
    applied_message: str = ""
    health: Literal["Healthy", "Unhealthy", "Unknown", ""] = ""


class ResourceBindingStatus(KubeModel):
    scheduler_observed_generation: int = 0
    scheduler_observed_affinity_name: str = Field(
        default="", alias="schedulerObservingAffinityName"
    )
    last_scheduled_time: str | None = None
    conditions: list[Condition] = Field(default_factory=list)
    aggregated_status: list[AggregatedStatusItem] = Field(default_factory=list)


class ResourceBinding(KubeModel):
    api_version: str = BINDING_API_VERSION
    kind: Literal["ResourceBinding"] = "ResourceBinding"
    metadata: ObjectMeta
    spec: ResourceBindingSpec
    status: ResourceBindingStatus = Field(default_factory=ResourceBindingStatus)


class ClusterResourceBinding(KubeModel):
    api_version: str = BINDING_API_VERSION
    kind: Literal["ClusterResourceBinding"] = "ClusterResourceBinding"
    metadata: ObjectMeta
    spec: ResourceBindingSpec
    status: ResourceBindingStatus = Field(default_factory=ResourceBindingStatus)
