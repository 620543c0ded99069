"""The placement entry point: failures, clusterAffinities fallback, previous results."""

from shared.api.binding import ObjectReference, ReplicaRequirements, ResourceBinding, TargetCluster
from shared.api.cluster import Cluster
from shared.api.propagation import Placement, default_placement
from shared.placement.placing import place, place_binding, reschedule_required

DEPLOY = ObjectReference(
    api_version="apps/v1", kind="Deployment", namespace="default", name="web", uid=""
)
APPS = [{"groupVersion": "apps/v1", "resources": [{"name": "deployments", "kind": "Deployment"}]}]


def member(name: str, pods: int = 110, **labels: str) -> Cluster:
    return Cluster.model_validate(
        {
            "metadata": {"name": name, "labels": labels},
            "status": {
                "apiEnablements": APPS,
                "resourceSummary": {"allocatable": {"pods": str(pods)}},
            },
        }
    )


def placement(data: dict[str, object]) -> Placement:
    return default_placement(Placement.model_validate(data))


DYNAMIC = {
    "replicaSchedulingType": "Divided",
    "replicaDivisionPreference": "Weighted",
    "weightPreference": {"dynamicWeight": "AvailableReplicas"},
}
CLUSTERS = [member("m1", 4), member("m2", 6), member("m3", 20, tier="burst")]


def run(data: dict[str, object], replicas: int, **kwargs: object):  # type: ignore[no-untyped-def]
    return place(
        resource=DEPLOY,
        replicas=replicas,
        replica_requirements=None,
        placement=placement(data),
        clusters=kwargs.pop("clusters", CLUSTERS),
        **kwargs,
    )  # type: ignore[arg-type]


def test_fit_error_clears_the_result() -> None:
    result = run(
        {"clusterAffinity": {"clusterNames": ["nowhere"]}},
        3,
        previous=[TargetCluster(name="m1", replicas=3)],
    )
    assert result.clusters == []
    assert result.failure is not None and result.failure.reason == "NoClusterFit"
    assert result.failure.message == (
        "0/3 clusters are available: 3 cluster(s) did not match "
        "the placement cluster affinity constraint."
    )
    assert result.condition().reason == "NoClusterFit"


def test_no_clusters_at_all() -> None:
    result = run({}, 1, clusters=[])
    assert result.failure is not None
    assert result.failure.message == "0/0 clusters are available: no cluster exists."


def test_unschedulable_keeps_previous_result() -> None:
    result = run({"replicaScheduling": DYNAMIC}, 100, previous=[])
    assert result.clusters is None
    assert result.failure is not None and result.failure.reason == "Unschedulable"
    assert result.failure.message == (
        "failed to assign replicas: failed to scale up: Clusters "
        "available replicas 30 are not enough to schedule."
    )
    assert result.condition().status == "False"


def test_selection_error_is_a_scheduler_error() -> None:
    result = run(
        {"spreadConstraints": [{"spreadByField": "cluster", "minGroups": 5, "maxGroups": 5}]}, 1
    )
    assert result.failure is not None and result.failure.reason == "SchedulerError"
    assert result.failure.message == (
        "failed to select clusters: the number of feasible clusters "
        "is less than spreadConstraint.MinGroups"
    )


def test_dynamic_weight_by_capacity_and_success_condition() -> None:
    result = run({"replicaScheduling": DYNAMIC}, 15)
    assert {t.name: t.replicas for t in result.clusters or []} == {"m1": 2, "m2": 3, "m3": 10}
    assert result.condition().reason == "Success"
    assert result.condition().message == "Binding has been scheduled successfully."


def test_locality_keeps_divided_clusters_under_spread() -> None:
    data = {
        "replicaScheduling": DYNAMIC,
        "spreadConstraints": [{"spreadByField": "cluster", "maxGroups": 1}],
    }
    first = run(data, 3)
    assert [t.name for t in first.clusters or []] == ["m3"]
    moved = run(data, 3, previous=[TargetCluster(name="m1", replicas=3)])
    assert [(t.name, t.replicas) for t in moved.clusters or []] == [("m1", 3)]


def test_cluster_affinities_fall_back_in_order_and_stick() -> None:
    data = {
        "replicaScheduling": DYNAMIC,
        "clusterAffinities": [
            {"affinityName": "local", "clusterNames": ["m1"]},
            {"affinityName": "cloud", "labelSelector": {"matchLabels": {"tier": "burst"}}},
        ],
    }
    small = run(data, 3)
    assert small.affinity_name == "local" and [t.name for t in small.clusters or []] == ["m1"]
    big = run(data, 10)
    assert big.affinity_name == "cloud" and {t.name: t.replicas for t in big.clusters or []} == {
        "m3": 10
    }
    sticky = run(
        data, 3, observed_affinity_name="cloud", previous=[TargetCluster(name="m3", replicas=10)]
    )
    assert sticky.affinity_name == "cloud"
    assert {t.name: t.replicas for t in sticky.clusters or []} == {"m3": 3}
    fresh = run(
        data,
        3,
        observed_affinity_name="cloud",
        reschedule=True,
        previous=[TargetCluster(name="m3", replicas=10)],
    )
    assert fresh.affinity_name == "local"


def test_all_affinity_terms_fail_reports_first_error() -> None:
    data = {
        "replicaScheduling": DYNAMIC,
        "clusterAffinities": [
            {"affinityName": "a", "clusterNames": ["nowhere"]},
            {"affinityName": "b", "clusterNames": ["m1"]},
        ],
    }
    result = run(data, 50, observed_affinity_name="")
    assert result.failure is not None and result.failure.reason == "NoClusterFit"
    assert result.clusters == [] and result.affinity_name == ""


def test_overflow_affinities_spill_into_burst_tier() -> None:
    data = {
        "replicaScheduling": DYNAMIC,
        "clusterAffinities": [
            {
                "affinityName": "primary",
                "clusterNames": ["m1"],
                "overflowAffinities": [{"affinityName": "burst", "clusterNames": ["m3"]}],
            }
        ],
    }
    result = run(data, 10, observed_affinity_name="primary")
    assert {t.name: t.replicas for t in result.clusters or []} == {"m1": 4, "m3": 6}


def test_non_workload_goes_everywhere_and_empty_propagation() -> None:
    config = ObjectReference(api_version="apps/v1", kind="Deployment", name="cfg")
    result = place(
        resource=config,
        replicas=0,
        replica_requirements=None,
        placement=placement({"replicaScheduling": DYNAMIC}),
        clusters=CLUSTERS,
    )
    assert [(t.name, t.replicas) for t in result.clusters or []] == [
        ("m1", 0),
        ("m2", 0),
        ("m3", 0),
    ]
    weighted = placement(
        {
            "replicaScheduling": {
                "replicaDivisionPreference": "Weighted",
                "weightPreference": {
                    "staticWeightList": [{"targetCluster": {"clusterNames": ["m1"]}, "weight": 1}]
                },
            }
        }
    )
    padded = place(
        resource=DEPLOY,
        replicas=2,
        replica_requirements=ReplicaRequirements(),
        placement=weighted,
        clusters=CLUSTERS,
        empty_workload_propagation=True,
    )
    assert {t.name: t.replicas for t in padded.clusters or []} == {"m1": 2, "m2": 0, "m3": 0}


def test_place_binding_reads_previous_and_evictions() -> None:
    binding = ResourceBinding.model_validate(
        {
            "metadata": {"name": "web-deployment", "namespace": "default"},
            "spec": {
                "resource": DEPLOY.to_dict(),
                "replicas": 4,
                "clusters": [{"name": "m2", "replicas": 4}],
                "placement": placement({"replicaScheduling": DYNAMIC}).to_dict(),
                "gracefulEvictionTasks": [
                    {"fromCluster": "m2", "reason": "TaintUntolerated", "producer": "TaintManager"}
                ],
            },
            "status": {"schedulerObservingAffinityName": ""},
        }
    )
    result = place_binding(binding, clusters=CLUSTERS)
    assert "m2" not in {t.name for t in result.clusters or []}
    assert sum(t.replicas for t in result.clusters or []) == 4


def test_reschedule_required() -> None:
    assert reschedule_required("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z") is True
    assert reschedule_required("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z") is False
    assert reschedule_required("2026-01-02T00:00:00Z", None) is False
    assert reschedule_required(None, "2026-01-01T00:00:00Z") is False
