"""What placements reuse: facts derived once per cluster revision, verdicts per placement.

Every placement reads the same clusters: whether they serve the kind, their taints, labels,
zones and capacity. `place` derives these once and reuses them while nothing changed:

* `ClusterFacts`, per Cluster object and resourceVersion: name, deletion, and the replicas
  each requirement fits (the general estimator, memoized by the requested quantities);
* `FleetView`, per sequence of clusters (by identity): the `Verdict` of every cluster for a
  placement (keyed by the placement's JSON, so an edited placement is a different key), and
  candidate lists built from them.

Clusters are values here, as informers hand them out: a changed cluster is a new object or
carries a new resourceVersion. The caches hold strong references, so an object id is never
reused while cached; metadata/spec/status are checked by identity on every use.
"""

from collections.abc import Callable, Hashable, Sequence
from operator import attrgetter
from typing import Any

from shared.api.binding import ReplicaRequirements
from shared.api.cluster import Cluster
from shared.placement.estimating import MAX_INT32, general_estimate

MAX_FACTS = 16_384
"""Clusters whose facts are kept (the whole memo is dropped when full)."""
MAX_VIEWS = 64
"""Cluster sequences whose views are kept (oldest dropped first)."""
MAX_ENTRIES = 4_096
"""Per view and per cluster: placements' verdicts, requirements' estimates."""

RequirementsKey = tuple[tuple[str, str], ...] | None
_parts = attrgetter("metadata", "spec", "status")


def requirements_key(requirements: ReplicaRequirements | None) -> RequirementsKey:
    """What the general estimator reads of the requirements: the requested quantities."""
    if requirements is None:
        return None
    return tuple(requirements.resource_request.items())


class ClusterFacts:
    """One Cluster object's derived facts; `current` says whether they still describe it."""

    __slots__ = (
        "_estimates",
        "cluster",
        "deleting",
        "metadata",
        "name",
        "revision",
        "spec",
        "status",
    )

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.metadata = cluster.metadata
        self.spec = cluster.spec
        self.status = cluster.status
        self.revision = cluster.metadata.resource_version
        self.name = cluster.metadata.name
        self.deleting = bool(cluster.metadata.deletion_timestamp)
        self._estimates: dict[RequirementsKey, int] = {}

    def current(self, cluster: Cluster) -> bool:
        metadata = cluster.metadata
        return (
            metadata is self.metadata
            and cluster.spec is self.spec
            and cluster.status is self.status
            and metadata.resource_version == self.revision
        )

    def estimate(self, key: RequirementsKey, requirements: ReplicaRequirements | None) -> int:
        """`min(MAX_INT32, general_estimate(...))` for requirements with this key."""
        value = self._estimates.get(key)
        if value is None:
            value = min(MAX_INT32, general_estimate(self.cluster, requirements))
            if len(self._estimates) >= MAX_ENTRIES:
                self._estimates.clear()
            self._estimates[key] = value
        return value


_facts: dict[int, ClusterFacts] = {}


def facts_of(cluster: Cluster) -> ClusterFacts:
    """The cluster's facts, derived again when the object or its revision changed."""
    facts = _facts.get(id(cluster))
    if facts is not None and facts.cluster is cluster and facts.current(cluster):
        return facts
    facts = ClusterFacts(cluster)
    if len(_facts) >= MAX_FACTS:
        _facts.clear()
    _facts[id(cluster)] = facts
    return facts


class FleetView:
    """A sequence of clusters with memos of what placements computed over it."""

    def __init__(self, clusters: Sequence[Cluster]) -> None:
        self.clusters = tuple(clusters)
        self.facts = [facts_of(cluster) for cluster in self.clusters]
        self._parts = tuple(map(_parts, self.clusters))
        self._memo: dict[Hashable, Any] = {}
        self._estimates: dict[RequirementsKey, tuple[tuple[int, ...], bool]] = {}

    def current(self) -> bool:
        """Every cluster still has the metadata, spec and status objects it was seen with."""
        return tuple(map(_parts, self.clusters)) == self._parts

    def memo(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """`build()` once per key (placement verdicts, candidate lists) while the view lives."""
        try:
            return self._memo[key]
        except KeyError:
            pass
        value = build()
        if len(self._memo) >= MAX_ENTRIES:
            self._memo.clear()
        self._memo[key] = value
        return value

    def estimates(
        self, key: RequirementsKey, requirements: ReplicaRequirements | None
    ) -> tuple[tuple[int, ...], bool]:
        """Each cluster's capped general estimate, and whether any is MAX_INT32 (no limit)."""
        found = self._estimates.get(key)
        if found is None:
            values = tuple(0 if f.deleting else f.estimate(key, requirements) for f in self.facts)
            found = (values, MAX_INT32 in values)
            if len(self._estimates) >= MAX_ENTRIES:
                self._estimates.clear()
            self._estimates[key] = found
        return found


_views: dict[tuple[int, ...], FleetView] = {}


def view_of(clusters: Sequence[Cluster]) -> FleetView:
    """The view of exactly these cluster objects, in this order."""
    key = tuple(map(id, clusters))
    view = _views.get(key)
    if view is not None and view.current():
        return view
    view = FleetView(clusters)
    if len(_views) >= MAX_VIEWS:
        del _views[next(iter(_views))]
    _views[key] = view
    return view


def clear() -> None:
    """Forget every memo (tests; never needed for correctness)."""
    _facts.clear()
    _views.clear()
