"""Memoized placement facts: a changed cluster or placement is never served from a memo."""

import heapq
import random
from collections.abc import Mapping

import pytest

from shared.api.affinity import ClusterAffinity
from shared.api.binding import ObjectReference, ReplicaRequirements, TargetCluster
from shared.api.cluster import Cluster, ClusterSpec
from shared.api.meta import Taint, Toleration
from shared.api.propagation import (
    Placement,
    PlacementClusterAffinity,
    SpreadConstraint,
    default_placement,
)
from shared.placement import caching
from shared.placement.dividing import names_descending, webster_seats
from shared.placement.filtering import (
    FILTER_PLUGINS,
    FilterContext,
    verdict,
)
from shared.placement.placing import PlacementResult, place
from shared.placement.skewing import Party

APPS = [{"groupVersion": "apps/v1", "resources": [{"name": "deployments", "kind": "Deployment"}]}]
DEPLOY = ObjectReference(api_version="apps/v1", kind="Deployment", name="web", uid="uid-7")
REQUEST = ReplicaRequirements(resource_request={"cpu": "500m"})
DYNAMIC = {
    "replicaScheduling": {
        "replicaSchedulingType": "Divided",
        "replicaDivisionPreference": "Weighted",
        "weightPreference": {"dynamicWeight": "AvailableReplicas"},
    }
}


def member(name: str, cpu: str = "8", *, revision: str | None = None, **spec: object) -> Cluster:
    return Cluster.model_validate(
        {
            "metadata": {"name": name, "resourceVersion": revision, "labels": {"tier": name[-1]}},
            "spec": {"region": f"r{name[-1]}", "zones": [f"z{name[-1]}"], **spec},
            "status": {
                "apiEnablements": APPS,
                "resourceSummary": {"allocatable": {"cpu": cpu, "pods": "100"}},
            },
        }
    )


def run(clusters: list[Cluster], placement: Placement, replicas: int = 6) -> PlacementResult:
    return place(
        resource=DEPLOY,
        replicas=replicas,
        replica_requirements=REQUEST,
        placement=placement,
        clusters=clusters,
    )


def targets(result: PlacementResult) -> dict[str, int]:
    return {t.name: t.replicas for t in result.clusters or []}


@pytest.fixture(autouse=True)
def fresh_memos() -> None:
    caching.clear()


def test_a_new_cluster_object_is_not_served_from_the_memo() -> None:
    dynamic = default_placement(Placement.model_validate(DYNAMIC))
    clusters = [member("m1", "1"), member("m2", "2")]
    assert targets(run(clusters, dynamic)) == {"m1": 2, "m2": 4}
    clusters[1] = member("m2", "1")
    assert targets(run(clusters, dynamic, replicas=4)) == {"m1": 2, "m2": 2}
    tainted = member("m2", "1", taints=[{"key": "k", "effect": "NoSchedule"}])
    assert targets(run([clusters[0], tainted], dynamic, replicas=2)) == {"m1": 2}


def test_a_new_revision_of_the_same_cluster_is_derived_again() -> None:
    first = member("m1", "1", revision="1")
    facts = caching.facts_of(first)
    assert caching.facts_of(first) is facts
    second = member("m1", "4", revision="2")
    assert caching.facts_of(second) is not facts
    assert caching.facts_of(second).estimate(("cpu", "500m"), REQUEST) == 8


def test_reassigned_spec_or_status_invalidates_the_view() -> None:
    dynamic = default_placement(Placement.model_validate(DYNAMIC))
    clusters = [member("m1", "1"), member("m2", "2")]
    assert targets(run(clusters, dynamic)) == {"m1": 2, "m2": 4}
    clusters[1].status = member("m2", "8").status
    assert targets(run(clusters, dynamic, replicas=9)) == {"m1": 1, "m2": 8}
    clusters[1].spec = ClusterSpec(taints=[Taint(key="k", effect="NoExecute")])
    assert targets(run(clusters, dynamic, replicas=2)) == {"m1": 2}


def test_a_placement_edited_in_place_is_a_new_key() -> None:
    placement = default_placement(Placement.model_validate(DYNAMIC))
    clusters = [member("m1"), member("m2")]
    assert set(targets(run(clusters, placement))) == {"m1", "m2"}
    placement.cluster_affinity = PlacementClusterAffinity(cluster_names=["m2"])
    assert targets(run(clusters, placement)) == {"m2": 6}


def test_previous_result_and_eviction_are_applied_per_binding() -> None:
    dynamic = default_placement(Placement.model_validate(DYNAMIC))
    taint = {"key": "k", "effect": "NoSchedule"}
    clusters = [member("m1", "1"), member("m2", "2", taints=[taint])]
    assert targets(run(clusters, dynamic, replicas=2)) == {"m1": 2}
    kept = place(
        resource=DEPLOY,
        replicas=3,
        replica_requirements=REQUEST,
        placement=dynamic,
        clusters=clusters,
        previous=[TargetCluster(name="m2", replicas=1)],
    )
    assert targets(kept) == {"m2": 2, "m1": 1}
    evicted = place(
        resource=DEPLOY,
        replicas=2,
        replica_requirements=REQUEST,
        placement=dynamic,
        clusters=clusters,
        previous=[TargetCluster(name="m2", replicas=2)],
        evicting={"m2"},
    )
    assert targets(evicted) == {"m1": 2}


def _reference_webster(
    new_seats: int, votes: Mapping[str, int], initial: Mapping[str, int], uid: str
) -> dict[str, int]:
    """Karmada's loop with the `Party` heap, as the port first wrote it."""
    descending = names_descending(uid)
    parties = {name: Party(name, 0, seats, descending) for name, seats in initial.items()}
    for name, vote in votes.items():
        if name in parties:
            parties[name].votes = vote
        else:
            parties[name] = Party(name, vote, 0, descending)
    heap = list(parties.values())
    heapq.heapify(heap)
    for _ in range(new_seats):
        party = heapq.heappop(heap)
        party.seats += 1
        heapq.heappush(heap, party)
    return {p.name: p.seats for p in parties.values()}


def test_tuple_heap_webster_matches_the_party_heap() -> None:
    rng = random.Random(7)
    for _ in range(500):
        names = [f"c{i}" for i in rng.sample(range(40), rng.randint(1, 12))]
        votes = {n: rng.choice([0, 1, 1, 2, 3, 5, 8, 100]) for n in names}
        initial = {n: rng.randint(0, 4) for n in names if rng.random() < 0.3}
        uid = f"uid-{rng.randint(0, 99)}"
        seats = rng.randint(0, 40)
        assert webster_seats(seats, votes, initial, uid=uid) == _reference_webster(
            seats, votes, initial, uid
        )


def test_verdict_matches_the_plugin_chain() -> None:
    rng = random.Random(3)
    taints = [
        Taint(key="a", effect="NoSchedule"),
        Taint(key="b", value="x", effect="NoExecute"),
        Taint(key="c", effect="PreferNoSchedule"),
    ]
    for index in range(300):
        cluster = member(
            f"m{index % 4}",
            taints=rng.sample(taints, rng.randint(0, 2)),
            provider=rng.choice([None, "p"]),
        )
        if rng.random() < 0.2:
            cluster.status.api_enablements = []
        context = FilterContext(
            api_version="apps/v1",
            kind="Deployment",
            affinities=rng.choice([None, [ClusterAffinity(cluster_names=["m1", "m2"])]]),
            tolerations=rng.choice([[], [Toleration(key="a", operator="Exists")]]),
            spread_constraints=rng.choice([[], [SpreadConstraint(spread_by_field="provider")]]),
        )
        found = verdict(context, cluster)
        for scheduled in (False, True):
            for evicting in (False, True):
                live = FilterContext(
                    **{
                        **context.__dict__,
                        "scheduled": {cluster.name} if scheduled else set(),
                        "evicting": {cluster.name} if evicting else set(),
                    }
                )
                expected = next(
                    (r for plugin in FILTER_PLUGINS if (r := plugin(live, cluster)) is not None),
                    None,
                )
                assert found.reason(scheduled=scheduled, evicting=evicting) == expected


def test_warm_memos_give_the_cold_result() -> None:
    rng = random.Random(11)
    clusters = [member(f"m{i}", str(rng.randint(0, 6))) for i in range(8)]
    placements = [
        default_placement(Placement.model_validate(raw))
        for raw in (
            DYNAMIC,
            {**DYNAMIC, "spreadConstraints": [{"spreadByField": "cluster", "maxGroups": 3}]},
            {"replicaScheduling": {"replicaSchedulingType": "Divided"}},
            {
                "replicaScheduling": {
                    "replicaSchedulingType": "Divided",
                    "replicaDivisionPreference": "Aggregated",
                }
            },
            {"clusterAffinity": {"labelSelector": {"matchLabels": {"tier": "3"}}}},
        )
    ]
    calls = []
    for _ in range(300):
        previous = [
            TargetCluster(name=c.name, replicas=rng.randint(0, 3))
            for c in rng.sample(clusters, rng.randint(0, 3))
        ]
        calls.append(
            {
                "resource": DEPLOY.model_copy(update={"uid": f"u{rng.randint(0, 9)}"}),
                "replicas": rng.randint(0, 12),
                "replica_requirements": rng.choice([None, REQUEST]),
                "placement": rng.choice(placements),
                "clusters": clusters,
                "previous": previous,
                "evicting": {previous[0].name} if previous and rng.random() < 0.3 else set(),
            }
        )
    warm = [place(**call) for call in calls]  # type: ignore[arg-type]
    for call, result in zip(calls, warm, strict=True):
        caching.clear()
        assert place(**call) == result  # type: ignore[arg-type]
