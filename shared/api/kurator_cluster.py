"""Kurator's managed `cluster.kurator.dev/v1alpha1` Cluster, and the articles' shorter form.

Kurator's form (`pkg/apis/cluster/v1alpha1/cluster_types.go`): `infraType`, `credential`,
`version`, `region`, `network`, `master`, `workers[]` (replicas, instanceType, labels, taints,
`strategy.rollingUpdate{maxSurge, maxUnavailable, deletePolicy}`), `podIdentity`,
`additionalResources`; status `phase` Provisioning|Ready|Deleting|Failed, conditions
`InfrastructureReady`, `CNI`, `Ready` (Cluster API conditions with a severity),
`apiEndpoint`, `kubeconfigSecretRef`.

The articles' form is a documented Navarch extension:

| article field                       | Kurator field          |
|-------------------------------------|------------------------|
| `spec.infrastructure.cloudProvider` | `spec.infraType`       |
| `spec.infrastructure.region`        | `spec.region`          |
| `spec.infrastructure.version`       | `spec.version`         |
| `spec.workerNodes.count`            | `spec.workers[0].replicas` |
| `spec.workerNodes.instanceType`     | `spec.workers[0].instanceType` |
| `spec.podIdentity.enabled`          | the same field         |

`kurator_form` maps one onto the other; the article form also gets one control-plane node of
the workers' instance type and Kurator's network defaults when it names neither, since the
articles never write them. An object written in Kurator's form comes back unchanged. Writing
a field in both forms with different values is rejected, naming the field.
"""

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from shared.api.base import KubeModel
from shared.api.meta import ObjectMeta, Taint
from shared.intstr import IntOrString

KURATOR_CLUSTER_API_VERSION = "cluster.kurator.dev/v1alpha1"
DEFAULT_VPC_CIDR = "10.0.0.0/16"
DEFAULT_POD_CIDRS = ("192.168.0.0/16",)
DEFAULT_SERVICE_CIDRS = ("10.96.0.0/12",)
DEFAULT_IMAGE_OS = "ubuntu-20.04"
ARTICLE_MASTER_REPLICAS = 1

CONDITION_INFRASTRUCTURE_READY = "InfrastructureReady"
CONDITION_CNI = "CNI"
CONDITION_READY = "Ready"
REASON_INFRASTRUCTURE_PROVISION_FAILED = "InfrastructureProvisionFailed"
REASON_INFRASTRUCTURE_NOT_READY = "InfrastructureNotReady"
REASON_PROVIDER_INITIALIZE_FAILED = "ProviderInitializeFailed"

ClusterPhase = Literal["Provisioning", "Ready", "Deleting", "Failed"]
DeletePolicy = Literal["Random", "Newest", "Oldest"]
NodeUpgradeStrategyType = Literal["RollingUpdate", "OnDelete"]
ConditionSeverity = Literal["Error", "Warning", "Info", ""]
DEFAULT_DELETE_POLICY: DeletePolicy = "Newest"
"""Kurator documents `deletePolicy` as defaulting to Newest."""


class CredentialConfig(KubeModel):
    secret_ref: str


class VPCConfig(KubeModel):
    id: str = ""
    name: str = ""
    cidr_block: str = DEFAULT_VPC_CIDR


class CNIConfig(KubeModel):
    type: str = ""
    extra_args: dict[str, object] | None = None


class NetworkConfig(KubeModel):
    vpc: VPCConfig = Field(default_factory=VPCConfig)
    pod_cidrs: list[str] = Field(default_factory=lambda: list(DEFAULT_POD_CIDRS), alias="podCIDRs")
    service_cidrs: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SERVICE_CIDRS), alias="serviceCIDRs"
    )
    cni: CNIConfig = Field(default_factory=CNIConfig)


class Volume(KubeModel):
    type: str = ""
    size: int = Field(ge=8)


class NodeConfig(KubeModel):
    """Kurator's MachineConfig and NodeRegistrationConfig, inlined as in its Go type."""

    replicas: int = Field(ge=0)
    instance_type: str = Field(min_length=1)
    ssh_key_name: str | None = None
    image_os: str = Field(default=DEFAULT_IMAGE_OS, alias="imageOS")
    root_volume: Volume | None = Field(default=None, alias="rootVolumeSize")
    non_root_volumes: list[Volume] = Field(default_factory=list)
    extra_args: dict[str, object] | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)


class MasterConfig(NodeConfig):
    pass


class RollingUpdateNodeUpgradeStrategy(KubeModel):
    max_unavailable: IntOrString | None = None
    max_surge: IntOrString | None = None
    delete_policy: DeletePolicy | None = None


class NodeUpgradeStrategy(KubeModel):
    type: NodeUpgradeStrategyType | None = None
    rolling_update: RollingUpdateNodeUpgradeStrategy | None = None


class WorkerConfig(NodeConfig):
    strategy: NodeUpgradeStrategy | None = None

    def delete_policy(self) -> DeletePolicy:
        rolling = self.strategy.rolling_update if self.strategy else None
        if rolling is None or rolling.delete_policy is None:
            return DEFAULT_DELETE_POLICY
        return rolling.delete_policy


class PodIdentityConfig(KubeModel):
    enabled: bool = False


class ResourceRef(KubeModel):
    name: str = Field(min_length=1)
    kind: Literal["ConfigMap", "Secret"]


class ClusterInfrastructure(KubeModel):
    """The articles' `spec.infrastructure` (Navarch extension)."""

    cloud_provider: str | None = None
    region: str | None = None
    version: str | None = None


class WorkerNodes(KubeModel):
    """The articles' `spec.workerNodes` (Navarch extension): one pool."""

    count: int = Field(ge=0)
    instance_type: str = Field(min_length=1)


_INFRASTRUCTURE_FIELDS = {"cloud_provider": "infra_type", "region": "region", "version": "version"}


class KuratorClusterSpec(KubeModel):
    infra_type: str | None = None
    credential: CredentialConfig | None = None
    version: str | None = None
    region: str | None = None
    network: NetworkConfig | None = None
    master: MasterConfig | None = None
    workers: list[WorkerConfig] = Field(default_factory=list)
    pod_identity: PodIdentityConfig | None = None
    additional_resources: list[ResourceRef] = Field(default_factory=list)
    infrastructure: ClusterInfrastructure | None = None
    worker_nodes: WorkerNodes | None = None

    @field_validator("infrastructure")
    @classmethod
    def _infrastructure_agrees(
        cls, value: ClusterInfrastructure | None, info: ValidationInfo
    ) -> ClusterInfrastructure | None:
        """A field written in both forms must say the same thing in both."""
        if value is None:
            return value
        for article, kurator in _INFRASTRUCTURE_FIELDS.items():
            mine = getattr(value, article)
            theirs = info.data.get(kurator)
            if mine is not None and theirs is not None and mine != theirs:
                raise ValueError(
                    f"{_camel(article)} {mine!r} contradicts spec.{_camel(kurator)} {theirs!r}"
                )
        return value

    @field_validator("worker_nodes")
    @classmethod
    def _one_pool_form(cls, value: WorkerNodes | None, info: ValidationInfo) -> WorkerNodes | None:
        if value is not None and info.data.get("workers"):
            raise ValueError("may not be set together with spec.workers")
        return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


class ClusterCondition(KubeModel):
    """A Cluster API condition (`capiv1beta1.Condition`): metav1's fields plus a severity."""

    type: str
    status: Literal["True", "False", "Unknown"]
    severity: ConditionSeverity = ""
    last_transition_time: str = ""
    reason: str = ""
    message: str = ""


class KuratorClusterStatus(KubeModel):
    conditions: list[ClusterCondition] = Field(default_factory=list)
    phase: ClusterPhase | None = None
    api_endpoint: str | None = None
    kubeconfig_secret_ref: str | None = None
    service_account_issuer: str | None = None
    accepted: bool | None = None


class KuratorCluster(KubeModel):
    api_version: Literal["cluster.kurator.dev/v1alpha1"] = KURATOR_CLUSTER_API_VERSION
    kind: Literal["Cluster"] = "Cluster"
    metadata: ObjectMeta
    spec: KuratorClusterSpec = Field(default_factory=KuratorClusterSpec)
    status: KuratorClusterStatus = Field(default_factory=KuratorClusterStatus)

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def article_form(self) -> bool:
        return self.spec.infrastructure is not None or self.spec.worker_nodes is not None

    def condition(self, condition_type: str) -> ClusterCondition | None:
        return next((c for c in self.status.conditions if c.type == condition_type), None)

    def is_ready(self) -> bool:
        """Kurator's `IsReady`: a managed Cluster counts as ready when its phase is Ready."""
        return self.status.phase == "Ready"


def pool_name(cluster_name: str, index: int) -> str:
    """Worker pools have no names in Kurator; Cluster API's `<cluster>-md-<index>` names them."""
    return f"{cluster_name}-md-{index}"


def kurator_form(cluster: KuratorCluster) -> KuratorCluster:
    """The cluster in Kurator's own fields; the article fields are folded in and dropped."""
    if not cluster.article_form:
        return cluster.model_copy(deep=True)
    spec = cluster.spec.model_copy(deep=True)
    updates: dict[str, object] = {"infrastructure": None, "worker_nodes": None}
    if spec.infrastructure is not None:
        for article, kurator in _INFRASTRUCTURE_FIELDS.items():
            value = getattr(spec.infrastructure, article)
            if getattr(spec, kurator) is None and value is not None:
                updates[kurator] = value
    if spec.worker_nodes is not None:
        updates["workers"] = [
            WorkerConfig(
                replicas=spec.worker_nodes.count, instance_type=spec.worker_nodes.instance_type
            )
        ]
        if spec.master is None:
            updates["master"] = MasterConfig(
                replicas=ARTICLE_MASTER_REPLICAS, instance_type=spec.worker_nodes.instance_type
            )
    if spec.network is None:
        updates["network"] = NetworkConfig()
    mapped = spec.model_copy(update=updates)
    return cluster.model_copy(update={"spec": mapped}, deep=True)


def with_pool_replicas(cluster: KuratorCluster, *, pool: int, replicas: int) -> KuratorCluster:
    """The same cluster with one pool resized, written in the form its author used."""
    spec = cluster.spec.model_copy(deep=True)
    if spec.worker_nodes is not None and pool == 0:
        resized = spec.worker_nodes.model_copy(update={"count": replicas})
        spec = spec.model_copy(update={"worker_nodes": resized})
    elif 0 <= pool < len(spec.workers):
        workers = list(spec.workers)
        workers[pool] = workers[pool].model_copy(update={"replicas": replicas})
        spec = spec.model_copy(update={"workers": workers})
    else:
        raise IndexError(f"spec.workers[{pool}]: Not found")
    return cluster.model_copy(update={"spec": spec}, deep=True)
