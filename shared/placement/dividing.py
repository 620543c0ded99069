"""How many replicas each selected cluster gets: Karmada's assignment strategies (≥ v1.16).

Duplicated, StaticWeight, DynamicWeight and Aggregated, all weighted ones by Webster /
Sainte-Laguë with Karmada's uid-seeded tie-break, and dynamic scale up/down that keeps the
previous assignment (`core/assignment.go`, `core/division_algorithm.go`,
`util/helper/{binding,webstermethod}.go`). `SkewRule` is Navarch's `maxSkew` extension: it
only narrows Webster's choice when present.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

from shared.api.affinity import cluster_matches
from shared.api.binding import TargetCluster
from shared.api.cluster import Cluster
from shared.api.propagation import Placement, StaticClusterWeight
from shared.placement.skewing import Party, SkewRule, skewed_seats
from shared.placement.webster import divide_seats

Strategy = Literal["Duplicated", "Aggregated", "StaticWeight", "DynamicWeight"]


class UnschedulableError(Exception):
    """Not enough capacity: Karmada keeps the previous result (not a FitError)."""


class SchedulingError(Exception):
    """Any other scheduling failure (unsupported strategy, spread selection)."""


@dataclass(frozen=True)
class Candidate:
    """A selected cluster as division sees it (`spreadconstraint.ClusterDetailInfo`)."""

    name: str
    cluster: Cluster | None = None
    allocatable_replicas: int = 0
    available_replicas: int = 0
    overflow_order: int = 0
    score: int = 0


def fnv1a32(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value ^= byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


@lru_cache(maxsize=65_536)
def names_descending(uid: str) -> bool:
    """Karmada's tie-breaker: odd fnv1a32(uid) ⇒ the larger name wins, else the smaller."""
    return bool(uid) and fnv1a32(uid.encode()) & 1 == 1


def webster_seats(
    new_seats: int,
    votes: Mapping[str, int],
    initial: Mapping[str, int] | None = None,
    *,
    uid: str = "",
    skew: Sequence[SkewRule] = (),
    base_counts: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """`AllocateWebsterSeats` as seats per party (initial parties first, then new voters).

    Karmada's order is total (priority, then seats, then the uid's name rule, names are
    unique); the seats are found by arithmetic (`webster.py`), or under Navarch's skew rules
    coarse to fine (`skewing.py`), never one loop turn per replica.
    """
    descending = names_descending(uid)
    if skew:
        parties: dict[str, Party] = {}
        for name, held in (initial or {}).items():
            parties[name] = Party(name, 0, held, descending)
        for name, vote in votes.items():
            if name in parties:
                parties[name].votes = vote
            else:
                parties[name] = Party(name, vote, 0, descending)
        return skewed_seats(new_seats, list(parties.values()), skew, base_counts or {})
    seats = {name: held for name, held in (initial or {}).items()}
    ballots = dict.fromkeys(seats, 0)
    for name, vote in votes.items():
        ballots[name] = vote
        seats.setdefault(name, 0)
    return divide_seats(new_seats, ballots, seats, descending=descending)


def allocate_webster(
    new_seats: int,
    votes: Mapping[str, int],
    initial: Mapping[str, int] | None = None,
    *,
    uid: str = "",
    skew: Sequence[SkewRule] = (),
    base_counts: Mapping[str, int] | None = None,
) -> list[TargetCluster]:
    """`AllocateWebsterSeats` with the uid tie-breaker (fewer seats, then the name rule)."""
    seats = webster_seats(new_seats, votes, initial, uid=uid, skew=skew, base_counts=base_counts)
    return [TargetCluster(name=name, replicas=seats[name]) for name in sorted(seats)]


def _seated(seats: Mapping[str, int]) -> list[TargetCluster]:
    """Targets of the parties with seats, by name: what division keeps of a Webster result."""
    return [
        TargetCluster(name=name, replicas=seats[name]) for name in sorted(seats) if seats[name] > 0
    ]


def merge_targets(
    previous: Sequence[TargetCluster], new: Sequence[TargetCluster]
) -> list[TargetCluster]:
    """`util.MergeTargetClusters`: add replicas by name, previous order first."""
    merged = [TargetCluster(name=t.name, replicas=t.replicas) for t in previous]
    index = {t.name: i for i, t in enumerate(merged)}
    for target in new:
        if target.name in index:
            merged[index[target.name]].replicas += target.replicas
        else:
            index[target.name] = len(merged)
            merged.append(TargetCluster(name=target.name, replicas=target.replicas))
    return merged


def strategy_of(placement: Placement) -> Strategy | None:
    """Karmada's strategy type; None when Divided has no (defaulted) preference."""
    strategy = placement.replica_scheduling
    if strategy is None or strategy.replica_scheduling_type == "Duplicated":
        return "Duplicated"
    if strategy.replica_division_preference == "Aggregated":
        return "Aggregated"
    if strategy.replica_division_preference == "Weighted":
        preference = strategy.weight_preference
        if preference is not None and preference.dynamic_weight:
            return "DynamicWeight"
        return "StaticWeight"
    return None


def static_weights(
    candidates: Sequence[Candidate], weight_list: Sequence[StaticClusterWeight] | None
) -> dict[str, int]:
    """Max matching weight per cluster; zero-weight clusters dropped; all zero ⇒ all 1."""
    if weight_list is None:
        return {c.name: 1 for c in candidates}
    weights: dict[str, int] = {}
    for candidate in candidates:
        weight = 0
        for rule in weight_list:
            if candidate.cluster is not None and cluster_matches(
                candidate.cluster, rule.target_cluster
            ):
                weight = max(weight, rule.weight)
        if weight > 0:
            weights[candidate.name] = weight
    if sum(weights.values()) == 0:
        return {c.name: 1 for c in candidates}
    return weights


class _Offer(NamedTuple):
    """A cluster's capacity offered to division: a TargetCluster's shape without pydantic."""

    name: str
    replicas: int


_Replicas = TargetCluster | _Offer


def _stable_desc(targets: Sequence[_Replicas]) -> list[_Replicas]:
    return sorted(targets, key=lambda t: -t.replicas)


@dataclass(frozen=True)
class _Division:
    strategy: Strategy
    replicas: int
    uid: str
    skew: Sequence[SkewRule]


def _dynamic_divide(
    division: _Division,
    available: list[_Replicas],
    target: int,
    scheduled: Sequence[TargetCluster],
) -> list[TargetCluster]:
    total = sum(t.replicas for t in available)
    if total < target:
        raise UnschedulableError(f"Clusters available replicas {total} are not enough to schedule.")
    if division.strategy == "Aggregated":
        prior = {t.name for t in scheduled if t.replicas > 0}
        if prior:
            available = [t for t in available if t.name in prior] + [
                t for t in available if t.name not in prior
            ]
        running = 0
        for index, entry in enumerate(available):
            running += entry.replicas
            if running >= target:
                available = available[: index + 1]
                break
    base = {t.name: t.replicas for t in scheduled}
    votes = {t.name: t.replicas for t in available}
    seats = webster_seats(target, votes, uid=division.uid, skew=division.skew, base_counts=base)
    # Zero-seat parties would be merged as zero targets and dropped by the caller.
    return merge_targets(scheduled, _seated(seats))


def _assign_dynamic(
    division: _Division,
    candidates: Sequence[Candidate],
    previous: Sequence[TargetCluster],
    fresh: bool,
) -> list[TargetCluster]:
    """Steady mode keeps the previous result and divides only the difference; Fresh restarts."""
    names = {c.name for c in candidates}
    scheduled = [t for t in previous if t.name in names]
    assigned = sum(t.replicas for t in scheduled)
    allocatable = [_Offer(c.name, c.allocatable_replicas) for c in candidates]
    available: Sequence[_Replicas]
    if fresh:
        current = {t.name: t.replicas for t in scheduled}
        boosted = [_Offer(t.name, t.replicas + current.get(t.name, 0)) for t in allocatable]
        step, available, target, keep = "do fresh scale", boosted, division.replicas, []
    elif assigned > division.replicas:
        step, available, target, keep = "scale down", scheduled, division.replicas, []
    elif assigned < division.replicas:
        step, available, target = "scale up", allocatable, division.replicas - assigned
        keep = scheduled
    else:
        return scheduled
    try:
        return _dynamic_divide(division, _stable_desc(available), target, keep)
    except UnschedulableError as error:
        raise UnschedulableError(f"failed to {step}: {error}") from error


def assign_to_clusters(
    candidates: Sequence[Candidate],
    *,
    placement: Placement,
    replicas: int,
    uid: str,
    previous: Sequence[TargetCluster] = (),
    fresh: bool = False,
    skew: Sequence[SkewRule] = (),
) -> list[TargetCluster]:
    """`assignReplicasToClusters`: one strategy over these candidates, zero entries dropped."""
    strategy = strategy_of(placement)
    if strategy is None:
        scheduling = placement.replica_scheduling
        kind = scheduling.replica_scheduling_type if scheduling else ""
        preference = scheduling.replica_division_preference if scheduling else ""
        raise SchedulingError(
            "unsupported replica scheduling strategy, replicaSchedulingType: "
            f"{kind}, replicaDivisionPreference: {preference}, "
            "please try another scheduling strategy"
        )
    division = _Division(strategy, replicas, uid, skew)
    if strategy == "Duplicated":
        result = [TargetCluster(name=c.name, replicas=replicas) for c in candidates]
    elif strategy == "StaticWeight":
        scheduling = placement.replica_scheduling
        preference = scheduling.weight_preference if scheduling else None
        weights = static_weights(candidates, preference.static_weight_list if preference else None)
        result = _seated(webster_seats(replicas, weights, uid=uid, skew=skew)) if weights else []
    else:
        result = _assign_dynamic(division, candidates, previous, fresh)
    return [t for t in result if t.replicas > 0]


def assign_replicas(
    candidates: Sequence[Candidate],
    *,
    placement: Placement,
    replicas: int,
    workload: bool,
    uid: str,
    previous: Sequence[TargetCluster] = (),
    fresh: bool = False,
    overflow: bool = False,
    skew: Sequence[SkewRule] = (),
) -> list[TargetCluster]:
    """`AssignReplicas`: non-workloads go everywhere without counts; overflow runs tier by tier."""
    if not candidates:
        raise SchedulingError("no clusters available to schedule")
    if not workload:
        return [TargetCluster(name=c.name) for c in candidates]
    if not overflow:
        return assign_to_clusters(
            candidates,
            placement=placement,
            replicas=replicas,
            uid=uid,
            previous=previous,
            fresh=fresh,
            skew=skew,
        )
    tiers: dict[int, list[Candidate]] = {}
    for candidate in candidates:
        tiers.setdefault(candidate.overflow_order, []).append(candidate)
    remaining = replicas
    results: list[TargetCluster] = []
    for order in sorted(tiers):
        tier = tiers[order]
        tier_replicas = min(remaining, sum(c.available_replicas for c in tier))
        results.extend(
            assign_to_clusters(
                tier,
                placement=placement,
                replicas=tier_replicas,
                uid=uid,
                previous=previous,
                fresh=fresh,
                skew=skew,
            )
        )
        remaining -= tier_replicas
        if remaining <= 0:
            break
    if remaining > 0:
        raise UnschedulableError("Clusters available replicas are not enough to schedule.")
    return results
