"""When a member's copy must go, and the hub finalizer that makes sure it does.

Pure decisions: whether a cluster keeps, gets or loses a binding's object, which members
a deleting binding still waits for, and the finalizer edits. A binding carries
`navarch.dev/override-engine` before anything of it is applied and keeps it until every
member it may have reached confirmed the removal (or left the fleet), so deleting a binding
(template deleted, policy deleted) waits until every member copy is gone, across restarts;
a member that is unreachable keeps its Work (and the binding its finalizer) until it
answers again, as Karmada's execution controller does.
"""

import copy
from collections.abc import Iterable
from typing import Any, Literal

from shared.api.binding import ResourceBindingSpec

FINALIZER = "navarch.dev/override-engine"
Object = dict[str, Any]
Placement = Literal["apply", "keep", "remove"]


def placement(
    spec: ResourceBindingSpec | None, *, deleting: bool, cluster: str, cluster_present: bool
) -> Placement:
    """apply: the cluster is a target; keep: it is being gracefully evicted (its copy stays
    untouched until the task goes); remove: anything else, including a detached cluster."""
    if spec is None or deleting or not cluster_present:
        return "remove"
    if spec.target_contains(cluster):
        return "apply"
    if cluster in spec.evicting_clusters():
        return "keep"
    return "remove"


def clusters_to_visit(spec: ResourceBindingSpec | None, work_clusters: Iterable[str]) -> set[str]:
    """Targets, clusters under eviction, and every cluster that has a Work of the binding
    (it may hold a copy that must go)."""
    clusters = set(work_clusters)
    if spec is not None:
        clusters.update(target.name for target in spec.clusters)
        clusters.update(spec.evicting_clusters())
    return clusters


def awaiting_removal(
    *,
    visited: Iterable[str],
    with_work: Iterable[str],
    sessions: Iterable[str],
    confirmed: Iterable[str],
) -> set[str]:
    """The clusters a deleting binding still waits for: every cluster holding its Work (the
    durable record that a copy may be there; it goes once the member confirmed the removal
    or the cluster left the fleet), and every visited cluster with a live session that has
    not confirmed yet (an apply may be in flight there)."""
    live = set(visited) & set(sessions)
    return set(with_work) | (live - set(confirmed))


def has_finalizer(obj: Object | None) -> bool:
    """Navarch's finalizer is on the object: nothing of it reaches a member before."""
    return obj is not None and FINALIZER in (obj["metadata"].get("finalizers") or [])


def is_deleting(obj: Object | None) -> bool:
    return obj is not None and bool(obj["metadata"].get("deletionTimestamp"))


def with_finalizer(obj: Object) -> Object | None:
    """The object with Navarch's finalizer added; None when it already has it."""
    finalizers = list(obj["metadata"].get("finalizers") or [])
    if FINALIZER in finalizers:
        return None
    updated = copy.copy(obj)
    updated["metadata"] = dict(obj["metadata"], finalizers=[*finalizers, FINALIZER])
    return updated


def without_finalizer(obj: Object) -> Object | None:
    """The object without Navarch's finalizer; None when it does not have it."""
    finalizers = list(obj["metadata"].get("finalizers") or [])
    if FINALIZER not in finalizers:
        return None
    updated = copy.copy(obj)
    updated["metadata"] = dict(
        obj["metadata"], finalizers=[f for f in finalizers if f != FINALIZER]
    )
    return updated


def finalizer_added(obj: Object) -> Object | None:
    """The change a live binding gets: Navarch's finalizer, unless it is already being
    deleted by the time the write happens (no new finalizer on a deleting object)."""
    return None if is_deleting(obj) else with_finalizer(obj)


def finalizer_released(obj: Object, *, uid: str | None) -> Object | None:
    """The change a deleting binding gets once every member confirmed the removal: only
    that very binding (same uid, still deleting) loses the finalizer, never a new one of
    the same name a conflict re-read found instead."""
    if not is_deleting(obj) or obj["metadata"].get("uid") != uid:
        return None
    return without_finalizer(obj)
