"""Simulated nodes: built from node groups, kept alive by heartbeats, made NotReady on demand.

Readiness is driven by data on the node itself, like KWOK's `node-not-ready` stage: the
label `sim.navarch.dev/not-ready=true` (set by a fault hook, a test, or kubectl) makes the
node's kubelet "stop posting status": conditions go Unknown, heartbeats stop and the node
lifecycle controller's `unreachable` taints appear; removing the label brings it back.
"""

import time
from datetime import UTC, datetime
from typing import Any

from services.simulator.caching import SharedInformers
from services.simulator.resources import LEASES, NODES
from services.simulator.writing import mutate, set_condition
from shared.api.simulated_fleet import ClusterConfig, NodeGroup
from shared.runtime.informing import InformerEvent
from shared.runtime.reconciling import ReconcileRunner, Requeue
from shared.store.errors import AlreadyExistsError, NotFoundError
from shared.store.objects import Object, ObjectStore, utc_timestamp

NOT_READY_LABEL = "sim.navarch.dev/not-ready"
NODE_GROUP_LABEL = "sim.navarch.dev/node-group"
NODE_LEASE_NAMESPACE = "kube-node-lease"
UNREACHABLE_TAINT_KEY = "node.kubernetes.io/unreachable"
_PRESSURE_CONDITIONS = (
    ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
)


def micro_timestamp() -> str:
    """MicroTime, the format Lease times use."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def node_name(cluster: str, group: str, index: int) -> str:
    return f"{cluster}-{group}-{index}"


def is_node_ready(node: Object) -> bool:
    for condition in (node.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def wants_ready(node: Object) -> bool:
    return (node["metadata"].get("labels") or {}).get(NOT_READY_LABEL) != "true"


def _conditions(*, ready: bool, now: str, previous: list[dict[str, Any]]) -> list[dict[str, Any]]:
    conditions = previous
    for type_, reason, message in _PRESSURE_CONDITIONS:
        conditions = set_condition(
            conditions,
            type_=type_,
            status="False" if ready else "Unknown",
            reason=reason if ready else "NodeStatusUnknown",
            message=message if ready else "Kubelet stopped posting node status.",
            now=now,
        )
    conditions = set_condition(
        conditions,
        type_="Ready",
        status="True" if ready else "Unknown",
        reason="KubeletReady" if ready else "NodeStatusUnknown",
        message="kubelet is posting ready status"
        if ready
        else "Kubelet stopped posting node status.",
        now=now,
    )
    if ready:
        for condition in conditions:
            condition["lastHeartbeatTime"] = now
    return conditions


def build_node(
    config: ClusterConfig,
    *,
    group: NodeGroup,
    group_name: str,
    index: int,
    ordinal: int,
    name: str | None = None,
    version: str | None = None,
    ready: bool = True,
) -> Object:
    """A Ready node of `group`; `ordinal` (unique in the cluster) picks its addresses.

    `name` and `version` are a provisioned machine's own (else `<cluster>-<group>-<index>` and
    the cluster's version)."""
    name = name or node_name(config.name, group_name, index)
    kubelet_version = version or config.kubernetes_version
    now = utc_timestamp()
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": group_name,
        "type": "kwok",
        NODE_GROUP_LABEL: group_name,
        **({"topology.kubernetes.io/region": config.region} if config.region else {}),
        **({"topology.kubernetes.io/zone": config.zone} if config.zone else {}),
        **group.labels,
        **({} if ready else {NOT_READY_LABEL: "true"}),
    }
    internal_ip = f"192.168.{(ordinal >> 8) & 255}.{ordinal & 255}"
    pod_cidr = f"10.{244 + (ordinal >> 8)}.{ordinal & 255}.0/24"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {
            "podCIDR": pod_cidr,
            "podCIDRs": [pod_cidr],
            "providerID": f"navarch-sim://{config.name}/{name}",
            **({"taints": [t.to_dict() for t in group.taints]} if group.taints else {}),
        },
        "status": {
            "capacity": dict(group.capacity),
            "allocatable": dict(group.allocatable or group.capacity),
            "conditions": _conditions(ready=ready, now=now, previous=[]),
            "addresses": [
                {"type": "InternalIP", "address": internal_ip},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": "",
                "containerRuntimeVersion": "containerd://1.7.13",
                "kernelVersion": "6.1.0-navarch-sim",
                "kubeProxyVersion": kubelet_version,
                "kubeletVersion": kubelet_version,
                "machineID": "",
                "operatingSystem": "linux",
                "osImage": "Navarch simulated node",
                "systemUUID": "",
            },
            "phase": "Running",
        },
    }


def build_lease(node: Object) -> Object:
    name = node["metadata"]["name"]
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": name,
            "namespace": NODE_LEASE_NAMESPACE,
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "Node", "name": name, "uid": node["metadata"]["uid"]}
            ],
        },
        "spec": {
            "holderIdentity": name,
            "leaseDurationSeconds": 40,
            "renewTime": micro_timestamp(),
        },
    }


def _unreachable_taints(
    taints: list[dict[str, Any]], *, ready: bool, now: str
) -> list[dict[str, Any]]:
    others = [taint for taint in taints if taint.get("key") != UNREACHABLE_TAINT_KEY]
    if ready:
        return others
    return [
        *others,
        {"key": UNREACHABLE_TAINT_KEY, "effect": "NoSchedule", "timeAdded": now},
        {"key": UNREACHABLE_TAINT_KEY, "effect": "NoExecute", "timeAdded": now},
    ]


class NodeController:
    """The nodes' kubelets and node lifecycle controller: heartbeats, readiness, taints."""

    def __init__(
        self, store: ObjectStore, informers: SharedInformers, *, cluster: str, heartbeat: float
    ) -> None:
        self._store = store
        self._informers = informers
        self._heartbeat = heartbeat
        self._last_beat: dict[str, float] = {}
        self.runner: ReconcileRunner[str] = ReconcileRunner(
            f"sim/{cluster}/nodes", self._reconcile, workers=2
        )
        informers.on(NODES, self._on_node)

    def _on_node(self, event: InformerEvent) -> None:
        old, new = event.old, event.object
        if event.type == "MODIFIED" and old is not None:
            same_wish = wants_ready(old) == wants_ready(new)
            if same_wish and is_node_ready(new) == wants_ready(new):
                return
        self.runner.enqueue(new["metadata"]["name"])

    async def _reconcile(self, name: str) -> Requeue | None:
        node = self._informers.get(NODES, None, name)
        if node is None:
            self._last_beat.pop(name, None)
            await self._delete_lease(name)
            return None
        ready = wants_ready(node)
        now = utc_timestamp()
        await mutate(
            self._store,
            NODES,
            namespace=None,
            name=name,
            change=lambda current: self._with_taints(current, ready=ready, now=now),
        )
        next_beat = self._last_beat.get(name, 0.0) + self._heartbeat
        if is_node_ready(node) != ready or (ready and time.monotonic() >= next_beat):
            written = await mutate(
                self._store,
                NODES,
                namespace=None,
                name=name,
                change=lambda current: self._with_status(current, ready=ready, now=now),
                status=True,
            )
            if written is None:
                return None
            if ready:
                self._last_beat[name] = time.monotonic()
                await self._renew_lease(written)
            await self._informers.caught_up(NODES, written["metadata"]["resourceVersion"])
        if not ready:
            return None
        remaining = self._last_beat.get(name, 0.0) + self._heartbeat - time.monotonic()
        return Requeue(after=max(remaining, 0.01))

    @staticmethod
    def _with_taints(node: Object, *, ready: bool, now: str) -> Object:
        spec = node.setdefault("spec", {})
        current = spec.get("taints") or []
        has = any(taint.get("key") == UNREACHABLE_TAINT_KEY for taint in current)
        if has != (not ready):
            taints = _unreachable_taints(current, ready=ready, now=now)
            if taints:
                spec["taints"] = taints
            else:
                spec.pop("taints", None)
        return node

    @staticmethod
    def _with_status(node: Object, *, ready: bool, now: str) -> Object:
        status = node.setdefault("status", {})
        status["conditions"] = _conditions(
            ready=ready, now=now, previous=[dict(item) for item in status.get("conditions") or []]
        )
        return node

    async def _renew_lease(self, node: Object) -> None:
        name = node["metadata"]["name"]

        def renew(lease: Object) -> Object:
            lease["spec"]["renewTime"] = micro_timestamp()
            return lease

        renewed = await mutate(
            self._store, LEASES, namespace=NODE_LEASE_NAMESPACE, name=name, change=renew
        )
        if renewed is None:
            try:
                await self._store.create(LEASES, build_lease(node))
            except AlreadyExistsError:
                pass

    async def _delete_lease(self, name: str) -> None:
        try:
            await self._store.delete(LEASES, NODE_LEASE_NAMESPACE, name)
        except NotFoundError:
            pass

    def start(self) -> None:
        self.runner.start()
        for node in self._informers.list(NODES):
            self.runner.enqueue(node["metadata"]["name"])

    async def stop(self) -> None:
        await self.runner.drain(timeout=2.0)
