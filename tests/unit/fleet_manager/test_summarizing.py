"""Karmada's node and resource summaries, and GPU totals per product."""

from services.fleet_manager.summarizing import gpu_products, node_summary, resource_summary
from shared.api.pods import Node, Pod


def node(name: str, *, ready: bool = True, gpu: str | None = None, product: str = "") -> Node:
    allocatable = {"cpu": "16", "memory": "64Gi", "pods": "110"}
    if gpu:
        allocatable["nvidia.com/gpu"] = gpu
    return Node.model_validate(
        {
            "metadata": {
                "name": name,
                "labels": {"nvidia.com/gpu.product": product} if product else {},
            },
            "status": {
                "allocatable": allocatable,
                "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            },
        }
    )


def pod(
    node_name: str | None,
    *,
    cpu: str = "500m",
    memory: str = "1Gi",
    phase: str = "Running",
    gpu: str | None = None,
    init_cpu: str | None = None,
) -> Pod:
    requests = {"cpu": cpu, "memory": memory}
    if gpu:
        requests["nvidia.com/gpu"] = gpu
    spec: dict = {"containers": [{"name": "app", "resources": {"requests": requests}}]}
    if node_name:
        spec["nodeName"] = node_name
    if init_cpu:
        spec["initContainers"] = [{"name": "init", "resources": {"requests": {"cpu": init_cpu}}}]
    return Pod.model_validate({"spec": spec, "status": {"phase": phase}})


def test_node_summary_counts_ready_nodes() -> None:
    summary = node_summary([node("a"), node("b", ready=False), node("c")])
    assert (summary.total_num, summary.ready_num) == (3, 2)


def test_resource_summary_follows_karmada() -> None:
    nodes = [node("a"), node("b"), node("c", ready=False)]
    pods = [
        pod("a"),
        pod("b", cpu="1500m", memory="2Gi"),
        pod("a", phase="Succeeded"),
        pod("b", phase="Failed"),
        pod(None, cpu="2"),
        pod(None, cpu="250m", init_cpu="3"),
    ]
    summary = resource_summary(nodes, pods)
    assert summary.allocatable == {"cpu": "48", "memory": "192Gi", "pods": "330"}
    assert summary.allocated == {"cpu": "2", "memory": "3Gi", "pods": "2"}
    assert summary.allocating == {"cpu": "5", "memory": "2Gi", "pods": "2"}


def test_empty_cluster_still_counts_zero_pods() -> None:
    summary = resource_summary([], [])
    assert summary.allocatable == {}
    assert summary.allocated == {"pods": "0"}


def test_gpu_products_from_node_labels() -> None:
    nodes = [
        node("g1", gpu="8", product="a100"),
        node("g2", gpu="8", product="a100"),
        node("g3", gpu="8", product="h100"),
        node("cpu-only"),
    ]
    pods = [pod("g1", gpu="2"), pod("g3", gpu="1"), pod("g3", gpu="4", phase="Succeeded")]
    products = gpu_products(nodes, pods)
    assert [(p.product, p.allocatable, p.allocated) for p in products] == [
        ("a100", 16, 2),
        ("h100", 8, 1),
    ]
