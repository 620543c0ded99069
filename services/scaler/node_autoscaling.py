"""The cluster autoscaler's decisions: how many worker nodes each pool of a Cluster wants.

Scale-up: pending pods the scheduler marked Unschedulable are batched as Karpenter does
(`batchIdleDuration` 1 s: the batch closes once no new pod came for that long;
`batchMaxDuration` 10 s: it closes at the latest that long after its first pod). A closed
batch grows the pool whose instance type wastes the least CPU + memory for the pods it would
take (Cluster Autoscaler's least-waste expander), by the nodes they need, within the pool's
maximum.

Scale-down, as Cluster Autoscaler decides (FAQ defaults): a node whose utilization
(requested / allocatable) is under `scale-down-utilization-threshold` 0.5 and whose pods
all fit on the other nodes is unneeded; one unneeded for longer than
`scale-down-unneeded-time` 10 min is removed, never below the pool's minimum, not within
`scale-down-delay-after-add` 10 min of a scale-up, empty nodes together and at most one
non-empty node at a time. Pods without a controller, and kube-system pods, keep their node,
as Cluster Autoscaler's defaults do; DaemonSet and mirror pods do not count. Nodes are
considered in name order; a node that takes another's pods stays in the same pass, and
NotReady nodes are neither removed nor counted on here.

Per-pool bounds are annotations on the Cluster, `cluster.navarch.dev/min-nodes` and
`cluster.navarch.dev/max-nodes`: either one count for every pool (`"3"`) or a comma list of
`<pool>=<count>` where the pool is its index in `spec.workers` or its name (`"0=1,gpu=4"`).
A pool is autoscaled only when a maximum covers it; the minimum defaults to 0.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from shared.api.pods import Node, Pod, pod_resource_request
from shared.node_utilization import (
    UtilizationError,
    is_daemonset_pod,
    is_mirror_pod,
    node_utilization,
)
from shared.providers.instance_types import instance_type, resource_amounts, scale_up_option

MIN_NODES_ANNOTATION = "cluster.navarch.dev/min-nodes"
MAX_NODES_ANNOTATION = "cluster.navarch.dev/max-nodes"
SCALE_DOWN_DISABLED_ANNOTATION = "cluster-autoscaler.kubernetes.io/scale-down-disabled"


class NodeAutoscalingPolicy(BaseModel):
    batch_idle: timedelta = timedelta(seconds=1)
    batch_max: timedelta = timedelta(seconds=10)
    utilization_threshold: float = Field(default=0.5, ge=0, le=1)
    gpu_utilization_threshold: float = Field(default=0.5, ge=0, le=1)
    unneeded_time: timedelta = timedelta(minutes=10)
    delay_after_add: timedelta = timedelta(minutes=10)
    max_empty_bulk_delete: int = Field(default=10, ge=1)
    max_drain_parallelism: int = Field(default=1, ge=1)


class BoundsError(ValueError):
    """A min/max annotation that cannot be read; the message names the annotation."""


class PoolBounds(BaseModel):
    min_nodes: int = 0
    max_nodes: int


def _counts(annotation: str, text: str, pools: Sequence[str]) -> dict[str, int]:
    def invalid(detail: str) -> BoundsError:
        return BoundsError(f'metadata.annotations[{annotation}]: Invalid value: "{text}": {detail}')

    def count(raw: str) -> int:
        if not raw.strip().isdigit():
            raise invalid("must be a non-negative integer or a list of <pool>=<count>")
        return int(raw)

    if "=" not in text:
        value = count(text)
        return dict.fromkeys(pools, value)
    found: dict[str, int] = {}
    for entry in text.split(","):
        key, separator, raw = entry.partition("=")
        key = key.strip()
        if not separator:
            raise invalid("must be a non-negative integer or a list of <pool>=<count>")
        if key.isdigit() and int(key) < len(pools):
            key = pools[int(key)]
        if key not in pools:
            raise invalid(f'no pool "{key}" (pools: {", ".join(pools)})')
        found[key] = count(raw)
    return found


def pool_bounds(annotations: Mapping[str, str], *, pools: Sequence[str]) -> dict[str, PoolBounds]:
    """The autoscaled pools and their bounds, read from the Cluster's annotations."""
    maxima = (
        _counts(MAX_NODES_ANNOTATION, annotations[MAX_NODES_ANNOTATION], pools)
        if (MAX_NODES_ANNOTATION in annotations)
        else {}
    )
    minima = (
        _counts(MIN_NODES_ANNOTATION, annotations[MIN_NODES_ANNOTATION], pools)
        if (MIN_NODES_ANNOTATION in annotations)
        else {}
    )
    bounds: dict[str, PoolBounds] = {}
    for pool, maximum in maxima.items():
        minimum = minima.get(pool, 0)
        if minimum > maximum:
            raise BoundsError(
                f"metadata.annotations[{MIN_NODES_ANNOTATION}]: Invalid value: {minimum}: "
                f"must be less than or equal to {MAX_NODES_ANNOTATION} ({maximum}) "
                f"for pool {pool}"
            )
        bounds[pool] = PoolBounds(min_nodes=minimum, max_nodes=maximum)
    return bounds


class PendingBatch(BaseModel):
    """Karpenter's batching window over pending pods."""

    started_at: datetime | None = None
    last_pod_at: datetime | None = None


def observe_pending_pod(batch: PendingBatch, *, now: datetime) -> PendingBatch:
    """A new Unschedulable pod was seen: open the window, or extend its idle time."""
    return PendingBatch(started_at=batch.started_at or now, last_pod_at=now)


def batch_closes_at(batch: PendingBatch, *, policy: NodeAutoscalingPolicy) -> datetime | None:
    """When the open batch is decided: idle time after its last pod, capped by the maximum."""
    if batch.started_at is None or batch.last_pod_at is None:
        return None
    return min(batch.last_pod_at + policy.batch_idle, batch.started_at + policy.batch_max)


def batch_closed(batch: PendingBatch, *, now: datetime, policy: NodeAutoscalingPolicy) -> bool:
    closes = batch_closes_at(batch, policy=policy)
    return closes is not None and now >= closes


class PendingPod(BaseModel):
    """A pod the scheduler could not place: its key, requests and PodScheduled reason."""

    key: str
    requests: dict[str, str] = Field(default_factory=dict)
    unschedulable: bool = True


class AutoscaledPool(BaseModel):
    name: str
    instance_type: str
    replicas: int = Field(ge=0)
    bounds: PoolBounds


class ScaleUp(BaseModel):
    pool: str
    instance_type: str
    replicas: int
    added: int
    pods: list[str]
    unhelped: list[str] = Field(default_factory=list)


def decide_scale_up(
    *, pools: Sequence[AutoscaledPool], pending: Sequence[PendingPod]
) -> ScaleUp | None:
    """The least-waste pool to grow for the Unschedulable pods, capped at its maximum."""
    waiting = [pod for pod in pending if pod.unschedulable]
    requests = [pod.requests for pod in waiting]
    best: tuple[AutoscaledPool, int, list[int], float] | None = None
    for pool in pools:
        room = pool.bounds.max_nodes - pool.replicas
        if room <= 0:
            continue
        option = scale_up_option(requests, instance_type(pool.instance_type))
        if option is None:
            continue
        if best is None or option.wasted_score < best[3]:
            best = (pool, min(option.node_count, room), option.pods, option.wasted_score)
    if best is None:
        return None
    pool, added, taken, _ = best
    helped = {waiting[index].key for index in taken}
    return ScaleUp(
        pool=pool.name,
        instance_type=pool.instance_type,
        replicas=pool.replicas + added,
        added=added,
        pods=sorted(helped),
        unhelped=sorted(pod.key for pod in waiting if pod.key not in helped),
    )


class ClusterNode(BaseModel):
    """A node of the cluster with the pods bound to it, and its pool when autoscaled."""

    node: Node
    pods: list[Pod] = Field(default_factory=list)
    pool: str | None = None

    @property
    def name(self) -> str:
        return self.node.metadata.name


class ScaleDown(BaseModel):
    unneeded_since: dict[str, datetime]
    remove: dict[str, list[str]] = Field(default_factory=dict)
    """Pool name → nodes to drain and remove now."""


def _movable(pod: Pod) -> bool:
    return bool(
        pod.terminated
        or is_daemonset_pod(pod)
        or is_mirror_pod(pod)
        or (
            pod.metadata.namespace != "kube-system"
            and any(owner.controller for owner in pod.metadata.owner_references)
        )
    )


def _moving(pods: Sequence[Pod]) -> list[dict[str, int]]:
    """The requests of the pods that would have to find another node."""
    return [
        resource_amounts(pod_resource_request(pod.spec))
        for pod in pods
        if not (pod.terminated or is_daemonset_pod(pod) or is_mirror_pod(pod))
    ]


def _free(entry: ClusterNode) -> dict[str, int]:
    free = resource_amounts(entry.node.status.allocatable)
    for pod in entry.pods:
        if pod.terminated:
            continue
        free["pods"] = free.get("pods", 0) - 1
        for name, amount in resource_amounts(pod_resource_request(pod.spec)).items():
            free[name] = free.get(name, 0) - amount
    return free


def _place(
    requests: Sequence[Mapping[str, int]], free: Mapping[str, dict[str, int]]
) -> tuple[dict[str, dict[str, int]], set[str]] | None:
    """First fit of every request onto the free capacities: what is left and who took pods,
    or None when one does not fit anywhere."""
    trial = {name: dict(capacity) for name, capacity in free.items()}
    receivers: set[str] = set()
    for request in requests:
        target = next(
            (
                name
                for name, capacity in trial.items()
                if capacity.get("pods", 0) >= 1
                and all(amount <= capacity.get(key, 0) for key, amount in request.items())
            ),
            None,
        )
        if target is None:
            return None
        receivers.add(target)
        trial[target]["pods"] = trial[target].get("pods", 0) - 1
        for key, amount in request.items():
            trial[target][key] = trial[target].get(key, 0) - amount
    return trial, receivers


def _underused(entry: ClusterNode, *, now: datetime, policy: NodeAutoscalingPolicy) -> bool:
    if entry.node.metadata.annotations.get(SCALE_DOWN_DISABLED_ANNOTATION) == "true":
        return False
    try:
        measured = node_utilization(entry.node, entry.pods, now=now)
    except UtilizationError:
        return False
    threshold = (
        policy.gpu_utilization_threshold
        if measured.resource_name == "nvidia.com/gpu"
        else policy.utilization_threshold
    )
    return measured.utilization < threshold


def decide_scale_down(
    *,
    nodes: Sequence[ClusterNode],
    pools: Sequence[AutoscaledPool],
    unneeded_since: Mapping[str, datetime],
    last_scale_up_at: datetime | None,
    now: datetime,
    policy: NodeAutoscalingPolicy,
) -> ScaleDown:
    """Which nodes are unneeded (and since when), and which have been for long enough."""
    by_pool = {pool.name: pool for pool in pools}
    ready = [entry for entry in nodes if entry.node.ready]
    ordered = sorted(ready, key=lambda entry: entry.name)
    free = {entry.name: _free(entry) for entry in ordered}
    unneeded: dict[str, datetime] = {}
    removing: set[str] = set()
    receiving: set[str] = set()
    for entry in ordered:
        if entry.pool not in by_pool or entry.name in receiving:
            continue
        if not _underused(entry, now=now, policy=policy):
            continue
        if not all(_movable(pod) for pod in entry.pods):
            continue
        others = {
            name: capacity
            for name, capacity in free.items()
            if name != entry.name and name not in removing
        }
        placed = _place(_moving(entry.pods), others)
        if placed is None:
            continue
        remaining, receivers = placed
        free.update(remaining)
        receiving |= receivers
        removing.add(entry.name)
        unneeded[entry.name] = unneeded_since.get(entry.name, now)
    decision = ScaleDown(unneeded_since=unneeded)
    if last_scale_up_at is not None and now - last_scale_up_at < policy.delay_after_add:
        return decision
    sizes = {pool.name: pool.replicas for pool in pools}
    empty_budget, drain_budget = policy.max_empty_bulk_delete, policy.max_drain_parallelism
    for entry in ordered:
        since = unneeded.get(entry.name)
        if since is None or now - since < policy.unneeded_time or entry.pool is None:
            continue
        pool = by_pool[entry.pool]
        if sizes[pool.name] - 1 < pool.bounds.min_nodes:
            continue
        if not _moving(entry.pods):
            if empty_budget == 0:
                continue
            empty_budget -= 1
        else:
            if drain_budget == 0:
                continue
            drain_budget -= 1
        sizes[pool.name] -= 1
        decision.remove.setdefault(pool.name, []).append(entry.name)
    return decision
