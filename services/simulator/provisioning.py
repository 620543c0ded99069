"""Clusters and machines made at run time: the simulator as a cloud (the built-in provider).

The fleet-manager's simulated provider (`shared/providers/simulated.py`) drives this through
the admin API. A cluster is created with node pools; each machine gets its capacity from
the instance-type table (`shared/providers/instance_types.py`), "boots" for `bootSeconds`
(listed by the provider, no Node yet), registers its Node NotReady, and "joins" (Ready)
after `joinSeconds`. Failures are injected ahead of time: the next `neverJoin` machines boot
and never register, the next `providerErrors` calls fail with a 503 as a cloud API would.
Every call is idempotent by name, as the provider interface requires. Run-time clusters
live in the simulator's memory: a simulator restart forgets them.
"""

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import yaml
from pydantic import Field

from services.simulator.cluster import SimulatedCluster
from services.simulator.nodes import NODE_GROUP_LABEL, is_node_ready
from services.simulator.resources import NODES
from shared.api.base import KubeModel
from shared.api.meta import Taint
from shared.api.simulated_fleet import ClusterConfig, DnsLabel, NodeGroup
from shared.kubeconfig import KubeconfigEntry, render
from shared.providers.instance_types import (
    INSTANCE_TYPE_LABEL,
    UnknownInstanceTypeError,
    instance_type,
)
from shared.runtime.tasks import OwnedTasks
from shared.store.objects import Object

log = logging.getLogger(__name__)

CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")


class ProvisioningError(Exception):
    """A refused or failed call; `status` is the admin API's HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def kubelet_version(version: str) -> str:
    """`1.25` → `v1.25.0`, the gitVersion a kubelet of that release reports."""
    match = _VERSION.match(version.strip())
    if match is None:
        raise ProvisioningError(
            422, f'version: Invalid value: "{version}": not a Kubernetes version'
        )
    major, minor, patch = match.groups()
    return f"v{major}.{minor}.{patch or 0}"


class PoolRequest(KubeModel):
    name: DnsLabel
    instance_type: str
    count: int = Field(ge=0)
    version: str
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)
    control_plane: bool = False


class ClusterRequest(KubeModel):
    name: DnsLabel
    owner: str = Field(min_length=1, description="who asks (namespace/name): idempotency key")
    version: str
    region: str = ""
    provider: str = ""
    pools: list[PoolRequest] = Field(default_factory=list)


class MachinesRequest(KubeModel):
    count: int = Field(gt=0)
    instance_type: str
    version: str


class RemoveMachinesRequest(KubeModel):
    nodes: list[str]


class ProvisioningSettings(KubeModel):
    """Delays for new machines and the failures queued for the next calls."""

    boot_seconds: float = Field(default=0.0, ge=0)
    join_seconds: float = Field(default=0.0, ge=0)
    never_join: int = Field(default=0, ge=0, description="the next N machines never join")
    provider_errors: int = Field(default=0, ge=0, description="the next N calls fail (503)")


class Machine(KubeModel):
    name: str
    pool: str
    instance_type: str
    version: str
    created_at: datetime
    ready: bool = False


class ProvisionedCluster(KubeModel):
    name: str
    owner: str
    server: str
    version: str


class ProvisioningServer(Protocol):
    """What provisioning needs of the SimulatorServer."""

    async def add_cluster(self, config: ClusterConfig) -> SimulatedCluster: ...

    async def remove_cluster(self, name: str) -> None: ...

    def kubeconfig_entry(self, name: str) -> KubeconfigEntry: ...

    def cluster_url(self, name: str) -> str: ...

    def has_cluster(self, name: str) -> bool: ...


@dataclass
class _Pool:
    request: PoolRequest
    next_index: int = 0


@dataclass
class _RuntimeCluster:
    owner: str
    version: str
    cluster: SimulatedCluster
    pools: dict[str, _Pool] = field(default_factory=dict)
    booting: dict[str, Machine] = field(default_factory=dict)
    joins: dict[str, asyncio.Task[None]] = field(default_factory=dict)


class Provisioner:
    """The simulator's cloud: run-time clusters, their pools and machines."""

    def __init__(self, server: ProvisioningServer) -> None:
        self._server = server
        self.settings = ProvisioningSettings()
        self._clusters: dict[str, _RuntimeCluster] = {}
        self._tasks = OwnedTasks("sim/provisioning")
        self._lock = asyncio.Lock()

    def configure(self, settings: ProvisioningSettings) -> ProvisioningSettings:
        self.settings = settings
        return settings

    def _fail_if_injected(self, call: str) -> None:
        if self.settings.provider_errors > 0:
            remaining = self.settings.provider_errors - 1
            self.settings = self.settings.model_copy(update={"provider_errors": remaining})
            raise ProvisioningError(503, f"simulated provider error: {call} failed")

    def _runtime(self, name: str) -> _RuntimeCluster:
        runtime = self._clusters.get(name)
        if runtime is None:
            raise ProvisioningError(404, f'cluster "{name}" not found')
        return runtime

    def describe(self, name: str) -> ProvisionedCluster:
        runtime = self._runtime(name)
        return ProvisionedCluster(
            name=name,
            owner=runtime.owner,
            server=self._server.cluster_url(name),
            version=runtime.version,
        )

    async def create_cluster(self, request: ClusterRequest) -> tuple[ProvisionedCluster, bool]:
        """The cluster and whether it was created now (False: it already existed)."""
        async with self._lock:
            existing = self._clusters.get(request.name)
            if existing is not None:
                if existing.owner != request.owner:
                    raise ProvisioningError(
                        409, f'cluster "{request.name}" already exists (owner {existing.owner})'
                    )
                return self.describe(request.name), False
            if self._server.has_cluster(request.name):
                raise ProvisioningError(409, f'cluster "{request.name}" already exists')
            self._fail_if_injected("create cluster")
            version = kubelet_version(request.version)
            for pool in request.pools:
                self._instance_type(pool.instance_type)
                kubelet_version(pool.version)
            config = ClusterConfig(
                name=request.name,
                region=request.region,
                provider=request.provider,
                kubernetes_version=version,
            )
            cluster = await self._server.add_cluster(config)
            runtime = _RuntimeCluster(owner=request.owner, version=version, cluster=cluster)
            self._clusters[request.name] = runtime
        for pool in request.pools:
            runtime.pools[pool.name] = _Pool(request=pool)
            if pool.count:
                await self._add_machines(
                    runtime,
                    pool=pool.name,
                    count=pool.count,
                    instance=pool.instance_type,
                    version=pool.version,
                )
        return self.describe(request.name), True

    async def delete_cluster(self, name: str) -> None:
        runtime = self._runtime(name)
        self._fail_if_injected("delete cluster")
        for task in runtime.joins.values():
            task.cancel()
        self._clusters.pop(name, None)
        await self._server.remove_cluster(name)

    def kubeconfig(self, name: str) -> str:
        self._runtime(name)
        return yaml.safe_dump(render(self._server.kubeconfig_entry(name)), sort_keys=False)

    async def machines(self, name: str) -> list[Machine]:
        runtime = self._runtime(name)
        nodes = (await runtime.cluster.store.list(NODES)).items
        listed = [
            machine
            for node in nodes
            if (machine := _machine_of(node, pools=runtime.pools)) is not None
        ]
        registered = {machine.name for machine in listed}
        booting = [m for n, m in runtime.booting.items() if n not in registered]
        return sorted([*listed, *booting], key=lambda machine: machine.name)

    async def add_machines(self, name: str, pool: str, request: MachinesRequest) -> list[Machine]:
        runtime = self._runtime(name)
        if pool not in runtime.pools:
            raise ProvisioningError(404, f'cluster "{name}" has no node pool "{pool}"')
        self._fail_if_injected("add nodes")
        self._instance_type(request.instance_type)
        return await self._add_machines(
            runtime,
            pool=pool,
            count=request.count,
            instance=request.instance_type,
            version=request.version,
        )

    async def remove_machines(
        self, name: str, pool: str, request: RemoveMachinesRequest
    ) -> list[str]:
        """The named machines are gone afterwards; those already gone count as removed."""
        runtime = self._runtime(name)
        if pool not in runtime.pools:
            raise ProvisioningError(404, f'cluster "{name}" has no node pool "{pool}"')
        current = {machine.name: machine for machine in await self.machines(name)}
        foreign = [n for n in request.nodes if n in current and current[n].pool != pool]
        if foreign:
            raise ProvisioningError(
                422, f'nodes {", ".join(foreign)} are not in node pool "{pool}"'
            )
        self._fail_if_injected("remove nodes")
        for node in request.nodes:
            task = runtime.joins.pop(node, None)
            if task is not None:
                task.cancel()
            runtime.booting.pop(node, None)
            await runtime.cluster.remove_node(node)
        return list(request.nodes)

    @staticmethod
    def _instance_type(name: str) -> None:
        try:
            instance_type(name)
        except UnknownInstanceTypeError as error:
            raise ProvisioningError(422, f"instanceType: {error}") from None

    async def _add_machines(
        self, runtime: _RuntimeCluster, *, pool: str, count: int, instance: str, version: str
    ) -> list[Machine]:
        state = runtime.pools[pool]
        existing = {machine.name for machine in await self.machines(runtime.cluster.name)}
        kubelet = kubelet_version(version)
        added: list[Machine] = []
        while len(added) < count:
            name = f"{pool}-{state.next_index}"
            state.next_index += 1
            if name in existing:
                continue
            machine = Machine(
                name=name,
                pool=pool,
                instance_type=instance,
                version=kubelet,
                created_at=datetime.now(UTC),
            )
            added.append(await self._boot(runtime, state.request, machine))
        return added

    async def _boot(self, runtime: _RuntimeCluster, pool: PoolRequest, machine: Machine) -> Machine:
        settings = self.settings
        if settings.never_join > 0:
            self.settings = settings.model_copy(update={"never_join": settings.never_join - 1})
            runtime.booting[machine.name] = machine
            log.info("machine %s will never join", machine.name)
            return machine
        if settings.boot_seconds == 0 and settings.join_seconds == 0:
            await self._register(runtime, pool, machine, ready=True)
            return machine.model_copy(update={"ready": True})
        runtime.booting[machine.name] = machine
        runtime.joins[machine.name] = self._tasks.start(
            self._join(runtime, pool, machine, settings=settings), name=f"join/{machine.name}"
        )
        return machine

    async def _join(
        self,
        runtime: _RuntimeCluster,
        pool: PoolRequest,
        machine: Machine,
        *,
        settings: ProvisioningSettings,
    ) -> None:
        """Boot, register NotReady, then join: what a cloud machine's kubelet does."""
        try:
            await asyncio.sleep(settings.boot_seconds)
            await self._register(runtime, pool, machine, ready=settings.join_seconds == 0)
            runtime.booting.pop(machine.name, None)
            if settings.join_seconds:
                await asyncio.sleep(settings.join_seconds)
                await runtime.cluster.set_node_ready(machine.name, True)
        except KeyError:
            log.info("machine %s was removed before it joined", machine.name)
        finally:
            runtime.joins.pop(machine.name, None)

    @staticmethod
    async def _register(
        runtime: _RuntimeCluster, pool: PoolRequest, machine: Machine, *, ready: bool
    ) -> None:
        instance = instance_type(machine.instance_type)
        labels = {**instance.labels(), **pool.labels}
        taints = list(pool.taints)
        if pool.control_plane:
            labels[CONTROL_PLANE_LABEL] = ""
            taints.append(Taint(key=CONTROL_PLANE_LABEL, effect="NoSchedule"))
        group = NodeGroup(count=0, capacity=instance.capacity(), labels=labels, taints=taints)
        await runtime.cluster.register_node(
            group=group,
            group_name=machine.pool,
            name=machine.name,
            version=machine.version,
            ready=ready,
        )

    async def stop(self) -> None:
        await self._tasks.stop()


def _machine_of(node: Object, *, pools: dict[str, _Pool]) -> Machine | None:
    metadata = node["metadata"]
    labels = metadata.get("labels") or {}
    pool = labels.get(NODE_GROUP_LABEL)
    if pool not in pools:
        return None
    info = (node.get("status") or {}).get("nodeInfo") or {}
    return Machine(
        name=metadata["name"],
        pool=pool,
        instance_type=labels.get(INSTANCE_TYPE_LABEL, ""),
        version=info.get("kubeletVersion", ""),
        created_at=datetime.fromisoformat(metadata["creationTimestamp"].replace("Z", "+00:00")),
        ready=is_node_ready(node),
    )
