"""The cluster provider interface: what the fleet-manager asks of whatever makes clusters.

Kurator drives AWS through Cluster API; Navarch drives a provider through this interface, and
the member-cluster simulator is the built-in implementation. Every call names the cluster and
the pool, carries the Kubernetes version and instance type it wants, and is idempotent by
name, so a fleet-manager that restarts half-way can repeat it. Answers are models, never
dicts; failures are `ProviderError`s with the provider's own message.
"""

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, Field

from shared.api.meta import Taint


class ProviderError(Exception):
    """A provider refused or failed a call; the message is the provider's."""


class ClusterNotFoundError(ProviderError):
    """The provider holds no cluster by that name (already deleted, or never created)."""


class ClusterRef(BaseModel):
    """Which cluster: the Kurator Cluster's namespace and name."""

    namespace: str
    name: str


class NodePool(BaseModel):
    """One worker pool (or the control plane) as the provider creates it."""

    name: str
    instance_type: str
    version: str
    replicas: int = Field(ge=0)
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)


class CreateClusterRequest(BaseModel):
    cluster: ClusterRef
    infra_type: str
    region: str
    version: str
    control_plane: NodePool
    pools: list[NodePool]
    pod_identity: bool = False


class ProvisionedCluster(BaseModel):
    """What the provider answers once the cluster's API server is up."""

    cluster: ClusterRef
    api_endpoint: str
    service_account_issuer: str | None = None


class AddNodesRequest(BaseModel):
    cluster: ClusterRef
    pool: str
    count: int = Field(gt=0)
    version: str
    instance_type: str


class RemoveNodesRequest(BaseModel):
    """Remove these nodes, already drained; the pool shrinks by as many."""

    cluster: ClusterRef
    pool: str
    nodes: list[str]


class ReplaceNodesRequest(BaseModel):
    """Replace these nodes by as many new ones of `version` and `instance_type`."""

    cluster: ClusterRef
    pool: str
    nodes: list[str]
    version: str
    instance_type: str


class ProviderNode(BaseModel):
    """A machine the provider runs for a cluster, with the Kubernetes node it registers as."""

    name: str
    pool: str
    instance_type: str
    version: str
    created_at: datetime
    ready: bool = False


class NodeReplacement(BaseModel):
    added: list[ProviderNode]
    removed: list[str]


class ClusterProvider(Protocol):
    """The calls a cluster provider answers; the fleet-manager knows no other."""

    name: str

    async def create_cluster(self, request: CreateClusterRequest) -> ProvisionedCluster: ...

    async def add_nodes(self, request: AddNodesRequest) -> list[ProviderNode]: ...

    async def remove_nodes(self, request: RemoveNodesRequest) -> list[str]: ...

    async def replace_nodes(self, request: ReplaceNodesRequest) -> NodeReplacement: ...

    async def list_nodes(self, cluster: ClusterRef) -> list[ProviderNode]: ...

    async def fetch_kubeconfig(self, cluster: ClusterRef) -> str:
        """The cluster's admin kubeconfig as YAML text."""
        ...

    async def delete_cluster(self, cluster: ClusterRef) -> None: ...
