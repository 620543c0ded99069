"""Where pods land: GPU requests, GPU product selectors, cordon, NotReady nodes."""

from typing import Any

from simhelpers import MakeCluster, deployment, eventually

from services.simulator.cluster import SimulatedCluster
from services.simulator.resources import DEPLOYMENTS, NODES, PODS
from services.simulator.workloads import is_pod_ready
from shared.api.simulated_fleet import NodeGroup
from shared.store.objects import Object

GPU_GROUPS: list[dict[str, Any]] = [
    {"name": "cpu", "count": 2, "capacity": {"cpu": "16", "memory": "64Gi"}},
    {
        "name": "a100",
        "count": 1,
        "capacity": {"cpu": "64", "memory": "512Gi", "nvidia.com/gpu": "8"},
        "labels": {"nvidia.com/gpu.product": "a100"},
    },
    {
        "name": "h100",
        "count": 1,
        "capacity": {"cpu": "64", "memory": "512Gi", "nvidia.com/gpu": "8"},
        "labels": {"nvidia.com/gpu.product": "h100"},
    },
]


def gpu_deployment(name: str, *, replicas: int, gpus: str, **pod_spec: Any) -> Object:
    body = deployment(name, replicas=replicas, **pod_spec)
    container = body["spec"]["template"]["spec"]["containers"][0]
    container["resources"] = {"limits": {"nvidia.com/gpu": gpus}}
    return body


async def pods_of(cluster: SimulatedCluster, app: str) -> list[Object]:
    pods = (await cluster.store.list(PODS, namespace="default")).items
    return [pod for pod in pods if pod["metadata"]["labels"].get("app") == app]


async def test_gpu_pods_land_only_on_gpu_nodes(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(nodes=GPU_GROUPS)
    await cluster.store.create(DEPLOYMENTS, gpu_deployment("llm", replicas=5, gpus="4"))

    async def placed() -> bool:
        pods = await pods_of(cluster, "llm")
        return len(pods) == 5 and sum(1 for pod in pods if is_pod_ready(pod)) == 4

    await eventually(placed)
    pods = await pods_of(cluster, "llm")
    nodes = sorted(pod["spec"]["nodeName"] for pod in pods if pod["spec"].get("nodeName"))
    assert nodes == ["test-a100-0"] * 2 + ["test-h100-0"] * 2
    [pending] = [pod for pod in pods if not pod["spec"].get("nodeName")]
    condition = next(c for c in pending["status"]["conditions"] if c["type"] == "PodScheduled")
    assert condition["message"] == "0/4 nodes are available: 4 Insufficient nvidia.com/gpu."


async def test_gpu_product_selector_is_honoured(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(nodes=GPU_GROUPS)
    body = gpu_deployment(
        "train", replicas=3, gpus="2", nodeSelector={"nvidia.com/gpu.product": "h100"}
    )
    await cluster.store.create(DEPLOYMENTS, body)

    async def placed() -> bool:
        pods = await pods_of(cluster, "train")
        return len(pods) == 3 and all(is_pod_ready(pod) for pod in pods)

    await eventually(placed)
    assert {pod["spec"]["nodeName"] for pod in await pods_of(cluster, "train")} == {"test-h100-0"}
    node = await cluster.store.get(NODES, None, "test-h100-0")
    assert node["metadata"]["labels"]["topology.kubernetes.io/zone"] == "us-west-2a"
    assert node["status"]["allocatable"]["nvidia.com/gpu"] == "8"


async def test_cordoned_nodes_get_no_new_pods(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster()
    node = await cluster.store.get(NODES, None, "test-group0-0")
    node["spec"]["unschedulable"] = True
    await cluster.store.update(NODES, node)
    await cluster.store.create(DEPLOYMENTS, deployment("web", replicas=4))

    async def placed() -> bool:
        pods = await pods_of(cluster, "web")
        return len(pods) == 4 and all(is_pod_ready(pod) for pod in pods)

    await eventually(placed)
    assert {pod["spec"]["nodeName"] for pod in await pods_of(cluster, "web")} == {"test-group0-1"}


async def test_not_ready_node_makes_its_pods_not_ready_then_recovers(
    make_cluster: MakeCluster,
) -> None:
    cluster = await make_cluster(nodes=[{"count": 1, "capacity": {"cpu": "4", "memory": "8Gi"}}])
    await cluster.store.create(DEPLOYMENTS, deployment("web", replicas=2))

    async def ready_pods(count: int) -> bool:
        pods = await pods_of(cluster, "web")
        return len(pods) == 2 and sum(1 for pod in pods if is_pod_ready(pod)) == count

    await eventually(lambda: ready_pods(2))
    await cluster.set_node_ready("test-group0-0", False)
    await eventually(lambda: ready_pods(0))
    node = await cluster.store.get(NODES, None, "test-group0-0")
    ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("Unknown", "NodeStatusUnknown")
    assert {t["key"] for t in node["spec"]["taints"]} == {"node.kubernetes.io/unreachable"}
    deployment_status = (await cluster.store.get(DEPLOYMENTS, "default", "web"))["status"]
    assert deployment_status.get("readyReplicas", 0) == 0

    await cluster.set_node_ready("test-group0-0", True)
    await eventually(lambda: ready_pods(2))
    node = await cluster.store.get(NODES, None, "test-group0-0")
    assert "taints" not in node["spec"]


async def test_heartbeats_refresh_ready_nodes(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(nodeHeartbeatPeriod="1s")
    first = await cluster.store.get(NODES, None, "test-group0-0")
    await cluster.add_node_group(
        NodeGroup(name="extra", count=1, capacity={"cpu": "1", "memory": "1Gi"})
    )

    async def beaten() -> bool:
        node = await cluster.store.get(NODES, None, "test-group0-0")
        return int(node["metadata"]["resourceVersion"]) > int(
            first["metadata"]["resourceVersion"]
        ) and any("lastHeartbeatTime" in c for c in node["status"]["conditions"])

    await eventually(beaten, timeout=3.0)
    assert "test-extra-0" in await cluster.node_names(group="extra")
