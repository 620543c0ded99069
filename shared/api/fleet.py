"""Kurator's Fleet (`fleet.kurator.dev/v1alpha1`) and AttachedCluster (`cluster.kurator.dev`).

Both shapes users write are accepted: Kurator's own (`clusters[].name/kind`,
`kubeconfig.name/key`) and the articles' (`clusters[].labels`, `placement`,
`kubeconfig.secretRef.name`).
"""

from typing import Literal

from pydantic import Field, model_validator

from shared.api.base import KubeModel
from shared.api.meta import Condition, ObjectMeta, Taint
from shared.api.propagation import Placement

FLEET_API_VERSION = "fleet.kurator.dev/v1alpha1"
ATTACHED_CLUSTER_API_VERSION = "cluster.kurator.dev/v1alpha1"
DEFAULT_KUBECONFIG_KEY = "value"

FleetPhase = Literal["Pending", "Ready", "NotReady", "Failed", "Terminating"]


class FleetMember(KubeModel):
    name: str
    kind: Literal["AttachedCluster", "Cluster", ""] = "AttachedCluster"
    labels: dict[str, str] = Field(default_factory=dict)


class FleetSpec(KubeModel):
    clusters: list[FleetMember] = Field(default_factory=list)
    placement: Placement | None = None
    plugin: dict[str, object] | None = None


class FleetMemberStatus(KubeModel):
    name: str
    kind: str
    state: Literal["Ready", "NotReady", "NotFound"]
    message: str = ""


class FleetStatus(KubeModel):
    phase: FleetPhase = "Pending"
    reason: str | None = None
    ready_clusters: int = 0
    un_ready_clusters: int = 0
    clusters: list[FleetMemberStatus] = Field(default_factory=list)


class Fleet(KubeModel):
    api_version: Literal["fleet.kurator.dev/v1alpha1"] = FLEET_API_VERSION
    kind: Literal["Fleet"] = "Fleet"
    metadata: ObjectMeta
    spec: FleetSpec = Field(default_factory=FleetSpec)
    status: FleetStatus = Field(default_factory=FleetStatus)


class SecretReference(KubeModel):
    name: str


class KubeconfigReference(KubeModel):
    """Kurator's `{name, key}` or the articles' `{secretRef: {name}, key}`."""

    name: str | None = None
    secret_ref: SecretReference | None = None
    key: str = DEFAULT_KUBECONFIG_KEY

    @model_validator(mode="after")
    def _one_secret(self) -> "KubeconfigReference":
        if not self.secret_name:
            raise ValueError("a Secret name is required (kubeconfig.name or kubeconfig.secretRef)")
        return self

    @property
    def secret_name(self) -> str:
        return self.name or (self.secret_ref.name if self.secret_ref else "")


class AttachedClusterSpec(KubeModel):
    kubeconfig: KubeconfigReference
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)
    """Navarch extension: taints of the hub's Cluster object (health taints are added to them)."""


class AttachedClusterStatus(KubeModel):
    ready: bool = False
    conditions: list[Condition] = Field(default_factory=list)
    kubernetes_version: str | None = None


class AttachedCluster(KubeModel):
    api_version: Literal["cluster.kurator.dev/v1alpha1"] = ATTACHED_CLUSTER_API_VERSION
    kind: Literal["AttachedCluster"] = "AttachedCluster"
    metadata: ObjectMeta
    spec: AttachedClusterSpec
    status: AttachedClusterStatus = Field(default_factory=AttachedClusterStatus)
