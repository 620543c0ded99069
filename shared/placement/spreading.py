"""Which feasible clusters are selected: Karmada's spread-constraint algorithms.

Ports `core/spreadconstraint` (cluster and region selection with min/maxGroups, group
scores, the DFS over region combinations). Constraints carrying Navarch's `maxSkew` are
balance rules for division, so they are left out here and never change Karmada's choice.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from shared.api.propagation import Placement, SpreadConstraint
from shared.placement.dividing import Candidate, SchedulingError, SkewRule

WEIGHT_UNIT = 1000
INVALID_REPLICAS = -1


def sort_candidates(candidates: Sequence[Candidate]) -> list[Candidate]:
    """`sortClusters`: overflow order asc, score desc, available replicas desc, name asc."""
    return sorted(
        candidates, key=lambda c: (c.overflow_order, -c.score, -c.available_replicas, c.name)
    )


def selection_constraints(placement: Placement) -> list[SpreadConstraint]:
    """Karmada's constraints: those without Navarch's `maxSkew`."""
    return [c for c in placement.spread_constraints if c.max_skew is None]


def skew_rules(placement: Placement, candidates: Sequence[Candidate]) -> list[SkewRule]:
    """Navarch `maxSkew` constraints as per-cluster domain memberships."""
    rules: list[SkewRule] = []
    for constraint in placement.spread_constraints:
        if constraint.max_skew is None or not constraint.spread_by_field:
            continue
        domains: dict[str, tuple[str, ...]] = {}
        for candidate in candidates:
            cluster = candidate.cluster
            if constraint.spread_by_field == "cluster" or cluster is None:
                domains[candidate.name] = (candidate.name,)
            elif constraint.spread_by_field == "region":
                domains[candidate.name] = (cluster.spec.region,) if cluster.spec.region else ()
            elif constraint.spread_by_field == "provider":
                provider = cluster.spec.provider
                domains[candidate.name] = (provider,) if provider else ()
            else:
                domains[candidate.name] = tuple(cluster.effective_zones())
        rules.append(SkewRule(max_skew=constraint.max_skew, domains=domains))
    return rules


def _ignores_spread(placement: Placement) -> bool:
    """Static weight (Divided+Weighted without dynamic weight) selects every cluster."""
    strategy = placement.replica_scheduling
    if strategy is None or strategy.replica_scheduling_type != "Divided":
        return False
    if strategy.replica_division_preference != "Weighted":
        return False
    preference = strategy.weight_preference
    return preference is None or (
        bool(preference.static_weight_list) and not preference.dynamic_weight
    )


def _ignores_capacity(placement: Placement) -> bool:
    strategy = placement.replica_scheduling
    return strategy is None or strategy.replica_scheduling_type == "Duplicated"


def _constraint(constraints: Sequence[SpreadConstraint], field: str) -> SpreadConstraint:
    """The last constraint for a field, or the zero value Go would read from the map."""
    found = SpreadConstraint()
    for constraint in constraints:
        if constraint.spread_by_field == field:
            found = constraint
    return found


def group_score(
    clusters: Sequence[Candidate],
    *,
    placement: Placement,
    replicas: int,
    min_groups: int,
    constraints: Sequence[SpreadConstraint],
) -> int:
    """`calcGroupScore`: capacity toward the target first (x1000), then average score."""
    if placement.replica_scheduling_type() == "Duplicated":
        valid = [c for c in clusters if c.available_replicas >= replicas]
        if not valid:
            return 0
        return len(valid) * WEIGHT_UNIT + sum(c.score for c in valid) // len(valid)
    target = math.ceil(replicas / max(min_groups, 1))
    cluster_min = max(_constraint(constraints, "cluster").min_groups, min_groups)
    available = score = walked = 0
    for candidate in clusters:
        available += candidate.available_replicas
        score += candidate.score
        walked += 1
        if walked >= cluster_min and available >= target:
            break
    if available < target:
        return available * WEIGHT_UNIT + score // len(clusters)
    return target * WEIGHT_UNIT + score // walked


@dataclass(frozen=True)
class Group:
    name: str
    value: int
    weight: int


def _find_paths(groups: list[Group], low: int, high: int, target: int) -> list[list[Group]]:
    """DFS over combinations; a branch stops at the first length in range reaching target."""
    groups = sorted(groups, key=lambda g: (g.value, -g.weight, g.name))
    paths: list[list[Group]] = []
    path: list[Group] = []

    def walk(total: int, begin: int) -> None:
        if total >= target and low <= len(path) <= high:
            paths.append(sorted(path, key=lambda g: (-g.weight, g.name)))
            return
        if len(path) >= high:
            return
        for index in range(begin, len(groups)):
            path.append(groups[index])
            walk(total + groups[index].value, index + 1)
            if len(groups) == low:
                break
            path.pop()

    walk(0, 0)
    return paths


def select_groups(groups: list[Group], low: int, high: int, target: int) -> list[Group]:
    """`selectGroups`: best weight, then value, then discovery; a feasible prefix wins."""
    if not groups:
        return []
    paths = _find_paths(groups, low, high, target)
    if not paths:
        return []
    ranked = sorted(
        enumerate(paths),
        key=lambda item: (-sum(g.weight for g in item[1]), -sum(g.value for g in item[1]), item[0]),
    )
    best = ranked[0][1]
    for _, path in ranked[1:]:
        if len(path) < len(best) and [g.name for g in best[: len(path)]] == [g.name for g in path]:
            best = path
    return best


def _by_cluster(
    constraint: SpreadConstraint, clusters: list[Candidate], need_replicas: int
) -> list[Candidate]:
    if len(clusters) < constraint.min_groups:
        raise SchedulingError(
            "the number of feasible clusters is less than spreadConstraint.MinGroups"
        )
    need = min(len(clusters), constraint.max_groups)
    if need_replicas == INVALID_REPLICAS:
        return clusters[:need]
    chosen, rest = list(clusters[:need]), list(clusters[need:])
    position = len(chosen) - 1
    while sum(c.available_replicas for c in chosen) < need_replicas and position >= 0:
        best, best_available = -1, chosen[position].available_replicas
        for index, candidate in enumerate(rest):
            if candidate.available_replicas > best_available:
                best, best_available = index, candidate.available_replicas
        if best != -1:
            chosen[position], rest[best] = rest[best], chosen[position]
        position -= 1
    if sum(c.available_replicas for c in chosen) < need_replicas:
        raise SchedulingError(f"no enough resource when selecting {need} clusters")
    return chosen


def _by_region(
    constraints: Sequence[SpreadConstraint],
    clusters: list[Candidate],
    *,
    placement: Placement,
    replicas: int,
) -> list[Candidate]:
    region_constraint = _constraint(constraints, "region")
    cluster_constraint = _constraint(constraints, "cluster")
    regions: dict[str, list[Candidate]] = {}
    for candidate in clusters:
        region = candidate.cluster.spec.region if candidate.cluster else None
        if region:
            regions.setdefault(region, []).append(candidate)
    if len(regions) < region_constraint.min_groups:
        raise SchedulingError(
            "the number of feasible region is less than spreadConstraint.MinGroups"
        )
    groups = [
        Group(
            name,
            len(members),
            group_score(
                members,
                placement=placement,
                replicas=replicas,
                min_groups=region_constraint.min_groups,
                constraints=constraints,
            ),
        )
        for name, members in regions.items()
    ]
    chosen = select_groups(
        groups,
        region_constraint.min_groups,
        region_constraint.max_groups,
        cluster_constraint.min_groups,
    )
    if not chosen:
        raise SchedulingError(
            "the number of clusters is less than the cluster spreadConstraint.MinGroups"
        )
    selected = [regions[g.name][0] for g in chosen]
    rest = sort_candidates([c for g in chosen for c in regions[g.name][1:]])
    need = min(len(selected) + len(rest), cluster_constraint.max_groups)
    return selected + rest[: max(need - len(selected), 0)]


def select_clusters(
    candidates: Sequence[Candidate],
    *,
    placement: Placement,
    replicas: int,
    presorted: bool = False,
) -> list[Candidate]:
    """`SelectBestClusters` over the candidates in `sort_candidates` order.

    `presorted`: the caller already sorted them (the list is then never modified).
    """
    clusters = list(candidates) if presorted else sort_candidates(candidates)
    constraints = selection_constraints(placement)
    if not constraints or _ignores_spread(placement):
        return clusters
    need_replicas = INVALID_REPLICAS if _ignores_capacity(placement) else replicas
    fields = {c.spread_by_field for c in constraints}
    if "region" in fields:
        return _by_region(constraints, clusters, placement=placement, replicas=replicas)
    if "cluster" in fields:
        return _by_cluster(_constraint(constraints, "cluster"), clusters, need_replicas)
    raise SchedulingError("just support cluster and region spread constraint")


def with_scores(candidates: Sequence[Candidate], scores: dict[str, int]) -> list[Candidate]:
    return [replace(c, score=scores.get(c.name, 0)) for c in candidates]
