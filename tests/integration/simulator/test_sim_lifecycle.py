"""StatefulSets, Jobs, eviction, metrics, restarts and whole fleets."""

import time
from typing import Any

from simhelpers import SEED_FLEET, MakeCluster, cluster_config, deployment, eventually

from services.simulator.cluster import SEED_NAMESPACES, SimulatedCluster
from services.simulator.fleet import SimulatedFleet
from services.simulator.resources import (
    DEPLOYMENTS,
    JOBS,
    NAMESPACES,
    NODES,
    PODDISRUPTIONBUDGETS,
    PODS,
    STATEFULSETS,
)
from services.simulator.workloads import is_pod_ready
from shared.api.simulated_fleet import load_fleet_config, parse_fleet_config
from shared.store.objects import Object

CONTAINERS = [{"name": "app", "image": "busybox:1", "resources": {"requests": {"cpu": "100m"}}}]


def statefulset(name: str, *, replicas: int) -> Object:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": CONTAINERS}},
        },
    }


async def pods_named(cluster: SimulatedCluster, prefix: str) -> dict[str, Object]:
    pods = (await cluster.store.list(PODS, namespace="default")).items
    return {p["metadata"]["name"]: p for p in pods if p["metadata"]["name"].startswith(prefix)}


async def test_statefulset_creates_ordinals_in_order_and_scales_down(
    make_cluster: MakeCluster,
) -> None:
    cluster = await make_cluster()
    await cluster.store.create(STATEFULSETS, statefulset("db", replicas=3))

    async def ready(names: set[str]) -> bool:
        pods = await pods_named(cluster, "db-")
        return set(pods) == names and all(is_pod_ready(pod) for pod in pods.values())

    await eventually(lambda: ready({"db-0", "db-1", "db-2"}))
    pods = await pods_named(cluster, "db-")
    created = sorted(pods, key=lambda name: int(pods[name]["metadata"]["resourceVersion"]))
    assert created == ["db-0", "db-1", "db-2"], "each ordinal waits for the previous one"
    assert pods["db-1"]["spec"]["hostname"] == "db-1"
    assert pods["db-1"]["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "1"

    sts = await cluster.store.get(STATEFULSETS, "default", "db")
    assert sts["status"]["readyReplicas"] == 3
    assert sts["status"]["currentRevision"] == sts["status"]["updateRevision"]
    sts["spec"]["replicas"] = 1
    await cluster.store.update(STATEFULSETS, sts)
    await eventually(lambda: ready({"db-0"}))


async def test_job_pods_complete_and_the_job_is_complete(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster()
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "migrate", "namespace": "default"},
        "spec": {
            "completions": 3,
            "parallelism": 2,
            "template": {"spec": {"containers": CONTAINERS, "restartPolicy": "Never"}},
        },
    }
    await cluster.store.create(JOBS, job)

    async def complete() -> bool:
        status = (await cluster.store.get(JOBS, "default", "migrate")).get("status") or {}
        return status.get("succeeded") == 3 and bool(status.get("completionTime"))

    await eventually(complete)
    status = (await cluster.store.get(JOBS, "default", "migrate"))["status"]
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Complete"]["status"] == "True"
    assert status["active"] == 0 and status["startTime"]
    pods = (await pods_named(cluster, "migrate-")).values()
    assert [pod["status"]["phase"] for pod in pods] == ["Succeeded"] * 3
    terminated = next(iter(pods))["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")


async def test_eviction_honours_the_disruption_budget(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster()
    await cluster.store.create(DEPLOYMENTS, deployment("web", replicas=3))
    budget = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
    }
    await cluster.store.create(PODDISRUPTIONBUDGETS, budget)

    async def ready_count(count: int) -> bool:
        pods = await pods_named(cluster, "web-")
        return len(pods) == 3 and sum(1 for pod in pods.values() if is_pod_ready(pod)) == count

    await eventually(lambda: ready_count(3))
    first, second = list(await pods_named(cluster, "web-"))[:2]
    assert (await cluster.evict("default", first)).allowed
    refused = await cluster.evict("default", second)
    assert refused.code == 429
    assert refused.causes[0]["message"].startswith("The disruption budget web needs 2")
    await eventually(lambda: ready_count(3))
    assert (await cluster.evict("default", second)).allowed
    assert (await cluster.evict("default", "nope")).code == 404


async def test_metrics_follow_the_workload_load(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster()
    body = deployment("web", replicas=2, cpu="200m")
    body["metadata"]["annotations"] = {"sim.navarch.dev/load": "0.5"}
    await cluster.store.create(DEPLOYMENTS, body)

    async def running() -> bool:
        return len(await cluster.pod_metrics("default")) == 2

    await eventually(running)
    usage = {m["containers"][0]["usage"]["cpu"] for m in await cluster.pod_metrics("default")}
    assert usage == {"100000000n"}
    cluster.set_load("default", "Deployment", "web", 2.0)
    usage = {m["containers"][0]["usage"]["cpu"] for m in await cluster.pod_metrics("default")}
    assert usage == {"400000000n"}
    nodes = await cluster.node_metrics()
    assert [m["metadata"]["name"] for m in nodes] == ["test-group0-0", "test-group0-1"]


async def test_state_survives_stop_and_start(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster()
    await cluster.store.create(DEPLOYMENTS, deployment("web", replicas=2))

    async def ready() -> bool:
        pods = await pods_named(cluster, "web-")
        return len(pods) == 2 and all(is_pod_ready(pod) for pod in pods.values())

    await eventually(ready)
    await cluster.stop()
    await cluster.store.delete(DEPLOYMENTS, "default", "web")
    await cluster.start()
    await eventually(lambda: _no_pods(cluster))
    names = [ns["metadata"]["name"] for ns in (await cluster.store.list(NAMESPACES)).items]
    assert sorted(names) == sorted(SEED_NAMESPACES)
    assert len((await cluster.store.list(NODES)).items) == 2


async def _no_pods(cluster: SimulatedCluster) -> bool:
    return not (await cluster.store.list(PODS)).items


async def test_seed_fleet_starts_with_its_nodes_and_namespaces() -> None:
    fleet = SimulatedFleet(load_fleet_config(SEED_FLEET))
    await fleet.start()
    try:
        assert len(fleet) == 11
        gpu = fleet["cluster-gpu-h100"]
        [node] = (await gpu.store.list(NODES)).items
        assert node["metadata"]["labels"]["nvidia.com/gpu.product"] == "h100"
        assert node["metadata"]["labels"]["topology.kubernetes.io/region"] == "us-central"
        assert node["status"]["capacity"]["nvidia.com/gpu"] == "8"
        namespace = await gpu.store.get(NAMESPACES, None, "kube-node-lease")
        assert namespace["status"]["phase"] == "Active"
        assert len(await fleet["cluster-prod"].node_names()) == 4
    finally:
        await fleet.stop()


async def test_ten_clusters_start_quickly_and_share_nothing() -> None:
    clusters: list[dict[str, Any]] = [
        cluster_config(name=f"c{index}", nodes=[{"count": 20, "capacity": {"cpu": "8"}}])
        for index in range(10)
    ]
    document = {
        "apiVersion": "navarch.dev/v1alpha1",
        "kind": "SimulatedFleet",
        "clusters": clusters,
    }
    fleet = SimulatedFleet(parse_fleet_config(document))
    started = time.perf_counter()
    await fleet.start()
    elapsed = time.perf_counter() - started
    try:
        assert elapsed < 2.0
        await fleet["c0"].store.create(DEPLOYMENTS, deployment("web", replicas=1))
        assert not (await fleet["c1"].store.list(DEPLOYMENTS)).items
        assert fleet["c0"].store is not fleet["c1"].store
    finally:
        await fleet.stop()
