"""Hub objects read into member states, placements and cluster facts."""

from services.telemetry.facts import (
    binding_facts,
    cluster_facts,
    member_states,
    placement_of,
    pod_labels,
)

READY = {
    "type": "Ready",
    "status": "True",
    "reason": "ClusterReady",
    "lastTransitionTime": "2026-01-01T00:00:00Z",
}


def cluster(
    name: str, *, ready: bool = True, custom: bool = False, taints: list | None = None
) -> dict:
    condition = dict(READY, status="True" if ready else "False")
    enablements = (
        [{"groupVersion": "custom.metrics.k8s.io/v1beta2", "resources": []}] if custom else []
    )
    return {
        "apiVersion": "cluster.karmada.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {
            "name": name,
            "labels": {"navarch.dev/attached-cluster": f"kurator-system.{name}"},
        },
        "spec": {"taints": taints or []},
        "status": {"conditions": [condition], "apiEnablements": enablements},
    }


def binding(kind: str, clusters: list[tuple[str, int]], *, aggregated: list | None = None) -> dict:
    return {
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": "ResourceBinding",
        "metadata": {"name": "nginx-deployment", "namespace": "web"},
        "spec": {
            "resource": {
                "apiVersion": "apps/v1",
                "kind": kind,
                "namespace": "web",
                "name": "nginx",
            },
            "clusters": [{"name": name, "replicas": replicas} for name, replicas in clusters],
        },
        "status": {"aggregatedStatus": aggregated or []},
    }


def test_member_states() -> None:
    states = member_states(
        [cluster("a"), cluster("b", ready=False, custom=True)],
        connected={"a"},
        connect_errors={"b": "secret missing"},
    )
    assert [
        (s.name, s.ready, s.connected, s.connect_error, s.serves_custom_metrics) for s in states
    ] == [
        ("a", True, True, "", False),
        ("b", False, False, "secret missing", True),
    ]


def test_pod_labels_of_each_workload_kind() -> None:
    template = {"template": {"metadata": {"labels": {"app": "x"}}}}
    assert pod_labels({"kind": "Deployment", "spec": template}) == {"app": "x"}
    assert pod_labels({"kind": "CronJob", "spec": {"jobTemplate": {"spec": template}}}) == {
        "app": "x"
    }
    assert pod_labels({"kind": "Pod", "metadata": {"labels": {"app": "y"}}}) == {"app": "y"}


def test_placements_only_for_kinds_that_make_pods() -> None:
    deployment = {
        "kind": "Deployment",
        "spec": {"template": {"metadata": {"labels": {"app": "nginx"}}}},
    }
    placed = placement_of(binding("Deployment", [("a", 6), ("b", 4)]), deployment)
    assert placed is not None
    assert (placed.namespace, placed.clusters, placed.pod_labels) == (
        "web",
        ["a", "b"],
        {"app": "nginx"},
    )
    unknown = placement_of(binding("Deployment", [("a", 1)]), None)
    assert unknown is not None and unknown.pod_labels is None
    assert placement_of(binding("ConfigMap", [("a", 0)]), None) is None


def test_cluster_facts_carry_the_fleet_and_taints() -> None:
    fleet = {
        "apiVersion": "fleet.kurator.dev/v1alpha1",
        "kind": "Fleet",
        "metadata": {"name": "prod", "namespace": "kurator-system"},
        "spec": {"clusters": [{"name": "a", "kind": "AttachedCluster"}]},
    }
    taint = {"key": "cluster.karmada.io/not-ready", "effect": "NoSchedule"}
    facts = cluster_facts([cluster("a", taints=[taint]), cluster("b")], [fleet])
    assert [(f.name, f.fleet, f.ready, [t.key for t in f.taints]) for f in facts] == [
        ("a", "prod", True, ["cluster.karmada.io/not-ready"]),
        ("b", "", True, []),
    ]


def test_binding_facts_join_aggregated_status() -> None:
    (facts,) = binding_facts(
        [
            binding(
                "Deployment",
                [("a", 6), ("b", 4)],
                aggregated=[{"clusterName": "a", "applied": True, "health": "Healthy"}],
            )
        ]
    )
    assert [(t.cluster, t.replicas, t.applied, t.healthy) for t in facts.targets] == [
        ("a", 6, True, True),
        ("b", 4, None, None),
    ]
