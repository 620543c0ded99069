"""One simulated member cluster: its own store, its nodes, and its controllers.

The store outlives `stop()`: a cluster taken down (a fault, a restart) comes back with
its objects, and its controllers rebuild their caches from the store on `start()`.
The REST layer serves `cluster.store`; faults and metrics go through the methods here.
"""

import asyncio
import logging
from typing import Protocol

from services.simulator.caching import SharedInformers
from services.simulator.capping import PodCap
from services.simulator.collecting import GarbageCollector
from services.simulator.deployments import DeploymentController
from services.simulator.evicting import EvictionResult, evict
from services.simulator.jobs import JobController
from services.simulator.kubelet import Kubelets, Stage, default_stages
from services.simulator.metrics import LoadModel, node_metrics, pod_metrics
from services.simulator.nodes import (
    NODE_GROUP_LABEL,
    NOT_READY_LABEL,
    NodeController,
    build_lease,
    build_node,
)
from services.simulator.pacing import Pacer
from services.simulator.podscheduling import PodScheduler
from services.simulator.replicasets import ReplicaSetController
from services.simulator.resources import (
    DEPLOYMENTS,
    JOBS,
    LEASES,
    NAMESPACES,
    NODES,
    PODS,
    REPLICASETS,
    STATEFULSETS,
)
from services.simulator.statefulsets import StatefulSetController
from services.simulator.writing import mutate
from shared.api.simulated_fleet import ClusterConfig, NodeGroup
from shared.store.errors import AlreadyExistsError, NotFoundError
from shared.store.memory import MemoryBackend
from shared.store.objects import Object, ObjectStore

log = logging.getLogger(__name__)
SEED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class Controller(Protocol):
    def start(self) -> None: ...

    async def stop(self) -> None: ...


def namespace_object(name: str) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


class SimulatedCluster:
    def __init__(self, config: ClusterConfig, *, stages: list[Stage] | None = None) -> None:
        self.config = config
        self.backend = MemoryBackend(history=config.event_history)
        self.store = ObjectStore(self.backend)
        self.stages = stages if stages is not None else default_stages(config)
        self.loads = LoadModel(default=config.default_load)
        self.pacer = Pacer()
        self._informers: SharedInformers | None = None
        self._controllers: list[Controller] = []
        self._seeded = False
        self._next_ordinal = 0
        self._lifecycle = asyncio.Lock()
        self._evictions = asyncio.Lock()

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def running(self) -> bool:
        return self._informers is not None

    async def start(self) -> None:
        """Seed on first start, then run every controller; idempotent."""
        async with self._lifecycle:
            if self._informers is not None:
                return
            if not self._seeded:
                await self._seed()
                self._seeded = True
            informers = SharedInformers(self.store, owner=f"sim/{self.name}")
            for resource in (NODES, PODS, DEPLOYMENTS, REPLICASETS, STATEFULSETS, JOBS):
                informers[resource]
            heartbeat = self.config.node_heartbeat_period
            pacer, cap = self.pacer, PodCap(self.config.max_pods, informers)
            name = self.name
            controllers: list[Controller] = [
                NodeController(self.store, informers, cluster=name, heartbeat=heartbeat),
                PodScheduler(self.store, informers, cluster=name, pacer=pacer),
                Kubelets(self.store, informers, cluster=name, stages=self.stages, pacer=pacer),
                ReplicaSetController(self.store, informers, cluster=name, pacer=pacer, cap=cap),
                DeploymentController(self.store, informers, cluster=name, pacer=pacer),
                StatefulSetController(self.store, informers, cluster=name, pacer=pacer, cap=cap),
                JobController(self.store, informers, cluster=name, pacer=pacer, cap=cap),
                GarbageCollector(self.store, informers, cluster=name, pacer=pacer),
            ]
            await informers.start()
            for controller in controllers:
                controller.start()
            self._informers = informers
            self._controllers = controllers

    async def stop(self) -> None:
        """Stop the controllers and informers; the store and its objects stay."""
        async with self._lifecycle:
            informers, controllers = self._informers, self._controllers
            self._informers, self._controllers = None, []
            if informers is None:
                return
            await asyncio.gather(*(controller.stop() for controller in controllers))
            await informers.stop()

    async def _seed(self) -> None:
        for name in SEED_NAMESPACES:
            try:
                await self.store.create(NAMESPACES, namespace_object(name))
            except AlreadyExistsError:
                pass
        for index, group in enumerate(self.config.nodes):
            await self._create_nodes(group, self.config.node_group_name(index), group.count)

    async def _create_nodes(self, group: NodeGroup, group_name: str, count: int) -> list[str]:
        existing = {node["metadata"]["name"] for node in (await self.store.list(NODES)).items}
        created: list[str] = []
        index = 0
        while len(created) < count:
            node = build_node(
                self.config,
                group=group,
                group_name=group_name,
                index=index,
                ordinal=self._next_ordinal,
            )
            index += 1
            if node["metadata"]["name"] in existing:
                continue
            self._next_ordinal += 1
            stored = await self.store.create(NODES, node)
            try:
                await self.store.create(LEASES, build_lease(stored))
            except AlreadyExistsError:
                pass
            created.append(stored["metadata"]["name"])
        return created

    async def register_node(
        self, *, group: NodeGroup, group_name: str, name: str, version: str, ready: bool
    ) -> Object:
        """A provisioned machine's kubelet registering its Node (NotReady until it joins)."""
        node = build_node(
            self.config,
            group=group,
            group_name=group_name,
            index=0,
            ordinal=self._next_ordinal,
            name=name,
            version=version,
            ready=ready,
        )
        self._next_ordinal += 1
        stored = await self.store.create(NODES, node)
        try:
            await self.store.create(LEASES, build_lease(stored))
        except AlreadyExistsError:
            pass
        return stored

    def _group(self, group: str | None) -> tuple[NodeGroup, str]:
        if not self.config.nodes:
            raise KeyError(f"cluster {self.name} has no node groups")
        for index, candidate in enumerate(self.config.nodes):
            if group in (None, self.config.node_group_name(index)):
                return candidate, self.config.node_group_name(index)
        raise KeyError(f"cluster {self.name} has no node group {group!r}")

    async def add_nodes(self, count: int = 1, *, group: str | None = None) -> list[str]:
        """Add nodes like the group's (the first group by default); returns their names."""
        node_group, group_name = self._group(group)
        return await self._create_nodes(node_group, group_name, count)

    async def add_node_group(self, group: NodeGroup) -> list[str]:
        """A new kind of node (e.g. GPU nodes) joining the cluster."""
        self.config.nodes.append(group)
        group_name = self.config.node_group_name(len(self.config.nodes) - 1)
        return await self._create_nodes(group, group_name, group.count)

    async def remove_node(self, name: str) -> None:
        """The machine is gone: its pods are deleted by the kubelets' orphan stage."""
        try:
            await self.store.delete(NODES, None, name)
        except NotFoundError:
            pass

    async def set_node_ready(self, name: str, ready: bool) -> None:
        """KWOK's node-not-ready: the node's kubelet stops (or resumes) posting status."""

        def mark(node: Object) -> Object:
            labels = node["metadata"].setdefault("labels", {})
            if ready:
                labels.pop(NOT_READY_LABEL, None)
            else:
                labels[NOT_READY_LABEL] = "true"
            return node

        if await mutate(self.store, NODES, namespace=None, name=name, change=mark) is None:
            raise KeyError(f"node {name!r} not found in cluster {self.name}")

    async def node_names(self, *, group: str | None = None) -> list[str]:
        nodes = (await self.store.list(NODES)).items
        return [
            node["metadata"]["name"]
            for node in nodes
            if group is None or node["metadata"].get("labels", {}).get(NODE_GROUP_LABEL) == group
        ]

    async def evict(self, namespace: str, name: str) -> EvictionResult:
        """The `pods/eviction` subresource: delete unless a PodDisruptionBudget forbids it."""
        return await evict(self.store, namespace=namespace, name=name, lock=self._evictions)

    def set_load(self, namespace: str, kind: str, name: str, load: float | None) -> None:
        """Synthetic usage of a workload's pods as a fraction of requests (None: default)."""
        self.loads.set(namespace, kind, name, load)

    async def pod_metrics(self, namespace: str | None = None) -> list[Object]:
        """`metrics.k8s.io/v1beta1` PodMetrics of running pods."""
        pods = (await self.store.list(PODS, namespace=namespace)).items
        owners = await self._owners(namespace)
        return [
            pod_metrics(pod, load=self.loads.load_of(pod, owners))
            for pod in pods
            if (pod.get("status") or {}).get("phase") == "Running"
        ]

    async def node_metrics(self) -> list[Object]:
        """`metrics.k8s.io/v1beta1` NodeMetrics: the sum of the node's pods' usage."""
        pods = (await self.store.list(PODS)).items
        owners = await self._owners(None)
        nodes = (await self.store.list(NODES)).items
        return node_metrics(nodes, pods, load_of=lambda pod: self.loads.load_of(pod, owners))

    async def _owners(self, namespace: str | None) -> dict[tuple[str, str, str], Object]:
        owners: dict[tuple[str, str, str], Object] = {}
        for resource in (DEPLOYMENTS, REPLICASETS, STATEFULSETS, JOBS):
            for obj in (await self.store.list(resource, namespace=namespace)).items:
                metadata = obj["metadata"]
                owners[(metadata["namespace"], resource.kind, metadata["name"])] = obj
        return owners
