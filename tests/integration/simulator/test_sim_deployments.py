"""Deployments on a simulated cluster: placement by capacity, rollouts, scaling, deletion."""

from typing import Any

from simhelpers import MakeCluster, deployment, eventually

from services.simulator.cluster import SimulatedCluster
from services.simulator.resources import DEPLOYMENTS, PODS, REPLICASETS
from services.simulator.workloads import is_pod_ready
from shared.store.objects import Object


async def snapshot(cluster: SimulatedCluster, name: str) -> tuple[Object, list[Object]]:
    obj = await cluster.store.get(DEPLOYMENTS, "default", name)
    pods = (await cluster.store.list(PODS, namespace="default")).items
    return obj, [pod for pod in pods if pod["metadata"]["labels"].get("app") == name]


async def wait_for(cluster: SimulatedCluster, name: str, check: Any, timeout: float = 5.0) -> None:
    async def poll() -> bool:
        return bool(check(*await snapshot(cluster, name)))

    await eventually(poll, timeout=timeout)


def settled(replicas: int, ready: int | None = None) -> Any:
    ready = replicas if ready is None else ready

    def check(obj: Object, pods: list[Object]) -> bool:
        status = obj.get("status") or {}
        return (
            status.get("observedGeneration") == obj["metadata"]["generation"]
            and status.get("replicas") == replicas
            and status.get("updatedReplicas") == replicas
            and status.get("readyReplicas", 0) == ready
            and status.get("availableReplicas", 0) == ready
            and len(pods) == replicas
            and sum(1 for pod in pods if is_pod_ready(pod)) == ready
        )

    return check


async def test_removing_a_node_sends_its_pods_back_to_pending(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster()
    # 1100m pods: 3 fit on each 4-CPU node, so 9 of 10 on three nodes and 6 on two
    await cluster.store.create(DEPLOYMENTS, deployment("web", replicas=10, cpu="1100m"))
    await cluster.add_nodes(1, group="group0")
    await wait_for(cluster, "web", settled(10, ready=9))
    await cluster.remove_node((await cluster.node_names())[-1])
    await wait_for(cluster, "web", settled(10, ready=6))


async def test_seven_ready_three_pending_unschedulable(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(
        nodes=[{"count": 1, "capacity": {"cpu": "7", "memory": "16Gi", "pods": "110"}}]
    )
    await cluster.store.create(DEPLOYMENTS, deployment("web", replicas=10, cpu="1"))
    await wait_for(cluster, "web", settled(10, ready=7))
    _, pods = await snapshot(cluster, "web")
    pending = [pod for pod in pods if not pod["spec"].get("nodeName")]
    assert len(pending) == 3
    for pod in pending:
        assert pod["status"]["phase"] == "Pending"
        condition = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
        assert condition["status"] == "False"
        assert condition["reason"] == "Unschedulable"
        assert condition["message"] == "0/1 nodes are available: 1 Insufficient cpu."
        assert condition["lastTransitionTime"]
    obj, _ = await snapshot(cluster, "web")
    assert obj["status"]["readyReplicas"] == 7
    available = next(c for c in obj["status"]["conditions"] if c["type"] == "Available")
    assert available["status"] == "False", "7 < 10 - maxUnavailable(2)"

    await cluster.add_nodes(1)
    await wait_for(cluster, "web", settled(10))
    obj, _ = await snapshot(cluster, "web")
    conditions = {c["type"]: c for c in obj["status"]["conditions"]}
    assert conditions["Available"]["status"] == "True"
    assert conditions["Progressing"]["reason"] == "NewReplicaSetAvailable"
    for condition in conditions.values():
        assert {"lastTransitionTime", "lastUpdateTime", "reason", "message"} <= set(condition)


async def test_ready_pods_have_schema_complete_status(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster()
    await cluster.store.create(DEPLOYMENTS, deployment("api", replicas=1))
    await wait_for(cluster, "api", settled(1))
    _, [pod] = await snapshot(cluster, "api")
    status = pod["status"]
    assert status["phase"] == "Running"
    assert status["podIP"] and status["hostIP"].startswith("192.168.")
    assert status["startTime"]
    types = {c["type"]: c for c in status["conditions"]}
    assert {"Initialized", "Ready", "ContainersReady", "PodScheduled"} <= set(types)
    assert all(c["status"] == "True" and c["lastTransitionTime"] for c in types.values())
    [container] = status["containerStatuses"]
    assert {"name", "image", "imageID", "ready", "restartCount"} <= set(container)
    assert container["state"]["running"]["startedAt"]
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    assert "pod-template-hash" in pod["metadata"]["labels"]


async def test_rolling_update_replaces_every_pod(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster()
    await cluster.store.create(DEPLOYMENTS, deployment("web", replicas=4))
    await wait_for(cluster, "web", settled(4))
    _, before = await snapshot(cluster, "web")
    obj, _ = await snapshot(cluster, "web")
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    await cluster.store.update(DEPLOYMENTS, obj)
    seen_available: list[bool] = []

    def rolled(current: Object, pods: list[Object]) -> bool:
        available = next(
            (c for c in current["status"]["conditions"] if c["type"] == "Available"), {}
        )
        seen_available.append(available.get("status") == "True")
        return settled(4)(current, pods) and all(
            pod["spec"]["containers"][0]["image"] == "nginx:1.26" for pod in pods
        )

    await wait_for(cluster, "web", rolled)
    _, after = await snapshot(cluster, "web")
    assert not {pod["metadata"]["uid"] for pod in before} & {
        pod["metadata"]["uid"] for pod in after
    }
    assert all(seen_available), "maxUnavailable kept the Deployment Available throughout"
    obj, _ = await snapshot(cluster, "web")
    assert obj["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    sets = (await cluster.store.list(REPLICASETS, namespace="default")).items
    assert sorted(rs["spec"]["replicas"] for rs in sets) == [0, 4]


async def test_scale_down_and_up(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster()
    await cluster.store.create(DEPLOYMENTS, deployment("web", replicas=6))
    await wait_for(cluster, "web", settled(6))
    obj, _ = await snapshot(cluster, "web")
    obj["spec"]["replicas"] = 2
    await cluster.store.update(DEPLOYMENTS, obj)
    await wait_for(cluster, "web", settled(2))
    obj, _ = await snapshot(cluster, "web")
    obj["spec"]["replicas"] = 3
    await cluster.store.update(DEPLOYMENTS, obj)
    await wait_for(cluster, "web", settled(3))


async def test_deleting_a_deployment_removes_its_replicasets_and_pods(
    make_cluster: MakeCluster,
) -> None:
    cluster = await make_cluster()
    await cluster.store.create(DEPLOYMENTS, deployment("web", replicas=3))
    await cluster.store.create(DEPLOYMENTS, deployment("keep", replicas=1))
    await wait_for(cluster, "web", settled(3))
    await cluster.store.delete(DEPLOYMENTS, "default", "web")

    async def gone() -> bool:
        sets = (await cluster.store.list(REPLICASETS, namespace="default")).items
        pods = (await cluster.store.list(PODS, namespace="default")).items
        return [rs["metadata"]["name"].split("-")[0] for rs in sets] == ["keep"] and [
            pod["metadata"]["labels"]["app"] for pod in pods
        ] == ["keep"]

    await eventually(gone)
