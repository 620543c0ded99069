"""The built-in cluster provider: the member-cluster simulator's provisioning admin API.

Under `navarch up --sim…` the simulator writes `<NAVARCH_HOME>/members/simulator.json`
(its admin URL, admin token and CA); this provider reads that file on every call, so a
restarted simulator (new port, new token) is picked up without restarting the caller.
Each Kurator Cluster becomes a simulated cluster of the same name, owned by
`<namespace>/<name>` so a second Cluster of that name elsewhere is refused rather than
handed the first one's cluster.
"""

import json
import ssl
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import BaseModel, Field, ValidationError

from shared.api.base import KubeModel
from shared.providers.interface import (
    AddNodesRequest,
    ClusterNotFoundError,
    ClusterRef,
    CreateClusterRequest,
    NodePool,
    NodeReplacement,
    ProviderError,
    ProviderNode,
    ProvisionedCluster,
    RemoveNodesRequest,
    ReplaceNodesRequest,
)

PROVIDER_NAME = "simulator"
DEFAULT_TIMEOUT_S = 10.0


class SimulatorAdmin(BaseModel):
    """What the simulator's state file says about its admin API."""

    admin_url: str = Field(alias="adminUrl")
    admin_token: str = Field(alias="adminToken")
    ca_file: str = Field(alias="caFile")


def load_simulator_admin(path: Path) -> SimulatorAdmin:
    """ProviderError when the simulator is not running (no file) or the file is unusable."""
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise ProviderError(f"no simulator is running ({path} does not exist)") from None
    except (OSError, ValueError) as error:
        raise ProviderError(f"cannot read the simulator's state file {path}: {error}") from None
    try:
        return SimulatorAdmin.model_validate(document)
    except ValidationError as error:
        raise ProviderError(f"the simulator's state file {path} is not usable: {error}") from None


def _pool_body(pool: NodePool, *, control_plane: bool) -> dict[str, Any]:
    return {
        "name": pool.name,
        "instanceType": pool.instance_type,
        "count": pool.replicas,
        "version": pool.version,
        "labels": pool.labels,
        "taints": [taint.to_dict() for taint in pool.taints],
        "controlPlane": control_plane,
    }


class _Machine(KubeModel):
    """A machine as the simulator lists it (camelCase on the wire)."""

    name: str
    pool: str
    instance_type: str
    version: str
    created_at: datetime
    ready: bool = False

    def node(self) -> ProviderNode:
        return ProviderNode.model_validate(self.model_dump())


class _Machines(BaseModel):
    machines: list[_Machine]

    def nodes(self) -> list[ProviderNode]:
        return [machine.node() for machine in self.machines]


class _Kubeconfig(BaseModel):
    kubeconfig: str


class _Removed(BaseModel):
    removed: list[str]


class _Cluster(BaseModel):
    name: str
    server: str


class SimulatedProvider:
    """`ClusterProvider` over the simulator's admin API."""

    name = PROVIDER_NAME

    def __init__(self, state_file: Path, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._state_file = state_file
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._contexts: dict[str, ssl.SSLContext] = {}

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _context(self, ca_file: str) -> ssl.SSLContext:
        if ca_file not in self._contexts:
            try:
                self._contexts[ca_file] = ssl.create_default_context(cafile=ca_file)
            except (OSError, ssl.SSLError) as error:
                raise ProviderError(f"cannot use the simulator's CA {ca_file}: {error}") from None
        return self._contexts[ca_file]

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        admin = load_simulator_admin(self._state_file)
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        url = f"{admin.admin_url}{path}"
        try:
            async with self._session.request(
                method,
                url,
                json=body,
                headers={"Authorization": f"Bearer {admin.admin_token}"},
                ssl=self._context(admin.ca_file),
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            reason = str(error) or type(error).__name__
            raise ProviderError(
                f"the simulator at {admin.admin_url} does not answer: {reason}"
            ) from None
        try:
            document = json.loads(text) if text else {}
        except ValueError:
            document = {"error": text}
        if status == 404:
            raise ClusterNotFoundError(str(document.get("error", "not found")))
        if not 200 <= status <= 299:
            raise ProviderError(str(document.get("error", f"{status} from the simulator")))
        return document

    @staticmethod
    def _base(cluster: ClusterRef) -> str:
        return f"/provisioned/{cluster.name}"

    async def create_cluster(self, request: CreateClusterRequest) -> ProvisionedCluster:
        body = {
            "name": request.cluster.name,
            "owner": f"{request.cluster.namespace}/{request.cluster.name}",
            "version": request.version,
            "region": request.region,
            "provider": request.infra_type,
            "pools": [
                _pool_body(request.control_plane, control_plane=True),
                *(_pool_body(pool, control_plane=False) for pool in request.pools),
            ],
        }
        created = _Cluster.model_validate(await self._call("POST", "/provisioned", body))
        return ProvisionedCluster(cluster=request.cluster, api_endpoint=created.server)

    async def add_nodes(self, request: AddNodesRequest) -> list[ProviderNode]:
        body = {
            "count": request.count,
            "instanceType": request.instance_type,
            "version": request.version,
        }
        path = f"{self._base(request.cluster)}/pools/{request.pool}/machines"
        return _Machines.model_validate(await self._call("POST", path, body)).nodes()

    async def remove_nodes(self, request: RemoveNodesRequest) -> list[str]:
        path = f"{self._base(request.cluster)}/pools/{request.pool}/machines/remove"
        answer = await self._call("POST", path, {"nodes": request.nodes})
        return _Removed.model_validate(answer).removed

    async def replace_nodes(self, request: ReplaceNodesRequest) -> NodeReplacement:
        """New machines first, then the old ones go (already drained by the caller)."""
        added = await self.add_nodes(
            AddNodesRequest(
                cluster=request.cluster,
                pool=request.pool,
                count=len(request.nodes),
                version=request.version,
                instance_type=request.instance_type,
            )
        )
        removed = await self.remove_nodes(
            RemoveNodesRequest(cluster=request.cluster, pool=request.pool, nodes=request.nodes)
        )
        return NodeReplacement(added=added, removed=removed)

    async def list_nodes(self, cluster: ClusterRef) -> list[ProviderNode]:
        answer = await self._call("GET", f"{self._base(cluster)}/machines")
        return _Machines.model_validate(answer).nodes()

    async def fetch_kubeconfig(self, cluster: ClusterRef) -> str:
        answer = await self._call("GET", f"{self._base(cluster)}/kubeconfig")
        return _Kubeconfig.model_validate(answer).kubeconfig

    async def delete_cluster(self, cluster: ClusterRef) -> None:
        await self._call("DELETE", self._base(cluster))
