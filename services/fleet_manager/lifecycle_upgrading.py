"""Rolling a cluster's worker pools onto a new Kubernetes version, one step at a time.

One pool at a time, in `spec.workers` order: a later pool starts only when the earlier ones
run the new version on all their nodes. Within a pool each step is decided from the current
node set, as a MachineDeployment's rolling update (Cluster API `rollingupdate.go`, itself
the Deployment controller's): at most `replicas + maxSurge` nodes exist, at least
`replicas - maxUnavailable` are Ready, surge rounding up and unavailable rounding down, and
both zero means unavailable 1 (`ResolveFenceposts`). Cluster API defaults are maxSurge 1,
maxUnavailable 0. Old nodes that are not Ready go first and do not count as available; the
rest go in `deletePolicy` order (Cluster API's `Random|Newest|Oldest`, after nodes already
deleting and nodes annotated `cluster.x-k8s.io/delete-machine`). Random keeps the listing's
order, as Cluster API's stable sort of equal priorities does, so a plan can be replayed.
"""

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from shared.api.kurator_cluster import DeletePolicy, WorkerConfig
from shared.intstr import scaled_value

DELETE_MACHINE_ANNOTATION = "cluster.x-k8s.io/delete-machine"
DEFAULT_MAX_SURGE = 1
DEFAULT_MAX_UNAVAILABLE = 0


class UpgradeNode(BaseModel):
    name: str
    version: str
    created_at: datetime
    ready: bool = True
    deleting: bool = False
    annotations: dict[str, str] = Field(default_factory=dict)


class PoolUpgrade(BaseModel):
    """One pool: its configuration, and the nodes it has now."""

    name: str
    worker: WorkerConfig
    nodes: list[UpgradeNode] = Field(default_factory=list)


class UpgradeStep(BaseModel):
    """What to do now: create nodes of the new version and delete these old nodes."""

    pool: str | None = None
    create: int = 0
    delete: list[str] = Field(default_factory=list)
    done: bool = False
    waiting: str = ""


def _parts(version: str) -> list[str]:
    return version.removeprefix("v").split(".")


def runs_version(node_version: str, target: str) -> bool:
    """`1.25` is met by any `v1.25.x`; a full `v1.25.3` only by itself."""
    wanted = _parts(target)
    return _parts(node_version)[: len(wanted)] == wanted


def resolve_fenceposts(worker: WorkerConfig) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as node counts for the pool's desired size."""
    rolling = worker.strategy.rolling_update if worker.strategy else None
    surge_value = rolling.max_surge if rolling and rolling.max_surge is not None else None
    unavailable_value = (
        rolling.max_unavailable if rolling and rolling.max_unavailable is not None else None
    )
    surge = scaled_value(
        DEFAULT_MAX_SURGE if surge_value is None else surge_value, worker.replicas, round_up=True
    )
    unavailable = scaled_value(
        DEFAULT_MAX_UNAVAILABLE if unavailable_value is None else unavailable_value,
        worker.replicas,
        round_up=False,
    )
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _age_key(node: UpgradeNode) -> float:
    return node.created_at.timestamp()


def deletion_order(nodes: Sequence[UpgradeNode], policy: DeletePolicy) -> list[UpgradeNode]:
    """Cluster API's delete priorities: deleting, annotated, unhealthy, then by policy."""

    def priority(node: UpgradeNode) -> int:
        if node.deleting:
            return 0
        if DELETE_MACHINE_ANNOTATION in node.annotations:
            return 1
        if not node.ready:
            return 2
        return 3

    if policy == "Random":
        ranked = list(nodes)
    else:
        ranked = sorted(nodes, key=_age_key, reverse=policy == "Newest")
    return sorted(ranked, key=priority)


def plan_pool_step(pool: PoolUpgrade, *, version: str) -> UpgradeStep:
    """The next rolling step for one pool towards `version`."""
    desired = pool.worker.replicas
    surge, unavailable = resolve_fenceposts(pool.worker)
    live = [node for node in pool.nodes if not node.deleting]
    new = [node for node in live if runs_version(node.version, version)]
    old = [node for node in live if not runs_version(node.version, version)]
    if not old and len(new) == desired and all(node.ready for node in new):
        return UpgradeStep(pool=pool.name, done=True)
    create = max(0, min(desired + surge - len(live), desired - len(new)))
    min_available = max(0, desired - unavailable)
    available = sum(1 for node in live if node.ready)
    new_unavailable = sum(1 for node in new if not node.ready)
    ordered = deletion_order(old, pool.worker.delete_policy())
    cleanup_room = max(0, len(live) - min_available - new_unavailable)
    unhealthy = [node for node in ordered if not node.ready][:cleanup_room]
    healthy_room = max(0, available - min_available)
    healthy = [node for node in ordered if node.ready][:healthy_room]
    delete = [node.name for node in unhealthy + healthy]
    step = UpgradeStep(pool=pool.name, create=create, delete=delete)
    if not create and not delete:
        step.waiting = (
            f"pool {pool.name}: waiting for new nodes to become Ready "
            f"({available} available, {min_available} required)"
        )
    return step


def plan_upgrade_step(pools: Sequence[PoolUpgrade], *, version: str) -> UpgradeStep:
    """The step for the first pool not yet fully on `version`; later pools wait their turn."""
    for pool in pools:
        step = plan_pool_step(pool, version=version)
        if not step.done:
            return step
    return UpgradeStep(done=True)
