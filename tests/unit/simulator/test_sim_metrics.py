"""Synthetic metrics: usage = requests x load, the load found up the controller chain."""

from decimal import Decimal

from services.simulator.metrics import LoadModel, node_metrics, pod_metrics, render_usage


def owned(
    kind: str, name: str, *, owner: tuple[str, str] | None = None, load: str | None = None
) -> dict:
    metadata: dict = {"name": name, "namespace": "shop"}
    if owner:
        metadata["ownerReferences"] = [
            {"kind": owner[0], "name": owner[1], "uid": "u", "controller": True}
        ]
    if load is not None:
        metadata["annotations"] = {"sim.navarch.dev/load": load}
    return {"kind": kind, "metadata": metadata}


def web_pod(name: str = "web-1", *, node: str = "n1", phase: str = "Running") -> dict:
    pod = owned("Pod", name, owner=("ReplicaSet", "web-abc"))
    pod["spec"] = {
        "nodeName": node,
        "containers": [
            {"name": "app", "resources": {"requests": {"cpu": "500m", "memory": "256Mi"}}},
            {"name": "sidecar"},
        ],
    }
    pod["status"] = {"phase": phase}
    return pod


OWNERS = {
    ("shop", "ReplicaSet", "web-abc"): owned("ReplicaSet", "web-abc", owner=("Deployment", "web")),
    ("shop", "Deployment", "web"): owned("Deployment", "web", load="0.8"),
}


def test_load_comes_from_the_deployment_annotation_or_the_api() -> None:
    model = LoadModel(default=0.5)
    assert model.load_of(web_pod(), OWNERS) == 0.8
    model.set("shop", "Deployment", "web", 1.5)
    assert model.load_of(web_pod(), OWNERS) == 1.5
    model.set("shop", "Deployment", "web", None)
    assert model.load_of(web_pod(), {}) == 0.5, "no owners known: the default"


def test_pod_metrics_are_requests_times_load() -> None:
    metrics = pod_metrics(web_pod(), load=0.5, timestamp="2024-01-01T00:00:00Z")
    assert metrics["apiVersion"] == "metrics.k8s.io/v1beta1"
    assert metrics["kind"] == "PodMetrics"
    assert metrics["metadata"]["namespace"] == "shop"
    assert metrics["containers"] == [
        {"name": "app", "usage": {"cpu": "250000000n", "memory": "128Mi"}},
        {"name": "sidecar", "usage": {"cpu": "1000000n", "memory": "8Mi"}},
    ]


def test_render_usage_rounds_up_to_nanocores_and_kib() -> None:
    assert render_usage({"cpu": Decimal("0.0000000001"), "memory": Decimal(1)}) == {
        "cpu": "1n",
        "memory": "1Ki",
    }


def test_node_metrics_sum_running_pods_plus_overhead() -> None:
    nodes = [{"metadata": {"name": "n1"}}, {"metadata": {"name": "n2"}}]
    pods = [web_pod("a"), web_pod("b"), web_pod("c", phase="Pending"), web_pod("d", node="n2")]
    result = node_metrics(nodes, pods, load_of=lambda pod: 1.0, timestamp="t")
    usage = {item["metadata"]["name"]: item["usage"] for item in result}
    # two pods x (500m + 1m idle sidecar) + 50m overhead
    assert usage["n1"]["cpu"] == "1052000000n"
    assert usage["n1"]["memory"] == f"{(2 * (256 + 8) + 256)}Mi"
    assert usage["n2"]["cpu"] == "551000000n"
