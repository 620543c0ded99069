"""Karmada's `cluster.karmada.io/v1alpha1` Cluster: what the scheduler knows of a member."""

from typing import Literal

from pydantic import Field

from shared.api.base import KubeModel
from shared.api.meta import Condition, ObjectMeta, Taint

CLUSTER_API_VERSION = "cluster.karmada.io/v1alpha1"
TAINT_NOT_READY = "cluster.karmada.io/not-ready"
TAINT_UNREACHABLE = "cluster.karmada.io/unreachable"
TAINT_UNSCHEDULABLE = "cluster.karmada.io/unschedulable"


class ClusterSpec(KubeModel):
    sync_mode: Literal["Push", "Pull"] = "Push"
    api_endpoint: str | None = None
    provider: str | None = None
    region: str | None = None
    zone: str | None = None
    zones: list[str] = Field(default_factory=list)
    taints: list[Taint] = Field(default_factory=list)


class APIResource(KubeModel):
    name: str
    kind: str


class APIEnablement(KubeModel):
    group_version: str
    resources: list[APIResource] = Field(default_factory=list)


class NodeSummary(KubeModel):
    total_num: int = 0
    ready_num: int = 0


class ResourceSummary(KubeModel):
    """Quantities as Kubernetes quantity strings, keyed by resource name."""

    allocatable: dict[str, str] = Field(default_factory=dict)
    allocating: dict[str, str] = Field(default_factory=dict)
    allocated: dict[str, str] = Field(default_factory=dict)


class ClusterStatus(KubeModel):
    kubernetes_version: str | None = None
    api_enablements: list[APIEnablement] = Field(default_factory=list)
    conditions: list[Condition] = Field(default_factory=list)
    node_summary: NodeSummary | None = None
    resource_summary: ResourceSummary | None = None


class Cluster(KubeModel):
    api_version: str = CLUSTER_API_VERSION
    kind: str = "Cluster"
    metadata: ObjectMeta
    spec: ClusterSpec = Field(default_factory=ClusterSpec)
    status: ClusterStatus = Field(default_factory=ClusterStatus)

    @property
    def name(self) -> str:
        return self.metadata.name

    def effective_zones(self) -> list[str]:
        """Karmada schedules on `spec.zones`; a lone legacy `spec.zone` counts as one zone."""
        if self.spec.zones:
            return self.spec.zones
        return [self.spec.zone] if self.spec.zone else []

    def condition(self, condition_type: str) -> Condition | None:
        return next((c for c in self.status.conditions if c.type == condition_type), None)

    def is_ready(self) -> bool:
        ready = self.condition("Ready")
        return ready is not None and ready.status == "True"

    def serves(self, api_version: str, kind: str) -> bool:
        return any(
            enablement.group_version == api_version
            and any(resource.kind == kind for resource in enablement.resources)
            for enablement in self.status.api_enablements
        )
