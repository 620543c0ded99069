"""Bringing each worker pool to its count: add machines, or drain and remove one at a time.

Scale-up asks the provider for the missing machines (they boot and join on their own).
Scale-down (article §2.1): machines that never registered go first (nothing runs there);
otherwise only while the cluster is healthy, the least-used node is cordoned and drained
(`lifecycle_nodes`) and removed from the provider once empty, then the next. A node whose
drain is under way (the annotation on the member node) is resumed before any other is
chosen, so a restart never starts a second drain or loses a node twice; a pool that no
longer has a surplus gives its cordoned nodes back.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.fleet_manager.lifecycle_draining import ScaleDownOrder, select_nodes_to_remove
from services.fleet_manager.lifecycle_nodes import (
    DRAIN_ANNOTATION,
    NODES_PATH,
    PODS_PATH,
    NodeDrainer,
    cordon,
    drain_started,
    uncordon,
)
from services.fleet_manager.lifecycle_provisioning import (
    CONDITION_SCALED_DOWN,
    cluster_ref,
    condition,
)
from shared.api.kurator_cluster import ClusterCondition, KuratorCluster
from shared.api.pods import Node, Pod
from shared.members.client import MemberClient
from shared.members.sessions import MemberSessions
from shared.providers.interface import (
    AddNodesRequest,
    ClusterProvider,
    NodePool,
    ProviderNode,
    RemoveNodesRequest,
)
from shared.runtime.clock import WallClock, format_timestamp
from shared.store.objects import Object

log = logging.getLogger(__name__)
NEXT_NODE_S = 0.05


class DrainClient:
    """The member session a drain uses: a client, nothing running in the background."""

    def __init__(self, client: MemberClient) -> None:
        self.client = client

    def start(self) -> None:
        """Nothing to start: drains are driven by the reconcile."""

    async def stop(self) -> None:
        await self.client.close()


@dataclass
class ScaleOutcome:
    machines: list[ProviderNode]
    scaled_down: ClusterCondition | None = None
    requeue_after: float | None = None
    notes: list[str] = field(default_factory=list)


class PoolScaler:
    def __init__(
        self,
        *,
        drainer: NodeDrainer,
        order: ScaleDownOrder,
        clock: WallClock,
        drain_timeout_s: float,
        request_timeout_s: float,
    ) -> None:
        self._drainer = drainer
        self._order = order
        self._clock = clock
        self._drain_timeout_s = drain_timeout_s
        self.sessions: MemberSessions[DrainClient] = MemberSessions(
            request_timeout_s=request_timeout_s
        )
        self._kept: dict[tuple[str, str], tuple[datetime, ClusterCondition]] = {}
        """(cluster, pool) whose last drain gave up: until when, and the condition saying so."""

    async def forget(self, cluster: str) -> None:
        self._drainer.forget(cluster)
        for key in [key for key in self._kept if key[0] == cluster]:
            del self._kept[key]
        await self.sessions.end(cluster)

    async def scale(
        self,
        provider: ClusterProvider,
        *,
        cluster: KuratorCluster,
        pools: list[NodePool],
        machines: list[ProviderNode],
        kubeconfig: str,
        healthy: bool,
    ) -> ScaleOutcome:
        outcome = ScaleOutcome(machines=list(machines))
        for pool in pools:
            current = [m for m in outcome.machines if m.pool == pool.name]
            if len(current) < pool.replicas:
                added = await provider.add_nodes(
                    AddNodesRequest(
                        cluster=cluster_ref(cluster),
                        pool=pool.name,
                        count=pool.replicas - len(current),
                        version=pool.version,
                        instance_type=pool.instance_type,
                    )
                )
                outcome.machines.extend(added)
                outcome.requeue_after = NEXT_NODE_S
                await self._give_back(cluster, kubeconfig, current)
            elif len(current) > pool.replicas:
                step = await self._shrink(
                    provider,
                    cluster=cluster,
                    pool=pool,
                    current=current,
                    kubeconfig=kubeconfig,
                    healthy=healthy,
                )
                outcome.machines = [m for m in outcome.machines if m.name not in step.removed]
                outcome.scaled_down = step.condition
                outcome.requeue_after = step.requeue_after
            else:
                await self._give_back(cluster, kubeconfig, current)
        if outcome.scaled_down is None and cluster.condition(CONDITION_SCALED_DOWN) is not None:
            outcome.scaled_down = condition(CONDITION_SCALED_DOWN, True)
        return outcome

    async def _client(self, cluster: KuratorCluster, kubeconfig: str) -> MemberClient:
        session, _ = await self.sessions.ensure(cluster.name, kubeconfig, DrainClient)
        return session.client

    async def _give_back(
        self, cluster: KuratorCluster, kubeconfig: str, machines: list[ProviderNode]
    ) -> None:
        """No surplus: nodes a drain had cordoned are schedulable again."""
        if not machines or cluster.condition(CONDITION_SCALED_DOWN) is None:
            return
        client = await self._client(cluster, kubeconfig)
        names = {m.name for m in machines}
        for node in (await client.request("GET", NODES_PATH)).get("items") or []:
            if node["metadata"]["name"] in names and drain_started(node) is not None:
                await uncordon(client, node["metadata"]["name"])
                log.info("node %s uncordoned: its pool needs it again", node["metadata"]["name"])

    async def _shrink(
        self,
        provider: ClusterProvider,
        *,
        cluster: KuratorCluster,
        pool: NodePool,
        current: list[ProviderNode],
        kubeconfig: str,
        healthy: bool,
    ) -> "_ShrinkStep":
        ref = cluster_ref(cluster)
        surplus = len(current) - pool.replicas
        now = self._clock()
        kept = self._kept.get((cluster.name, pool.name))
        if kept is not None and kept[0] > now:
            return _ShrinkStep(condition=kept[1], requeue_after=(kept[0] - now).total_seconds())
        self._kept.pop((cluster.name, pool.name), None)
        client = await self._client(cluster, kubeconfig)
        listed = (await client.request("GET", NODES_PATH)).get("items") or []
        names = {m.name for m in current}
        nodes = [node for node in listed if node["metadata"]["name"] in names]
        unregistered = sorted(names - {node["metadata"]["name"] for node in nodes})
        if unregistered:
            gone = unregistered[:surplus]
            await provider.remove_nodes(RemoveNodesRequest(cluster=ref, pool=pool.name, nodes=gone))
            log.info("removed machines that never joined: %s", ", ".join(gone))
            return _ShrinkStep(
                removed=set(gone),
                condition=_progress(f"removed machines that never joined: {', '.join(gone)}"),
                requeue_after=NEXT_NODE_S,
            )
        target = next((node for node in nodes if drain_started(node) is not None), None)
        if target is None:
            if not healthy:
                waiting = condition(
                    CONDITION_SCALED_DOWN,
                    False,
                    reason="WaitingForHealthyCluster",
                    message="the cluster is not healthy; scale-down waits",
                    severity="Warning",
                )
                return _ShrinkStep(condition=waiting, requeue_after=1.0)
            target = await self._choose(client, nodes, new_count=pool.replicas)
            if target is None:
                return _ShrinkStep(condition=_progress("no node can be chosen"), requeue_after=1.0)
        name = target["metadata"]["name"]
        result = await self._drainer.drain(client, cluster=cluster.name, node=target, now=now)
        if result.action == "retry":
            budget = f' by PodDisruptionBudget "{result.blocked_by}"' if result.blocked_by else ""
            detail = f": {result.message}" if result.message else ""
            return _ShrinkStep(
                condition=condition(
                    CONDITION_SCALED_DOWN,
                    False,
                    reason="Draining" if not budget else "EvictionBlocked",
                    message=f"draining node {name}: eviction blocked{budget}{detail}"
                    if budget
                    else f"draining node {name}{detail}",
                    severity="Info",
                ),
                requeue_after=result.after_s,
            )
        if result.action == "failed":
            failed = condition(
                CONDITION_SCALED_DOWN,
                False,
                reason="DrainFailed",
                message=f"node {name} kept: {result.message}",
                severity="Warning",
            )
            retry_at = now + timedelta(seconds=self._drain_timeout_s)
            self._kept[(cluster.name, pool.name)] = (retry_at, failed)
            return _ShrinkStep(condition=failed, requeue_after=self._drain_timeout_s)
        await provider.remove_nodes(RemoveNodesRequest(cluster=ref, pool=pool.name, nodes=[name]))
        log.info("node %s drained and removed", name, extra={"cluster": cluster.name})
        left = surplus - 1
        message = f"node {name} drained and removed; {left} more to remove"
        return _ShrinkStep(removed={name}, condition=_progress(message), requeue_after=NEXT_NODE_S)

    async def _choose(
        self, client: MemberClient, nodes: list[Object], *, new_count: int
    ) -> Object | None:
        """The least-used node (NotReady first), cordoned with its drain's start."""
        pods = (await client.request("GET", PODS_PATH)).get("items") or []
        by_node: dict[str, list[Pod]] = {}
        for item in pods:
            pod = Pod.model_validate(item)
            by_node.setdefault(pod.node_name, []).append(pod)
        selection = select_nodes_to_remove(
            nodes=[Node.model_validate(node) for node in nodes],
            pods_by_node=by_node,
            new_count=new_count,
            cluster_healthy=True,
            order=self._order,
            now=self._clock(),
        )
        if not selection.nodes:
            return None
        chosen = next(node for node in nodes if node["metadata"]["name"] == selection.nodes[0])
        now = self._clock()
        await cordon(client, selection.nodes[0], now=now)
        annotations = dict(chosen["metadata"].get("annotations") or {})
        annotations[DRAIN_ANNOTATION] = format_timestamp(now)
        return dict(chosen, metadata=dict(chosen["metadata"], annotations=annotations))


@dataclass
class _ShrinkStep:
    condition: ClusterCondition
    requeue_after: float
    removed: set[str] = field(default_factory=set)


def _progress(message: str) -> ClusterCondition:
    return condition(
        CONDITION_SCALED_DOWN, False, reason="ScalingDown", message=message, severity="Info"
    )
