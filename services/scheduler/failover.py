"""Taint-based eviction and graceful eviction tasks: Karmada's taint manager and its cleanup.

A target cluster with a NoExecute taint the placement does not tolerate is evicted after the
Navarch default toleration (0 s: the fleet-manager already waited for its probes); a
toleration with `tolerationSeconds` delays eviction to `timeAdded + tolerationSeconds`, one
without seconds tolerates forever. Eviction moves the cluster into
`spec.gracefulEvictionTasks`; a task is dropped once every cluster of the new result reports
Healthy, or when its grace period (task `gracePeriodSeconds`, else the configured timeout)
has passed.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.api.binding import (
    AggregatedStatusItem,
    GracefulEvictionTask,
    ResourceBindingSpec,
)
from shared.api.cluster import Cluster
from shared.api.meta import Taint, Toleration
from shared.runtime.clock import WallClock, format_timestamp

PRODUCER_TAINT_MANAGER = "TaintManager"
REASON_TAINT_UNTOLERATED = "TaintUntolerated"
DEFAULT_PURGE_MODE = "Gracefully"

TaintClock = Callable[[Cluster, Taint], datetime]
"""When a taint was added: its `timeAdded`, else when the scheduler first saw it."""


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class TaintSightings:
    """When the scheduler first saw each taint without `timeAdded`: where its toleration
    starts. Forgotten once the taint is gone, so a taint added again starts anew."""

    def __init__(self, clock: WallClock) -> None:
        self._clock = clock
        self._seen: dict[tuple[str, str, str], datetime] = {}

    def added_at(self, cluster: Cluster, taint: Taint) -> datetime:
        """A `TaintClock`: the taint's `timeAdded`, else its first sighting."""
        if taint.time_added:
            return parse_time(taint.time_added)
        slot = (cluster.name, taint.key, taint.effect)
        if slot not in self._seen:
            self._seen[slot] = self._clock()
        return self._seen[slot]

    def observe(self, name: str, cluster: Cluster | None) -> None:
        """The cluster changed (None: deleted): forget the sightings of taints it dropped."""
        present = {(t.key, t.effect) for t in cluster.spec.taints} if cluster else set()
        for slot in [s for s in self._seen if s[0] == name and (s[1], s[2]) not in present]:
            del self._seen[slot]

    def __len__(self) -> int:
        return len(self._seen)


@dataclass(frozen=True)
class EvictionPlan:
    """Clusters to evict now, and in how many seconds the next toleration runs out."""

    evict: list[str]
    recheck_after: float | None = None


def _taint_deadline(
    *,
    taint: Taint,
    tolerations: Sequence[Toleration],
    added: datetime,
    default_seconds: float,
) -> float | None:
    """Seconds after `added` at which the taint evicts; None when tolerated forever."""
    matching = [toleration for toleration in tolerations if toleration.tolerates(taint)]
    if not matching:
        return default_seconds
    bounded = [t.toleration_seconds for t in matching if t.toleration_seconds is not None]
    if len(bounded) < len(matching):
        return None
    return float(max(0, min(bounded)))


def plan_evictions(
    *,
    spec: ResourceBindingSpec,
    clusters: Mapping[str, Cluster],
    tolerations: Sequence[Toleration],
    now: datetime,
    added_at: TaintClock,
    default_toleration_seconds: float,
) -> EvictionPlan:
    """Which targets' NoExecute taints have outlived their toleration at `now`."""
    evict: list[str] = []
    recheck: float | None = None
    for target in spec.clusters:
        cluster = clusters.get(target.name)
        if cluster is None:
            continue
        due: float | None = None
        for taint in cluster.spec.taints:
            if taint.effect != "NoExecute":
                continue
            seconds = _taint_deadline(
                taint=taint,
                tolerations=tolerations,
                added=added_at(cluster, taint),
                default_seconds=default_toleration_seconds,
            )
            if seconds is None:
                continue
            remaining = (added_at(cluster, taint) - now).total_seconds() + seconds
            due = remaining if due is None else min(due, remaining)
        if due is None:
            continue
        if due <= 0:
            evict.append(target.name)
        else:
            recheck = due if recheck is None else min(recheck, due)
    return EvictionPlan(evict, recheck)


def evict_cluster(
    spec: ResourceBindingSpec,
    cluster: str,
    *,
    now: datetime,
    message: str = "",
) -> None:
    """`GracefulEvictCluster`: drop the target; keep a task unless purgeMode is Directly."""
    target = next((t for t in spec.clusters if t.name == cluster), None)
    if target is None:
        return
    before = [t.name for t in spec.clusters]
    spec.clusters = [t for t in spec.clusters if t.name != cluster]
    purge_mode = DEFAULT_PURGE_MODE
    if spec.failover is not None and spec.failover.cluster is not None:
        purge_mode = spec.failover.cluster.purge_mode
    if purge_mode == "Directly" or cluster in spec.evicting_clusters():
        return
    spec.graceful_eviction_tasks.append(
        GracefulEvictionTask(
            from_cluster=cluster,
            purge_mode=purge_mode,
            replicas=target.replicas,
            reason=REASON_TAINT_UNTOLERATED,
            message=message,
            producer=PRODUCER_TAINT_MANAGER,
            creation_timestamp=format_timestamp(now),
            clusters_before_failover=before,
        )
    )


def _all_healthy(spec: ResourceBindingSpec, aggregated: Sequence[AggregatedStatusItem]) -> bool:
    """Every target reports Healthy; a result with no target never counts as replaced."""
    health = {item.cluster_name: item.health for item in aggregated}
    return bool(spec.clusters) and all(health.get(t.name) == "Healthy" for t in spec.clusters)


def settle_tasks(
    spec: ResourceBindingSpec,
    *,
    aggregated: Sequence[AggregatedStatusItem],
    scheduled: bool,
    now: datetime,
    timeout_seconds: float,
) -> float | None:
    """Drop finished tasks from `spec`; returns seconds until the next one times out."""
    replaced = scheduled and _all_healthy(spec, aggregated)
    kept: list[GracefulEvictionTask] = []
    recheck: float | None = None
    for task in spec.graceful_eviction_tasks:
        if task.suppress_deletion is True:
            kept.append(task)
            continue
        if task.suppress_deletion is False or replaced:
            continue
        timeout = (
            float(task.grace_period_seconds)
            if task.grace_period_seconds is not None
            else timeout_seconds
        )
        created = parse_time(task.creation_timestamp) if task.creation_timestamp else now
        remaining = timeout - (now - created).total_seconds()
        if remaining <= 0:
            continue
        kept.append(task)
        recheck = remaining if recheck is None else min(recheck, remaining)
    spec.graceful_eviction_tasks = kept
    return recheck
