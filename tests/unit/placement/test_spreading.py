"""Cluster selection with spread constraints, ported from Karmada's spreadconstraint tests."""

import pytest

from shared.api.cluster import Cluster, ClusterSpec
from shared.api.meta import ObjectMeta
from shared.api.propagation import Placement, SpreadConstraint
from shared.placement.dividing import Candidate, SchedulingError
from shared.placement.spreading import (
    Group,
    group_score,
    select_clusters,
    select_groups,
    selection_constraints,
    skew_rules,
    sort_candidates,
)


def groups(*specs: tuple[str, int, int]) -> list[Group]:
    return [Group(name, value, weight) for name, value, weight in specs]


@pytest.mark.parametrize(
    ("candidates", "low", "high", "target", "expected"),
    [
        ([], 2, 3, 1, []),
        ([("R1", 1, 80)], 2, 3, 1, []),
        ([("R1", 1, 80), ("R2", 2, 30)], 2, 3, 4, []),
        ([("R1", 1, 80)], 1, 3, 1, ["R1"]),
        (
            [
                ("R1", 1, 80),
                ("R3", 1, 80),
                ("R2", 1, 60),
                ("R5", 2, 60),
                ("R4", 5, 50),
                ("R6", 3, 50),
            ],
            1,
            3,
            10,
            ["R5", "R4", "R6"],
        ),
        (
            [
                ("R1", 1, 80),
                ("R2", 4, 40),
                ("R3", 1, 30),
                ("R4", 3, 30),
                ("R5", 3, 20),
                ("R6", 5, 10),
            ],
            2,
            6,
            5,
            ["R1", "R2"],
        ),
        (
            [
                ("R1", 1, 60),
                ("R2", 1, 50),
                ("R3", 1, 40),
                ("R4", 3, 30),
                ("R5", 3, 20),
                ("R6", 3, 10),
            ],
            1,
            3,
            6,
            ["R1", "R4", "R5"],
        ),
        ([("R1", 1, 60), ("R2", 2, 50), ("R3", 3, 40), ("R4", 4, 30)], 1, 2, 5, ["R1", "R4"]),
        ([("R4", 1, 60), ("R3", 3, 50), ("R1", 3, 40), ("R2", 4, 30)], 1, 2, 5, ["R3", "R1"]),
    ],
    ids=[
        "empty groups",
        "not enough groups",
        "not enough value",
        "select one group",
        "prioritize one path",
        "select groups with less total number",
        "select groups with the highest score",
        "select groups that are chosen earlier",
        "select groups with greater value",
    ],
)
def test_select_groups(
    candidates: list[tuple[str, int, int]], low: int, high: int, target: int, expected: list[str]
) -> None:
    assert [g.name for g in select_groups(groups(*candidates), low, high, target)] == expected


def member(
    name: str, *, score: int = 0, available: int = 0, region: str | None = None
) -> Candidate:
    cluster = Cluster(metadata=ObjectMeta(name=name), spec=ClusterSpec(region=region))
    return Candidate(
        name=name,
        cluster=cluster,
        score=score,
        available_replicas=available,
        allocatable_replicas=available,
    )


def spread(*constraints: dict[str, object], **scheduling: object) -> Placement:
    data: dict[str, object] = {"spreadConstraints": list(constraints)}
    if scheduling:
        data["replicaScheduling"] = scheduling
    return Placement.model_validate(data)


DYNAMIC = {
    "replicaDivisionPreference": "Weighted",
    "weightPreference": {"dynamicWeight": "AvailableReplicas"},
}


def test_candidate_order() -> None:
    ordered = sort_candidates(
        [
            member("b", available=5),
            member("a", available=5),
            member("c", score=100),
            member("d", available=9),
        ]
    )
    assert [c.name for c in ordered] == ["c", "d", "a", "b"]


def test_cluster_constraint_swaps_in_capacity() -> None:
    # Karmada's selectClustersByAvailableResource example: member1 and member3 are chosen.
    candidates = [
        member("member1", score=60, available=40),
        member("member2", score=50, available=30),
        member("member3", score=40, available=60),
    ]
    placement = spread({"spreadByField": "cluster", "maxGroups": 2, "minGroups": 1}, **DYNAMIC)
    chosen = select_clusters(candidates, placement=placement, replicas=80)
    assert [c.name for c in chosen] == ["member1", "member3"]


def test_cluster_constraint_duplicated_ignores_capacity() -> None:
    candidates = [member("a", available=1), member("b", available=0), member("c", available=5)]
    placement = spread({"spreadByField": "cluster", "maxGroups": 2, "minGroups": 1})
    assert [c.name for c in select_clusters(candidates, placement=placement, replicas=80)] == [
        "c",
        "a",
    ]


@pytest.mark.parametrize(
    ("constraints", "scheduling", "replicas", "message"),
    [
        (
            [{"spreadByField": "cluster", "minGroups": 4, "maxGroups": 5}],
            {},
            1,
            "the number of feasible clusters is less than spreadConstraint.MinGroups",
        ),
        (
            [{"spreadByField": "cluster", "minGroups": 1, "maxGroups": 2}],
            DYNAMIC,
            100,
            "no enough resource when selecting 2 clusters",
        ),
        (
            [{"spreadByLabel": "team", "minGroups": 1}],
            {},
            1,
            "just support cluster and region spread constraint",
        ),
        (
            [
                {"spreadByField": "region", "minGroups": 3},
                {"spreadByField": "cluster", "minGroups": 1, "maxGroups": 3},
            ],
            {},
            1,
            "the number of feasible region is less than spreadConstraint.MinGroups",
        ),
        (
            [
                {"spreadByField": "region", "minGroups": 1, "maxGroups": 1},
                {"spreadByField": "cluster", "minGroups": 3, "maxGroups": 3},
            ],
            {},
            1,
            "the number of clusters is less than the cluster spreadConstraint.MinGroups",
        ),
    ],
)
def test_selection_errors(
    constraints: list[dict[str, object]], scheduling: dict[str, object], replicas: int, message: str
) -> None:
    candidates = [
        member("a", available=10, region="r1"),
        member("b", available=10, region="r1"),
        member("c", available=10, region="r2"),
    ]
    with pytest.raises(SchedulingError, match=f"^{message}$"):
        select_clusters(candidates, placement=spread(*constraints, **scheduling), replicas=replicas)


def test_zero_max_groups_selects_nothing() -> None:
    placement = spread({"spreadByField": "cluster", "minGroups": 1})
    assert select_clusters([member("a")], placement=placement, replicas=1) == []


def test_static_weight_ignores_spread_constraints() -> None:
    placement = spread(
        {"spreadByField": "cluster", "maxGroups": 1, "minGroups": 1},
        replicaDivisionPreference="Weighted",
        weightPreference={"staticWeightList": [{"targetCluster": {}, "weight": 1}]},
    )
    chosen = select_clusters([member("a"), member("b")], placement=placement, replicas=2)
    assert [c.name for c in chosen] == ["a", "b"]


def test_region_algorithm_best_cluster_per_region_then_fill() -> None:
    candidates = [
        member("east-1", available=10, region="east"),
        member("east-2", available=8, region="east"),
        member("west-1", available=6, region="west"),
        member("west-2", available=2, region="west"),
        member("north-1", available=1, region="north"),
    ]
    placement = spread(
        {"spreadByField": "region", "minGroups": 2, "maxGroups": 2},
        {"spreadByField": "cluster", "minGroups": 3, "maxGroups": 3},
        **DYNAMIC,
    )
    chosen = select_clusters(candidates, placement=placement, replicas=12)
    # east scores 6000, west 6000 (6 toward target 6), north 1000: east+west; then
    # east-1 and west-1 as region leaders, east-2 is the best of the rest.
    assert [c.name for c in chosen] == ["east-1", "west-1", "east-2"]


def test_group_scores() -> None:
    duplicated = Placement()
    clusters = [member("a", score=100, available=60), member("b", score=100, available=10)]
    assert (
        group_score(clusters, placement=duplicated, replicas=50, min_groups=1, constraints=[])
        == 1100
    )
    divided = spread(**DYNAMIC)
    short = [member(f"m{i}", score=100, available=v) for i, v in enumerate([10, 10, 10, 10, 5])]
    assert (
        group_score(short, placement=divided, replicas=100, min_groups=2, constraints=[]) == 45100
    )
    enough = [member(f"n{i}", available=v) for i, v in enumerate([40, 30, 10, 10])]
    assert (
        group_score(enough, placement=divided, replicas=100, min_groups=2, constraints=[]) == 50000
    )


def test_max_skew_constraints_take_no_part_in_selection() -> None:
    placement = Placement.model_validate(
        {
            "spreadConstraints": [
                {"spreadByField": "region", "maxSkew": 2, "minGroups": 1},
                {"spreadByField": "zone", "maxSkew": 1, "minGroups": 1},
            ]
        }
    )
    assert selection_constraints(placement) == []
    candidates = [member("a", region="r1"), member("b", region="r2")]
    assert [c.name for c in select_clusters(candidates, placement=placement, replicas=4)] == [
        "a",
        "b",
    ]
    rules = skew_rules(placement, candidates)
    assert [rule.max_skew for rule in rules] == [2, 1]
    assert rules[0].domains == {"a": ("r1",), "b": ("r2",)}


def test_spread_constraint_defaults_are_karmada_zero_values() -> None:
    assert SpreadConstraint().max_groups == 0
    assert SpreadConstraint().max_skew is None
