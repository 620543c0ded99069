"""Replica division, ported from Karmada's webstermethod/binding/assignment/division tests."""

import pytest

from shared.api.binding import TargetCluster
from shared.api.cluster import Cluster
from shared.api.meta import ObjectMeta
from shared.api.propagation import Placement
from shared.placement.dividing import (
    Candidate,
    SchedulingError,
    SkewRule,
    UnschedulableError,
    allocate_webster,
    assign_replicas,
    assign_to_clusters,
    fnv1a32,
    names_descending,
    static_weights,
)

EVEN_UID = "4858ca61-3ff8-4095-8267-f3d059d8074c"
ODD_UID = "d43fdeeb-d750-4e2b-bee3-64eb94534f4c"
CLASSIC = {"PartyA": 100000, "PartyB": 80000, "PartyC": 30000, "PartyD": 20000}


def seats(result: list[TargetCluster]) -> dict[str, int]:
    return {t.name: t.replicas for t in result}


def candidate(
    name: str, allocatable: int = 0, *, labels: dict[str, str] | None = None
) -> Candidate:
    cluster = Cluster(metadata=ObjectMeta(name=name, labels=labels or {}))
    return Candidate(name=name, cluster=cluster, allocatable_replicas=allocatable)


def placement(**replica_scheduling: object) -> Placement:
    return Placement.model_validate({"replicaScheduling": replica_scheduling})


DYNAMIC = {
    "replicaDivisionPreference": "Weighted",
    "weightPreference": {"dynamicWeight": "AvailableReplicas"},
}
AGGREGATED = {"replicaDivisionPreference": "Aggregated"}


@pytest.mark.parametrize(
    ("new_seats", "expected"),
    [
        (1, [1, 0, 0, 0]),
        (2, [1, 1, 0, 0]),
        (3, [2, 1, 0, 0]),
        (4, [2, 1, 1, 0]),
        (5, [2, 2, 1, 0]),
        (6, [2, 2, 1, 1]),
        (7, [3, 2, 1, 1]),
        (8, [3, 3, 1, 1]),
    ],
)
def test_webster_classic_sainte_lague_rounds(new_seats: int, expected: list[int]) -> None:
    result = allocate_webster(new_seats, CLASSIC)
    assert [t.name for t in result] == sorted(CLASSIC)
    assert [t.replicas for t in result] == expected


@pytest.mark.parametrize(
    ("new_seats", "votes", "initial", "expected"),
    [
        (1, {}, None, {}),
        (0, {"PartyA": 100, "PartyB": 200}, None, {"PartyA": 0, "PartyB": 0}),
        (1, {"PartyA": 3, "PartyB": 1}, {"PartyA": 1, "PartyB": 0}, {"PartyA": 1, "PartyB": 1}),
        (1, {"PartyA": 1, "PartyB": 1}, None, {"PartyA": 1, "PartyB": 0}),
        (
            2,
            {"NewParty1": 1, "NewParty2": 1},
            {"OldParty": 0},
            {"NewParty1": 1, "NewParty2": 1, "OldParty": 0},
        ),
        (2, {"OldParty": 1, "NewParty": 1}, {"OldParty": 1}, {"NewParty": 2, "OldParty": 1}),
        (2, {"PartyA": 100}, {"PartyB": 3}, {"PartyA": 2, "PartyB": 3}),
    ],
    ids=[
        "empty votes",
        "zero new seats",
        "equal priority: fewer seats wins",
        "equal priority and seats: smaller name wins",
        "only new parties gain",
        "old and new compete",
        "initial party without votes gains nothing",
    ],
)
def test_webster_ties_and_initial_seats(
    new_seats: int, votes: dict[str, int], initial: dict[str, int] | None, expected: dict[str, int]
) -> None:
    assert seats(allocate_webster(new_seats, votes, initial)) == expected


def test_uid_tie_breaker_parity() -> None:
    assert fnv1a32(b"") == 0x811C9DC5
    assert fnv1a32(b"a") == 0xE40C292C
    assert names_descending(ODD_UID) is True
    assert names_descending(EVEN_UID) is False
    assert names_descending("") is False


@pytest.mark.parametrize(
    ("new_seats", "initial", "weights", "uid", "expected"),
    [
        (6, {"A": 1, "B": 2, "C": 3}, {"A": 1, "B": 2, "C": 3}, "", {"A": 2, "B": 4, "C": 6}),
        (3, {"A": 1, "B": 2, "C": 3}, {"A": 1, "B": 2, "C": 3}, "", {"A": 2, "B": 3, "C": 4}),
        (2, {"A": 1, "B": 2, "C": 3}, {"A": 1, "B": 2, "C": 3}, "", {"A": 1, "B": 3, "C": 4}),
        (1, None, {"A": 2, "B": 1}, "", {"A": 1, "B": 0}),
        (2, None, {"A": 2, "B": 1}, "", {"A": 1, "B": 1}),
        (3, None, {"A": 2, "B": 1}, "", {"A": 2, "B": 1}),
        (5, None, {"A": 170, "B": 110, "C": 60}, "", {"A": 2, "B": 2, "C": 1}),
        (6, None, {"A": 170, "B": 110, "C": 60}, "", {"A": 3, "B": 2, "C": 1}),
        (5, None, {"A": 1, "B": 1}, ODD_UID, {"A": 2, "B": 3}),
        (5, None, {"A": 1, "B": 1}, EVEN_UID, {"A": 3, "B": 2}),
    ],
    ids=[
        "scale up 6",
        "scale up 3",
        "scale up 2",
        "HA 2:1 one replica",
        "HA 2:1 two replicas",
        "HA 2:1 three replicas",
        "170:110:60 five (Webster, not largest remainder)",
        "170:110:60 six",
        "odd uid: larger name wins the tie",
        "even uid: smaller name wins the tie",
    ],
)
def test_dispenser_allocate_by_weight(
    new_seats: int,
    initial: dict[str, int] | None,
    weights: dict[str, int],
    uid: str,
    expected: dict[str, int],
) -> None:
    assert seats(allocate_webster(new_seats, weights, initial, uid=uid)) == expected


STATIC_321 = [
    {"targetCluster": {"clusterNames": ["member1"]}, "weight": 3},
    {"targetCluster": {"clusterNames": ["member2"]}, "weight": 2},
    {"targetCluster": {"clusterNames": ["member3"]}, "weight": 1},
]


@pytest.mark.parametrize(
    ("names", "weight_list", "replicas", "expected"),
    [
        (
            ["member1", "member2", "member3"],
            STATIC_321,
            12,
            {"member1": 6, "member2": 4, "member3": 2},
        ),
        (["member1", "member2", "member3"], None, 12, {"member1": 4, "member2": 4, "member3": 4}),
        (
            ["member1", "member2", "member3"],
            STATIC_321,
            13,
            {"member1": 7, "member2": 4, "member3": 2},
        ),
        (
            ["member1", "member2", "member3"],
            STATIC_321,
            14,
            {"member1": 7, "member2": 5, "member3": 2},
        ),
        (
            ["member1", "member2"],
            [*STATIC_321[:1], {"targetCluster": {"clusterNames": ["member2"]}, "weight": 1}],
            0,
            {},
        ),
        (
            ["member1", "member2"],
            [{"targetCluster": {"clusterNames": ["member1"]}, "weight": 1}],
            2,
            {"member1": 2},
        ),
        (
            ["member1", "member2"],
            [
                {"targetCluster": {"clusterNames": ["member1"]}, "weight": 1},
                {"targetCluster": {"clusterNames": ["member2"]}, "weight": 1},
                {"targetCluster": {"clusterNames": ["member1"]}, "weight": 2},
            ],
            3,
            {"member1": 2, "member2": 1},
        ),
    ],
    ids=[
        "12 by 3:2:1",
        "12 default weight",
        "13 by 3:2:1",
        "14 by 3:2:1",
        "0 replicas: nobody",
        "cluster without weight ignored",
        "max of several matching weights",
    ],
)
def test_static_weight(
    names: list[str], weight_list: list[dict] | None, replicas: int, expected: dict[str, int]
) -> None:
    strategy: dict[str, object] = {"replicaDivisionPreference": "Weighted"}
    if weight_list is not None:
        strategy["weightPreference"] = {"staticWeightList": weight_list}
    result = assign_to_clusters(
        [candidate(n) for n in names], placement=placement(**strategy), replicas=replicas, uid=""
    )
    assert seats(result) == expected


def test_static_weight_all_zero_matches_fall_back_to_one() -> None:
    weights = static_weights([candidate("a"), candidate("b")], [])
    assert weights == {"a": 1, "b": 1}


def test_static_weight_ignores_previous_result() -> None:
    strategy = {
        "replicaDivisionPreference": "Weighted",
        "weightPreference": {"staticWeightList": STATIC_321},
    }
    fresh = assign_to_clusters(
        [candidate("member1"), candidate("member2"), candidate("member3")],
        placement=placement(**strategy),
        replicas=12,
        uid="",
        previous=[TargetCluster(name="member3", replicas=12)],
    )
    assert seats(fresh) == {"member1": 6, "member2": 4, "member3": 2}


@pytest.mark.parametrize(
    ("strategy", "allocatable", "previous", "replicas", "expected"),
    [
        (
            DYNAMIC,
            {"member1": 1, "member2": 1, "member3": 1},
            {"member1": 2, "member2": 4, "member3": 6},
            6,
            {"member1": 1, "member2": 2, "member3": 3},
        ),
        (
            DYNAMIC,
            {"member1": 10, "member2": 10, "member3": 10},
            {"member1": 2, "member2": 4, "member3": 6},
            24,
            {"member1": 6, "member2": 8, "member3": 10},
        ),
        (
            AGGREGATED,
            {"member1": 1, "member2": 1, "member3": 1},
            {"member1": 4, "member2": 8},
            6,
            {"member2": 6},
        ),
        (
            AGGREGATED,
            {"member1": 100, "member2": 100},
            {"member1": 4, "member2": 8},
            8,
            {"member2": 8},
        ),
        (
            AGGREGATED,
            {"member1": 4, "member2": 6, "member3": 8},
            {"member1": 4, "member2": 8},
            24,
            {"member1": 7, "member2": 12, "member3": 5},
        ),
        (
            AGGREGATED,
            {"member1": 6, "member2": 6, "member3": 20},
            {"member1": 4, "member2": 8},
            24,
            {"member1": 10, "member2": 14},
        ),
        (
            AGGREGATED,
            {"member1": 4, "member3": 8, "member4": 12},
            {"member1": 4, "member2": 8},
            24,
            {"member1": 7, "member3": 7, "member4": 10},
        ),
        (
            DYNAMIC,
            {"member1": 6, "member2": 8, "member3": 10},
            {},
            12,
            {"member1": 3, "member2": 4, "member3": 5},
        ),
        (
            DYNAMIC,
            {"member1": 8, "member2": 8, "member3": 10},
            {},
            12,
            {"member1": 4, "member2": 4, "member3": 4},
        ),
        (
            AGGREGATED,
            {"member1": 6, "member2": 8, "member3": 10},
            {},
            12,
            {"member2": 5, "member3": 7},
        ),
        (AGGREGATED, {"member1": 12, "member2": 8, "member3": 10}, {}, 12, {"member1": 12}),
        (
            DYNAMIC,
            {"member1": 3, "member2": 3},
            {"member1": 6, "member3": 6},
            12,
            {"member1": 9, "member2": 3},
        ),
        (
            DYNAMIC,
            {"member1": 5, "member2": 5},
            {"member1": 3, "member2": 3},
            6,
            {"member1": 3, "member2": 3},
        ),
    ],
    ids=[
        "12 -> 6 dynamic 1:1:1 (scale down by previous)",
        "12 -> 24 dynamic 10:10:10",
        "12 -> 6 aggregated",
        "12 -> 8 aggregated 100:100",
        "12 -> 24 aggregated 4:6:8",
        "12 -> 24 aggregated 6:6:20 keeps used clusters first",
        "12 -> 24 aggregated, cluster2 gone, cluster4 new",
        "first 12 dynamic 6:8:10",
        "first 12 dynamic 8:8:10",
        "first 12 aggregated 6:8:10",
        "first 12 aggregated 12:8:10",
        "dynamic 3:3, cluster3 gone, cluster2 new",
        "unchanged total keeps previous",
    ],
)
def test_dynamic_scaling(
    strategy: dict[str, object],
    allocatable: dict[str, int],
    previous: dict[str, int],
    replicas: int,
    expected: dict[str, int],
) -> None:
    result = assign_to_clusters(
        [candidate(name, value) for name, value in allocatable.items()],
        placement=placement(**strategy),
        replicas=replicas,
        uid="",
        previous=[TargetCluster(name=n, replicas=r) for n, r in previous.items()],
    )
    assert seats(result) == expected


@pytest.mark.parametrize(
    ("strategy", "allocatable", "previous", "replicas", "message"),
    [
        (
            DYNAMIC,
            {"member1": 1, "member2": 1, "member3": 1},
            {"member1": 2, "member2": 4, "member3": 6},
            24,
            "failed to scale up: Clusters available replicas 3 are not enough to schedule.",
        ),
        (
            AGGREGATED,
            {"member1": 1, "member2": 1, "member3": 1},
            {"member1": 4, "member2": 8},
            24,
            "failed to scale up: Clusters available replicas 3 are not enough to schedule.",
        ),
        (
            DYNAMIC,
            {"member1": 3, "member2": 3, "member3": 3},
            {},
            12,
            "failed to scale up: Clusters available replicas 9 are not enough to schedule.",
        ),
        (
            DYNAMIC,
            {"member1": 3},
            {},
            10,
            "failed to scale up: Clusters available replicas 3 are not enough to schedule.",
        ),
    ],
)
def test_dynamic_not_enough_capacity(
    strategy: dict[str, object],
    allocatable: dict[str, int],
    previous: dict[str, int],
    replicas: int,
    message: str,
) -> None:
    with pytest.raises(UnschedulableError) as caught:
        assign_to_clusters(
            [candidate(name, value) for name, value in allocatable.items()],
            placement=placement(**strategy),
            replicas=replicas,
            uid="",
            previous=[TargetCluster(name=n, replicas=r) for n, r in previous.items()],
        )
    assert str(caught.value) == message


def test_fresh_mode_counts_current_replicas_as_capacity() -> None:
    result = assign_to_clusters(
        [candidate("member1", 2), candidate("member2", 8)],
        placement=placement(**DYNAMIC),
        replicas=10,
        uid="",
        previous=[TargetCluster(name="member1", replicas=8)],
        fresh=True,
    )
    assert seats(result) == {"member1": 6, "member2": 4}  # votes 10:8


def test_duplicated_and_non_workloads() -> None:
    members = [candidate("member1"), candidate("member2")]
    duplicated = assign_replicas(members, placement=Placement(), replicas=2, workload=True, uid="")
    assert seats(duplicated) == {"member1": 2, "member2": 2}
    config_map = assign_replicas(
        members, placement=placement(**DYNAMIC), replicas=0, workload=False, uid=""
    )
    assert seats(config_map) == {"member1": 0, "member2": 0}
    with pytest.raises(SchedulingError, match="no clusters available to schedule"):
        assign_replicas([], placement=Placement(), replicas=2, workload=True, uid="")


def test_unsupported_strategy_message() -> None:
    divided = placement(replicaSchedulingType="Divided")
    with pytest.raises(
        SchedulingError, match="replicaSchedulingType: Divided, replicaDivisionPreference: ,"
    ):
        assign_to_clusters([candidate("a")], placement=divided, replicas=1, uid="")


def test_overflow_tiers_fill_primary_first() -> None:
    members = [
        Candidate(name="primary", allocatable_replicas=4, available_replicas=4, overflow_order=0),
        Candidate(name="burst-a", allocatable_replicas=10, available_replicas=10, overflow_order=1),
        Candidate(name="burst-b", allocatable_replicas=10, available_replicas=10, overflow_order=1),
    ]
    result = assign_replicas(
        members, placement=placement(**DYNAMIC), replicas=10, workload=True, uid="", overflow=True
    )
    assert seats(result) == {"primary": 4, "burst-a": 3, "burst-b": 3}
    with pytest.raises(
        UnschedulableError, match=r"^Clusters available replicas are not enough to schedule\.$"
    ):
        assign_replicas(
            members,
            placement=placement(**DYNAMIC),
            replicas=30,
            workload=True,
            uid="",
            overflow=True,
        )


def test_max_skew_balances_domains() -> None:
    weights = {"a1": 3, "a2": 3, "b1": 1}
    zones = SkewRule(max_skew=1, domains={"a1": ("zone-a",), "a2": ("zone-a",), "b1": ("zone-b",)})
    unconstrained = seats(allocate_webster(10, weights))
    assert unconstrained == {"a1": 4, "a2": 4, "b1": 2}
    balanced = seats(allocate_webster(10, weights, skew=[zones]))
    assert balanced["a1"] + balanced["a2"] - balanced["b1"] <= 1
    assert sum(balanced.values()) == 10


def test_max_skew_that_is_never_binding_changes_nothing() -> None:
    weights = {"a": 170, "b": 110, "c": 60}
    loose = SkewRule(max_skew=1000, domains={"a": ("a",), "b": ("b",), "c": ("c",)})
    for total in range(0, 30):
        assert allocate_webster(total, weights, uid=ODD_UID, skew=[loose]) == allocate_webster(
            total, weights, uid=ODD_UID
        )
