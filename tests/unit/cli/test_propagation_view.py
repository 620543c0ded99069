"""The `--clusters` table: desired from the manifest sent, ready from aggregated status."""

from shared.cli.propagation_view import HEADERS, binding_reference, cluster_rows


def work(image: str, replicas: int, applied: str) -> dict:
    manifest = {
        "kind": "Deployment",
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "app", "image": image}]}},
        },
    }
    return {
        "spec": {"workload": {"manifests": [manifest]}},
        "status": {"conditions": [{"type": "Applied", "status": applied}]},
    }


def test_rows_per_cluster() -> None:
    binding = {
        "spec": {
            "clusters": [{"name": "prod", "replicas": 9}, {"name": "dr", "replicas": 1}],
            "gracefulEvictionTasks": [{"fromCluster": "old"}],
        },
        "status": {
            "aggregatedStatus": [
                {"clusterName": "prod", "status": {"readyReplicas": 9}},
                {"clusterName": "dr", "status": {"readyReplicas": 0}},
            ]
        },
    }
    works = {"prod": work("nginx:1.25", 9, "True"), "dr": work("nginx:1.25", 1, "False")}
    assert HEADERS == ["CLUSTER", "DESIRED", "READY", "IMAGE", "SYNCED"]
    assert cluster_rows(binding, works) == [
        ["prod", "9", "9", "nginx:1.25", "True"],
        ["dr", "1", "0", "nginx:1.25", "False"],
        ["old", "0", "0", "<none>", "Unknown"],
    ]


def test_binding_names_follow_the_scheduler() -> None:
    deployment = {"kind": "Deployment", "metadata": {"name": "nginx", "namespace": "default"}}
    assert binding_reference(deployment, namespaced=True) == (
        "ResourceBinding",
        "default",
        "nginx-deployment",
    )
    assert (
        binding_reference({"kind": "ClusterRole", "metadata": {"name": "r"}}, namespaced=False)[0]
        == "ClusterResourceBinding"
    )
