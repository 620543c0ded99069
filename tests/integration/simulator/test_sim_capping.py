"""The per-cluster pod cap (`maxPods`): no workload makes the simulator create more pods.

Issue 13: `replicas: 1000000000` made the simulator try to create a billion pods. Beyond
the cap a create is refused like an exceeded quota, and the ReplicaSet (and from it the
Deployment) reports `ReplicaFailure` / `FailedCreate`, as Kubernetes does.
"""

import asyncio
import re
from typing import Any

import pytest
from simhelpers import MakeCluster, deployment, eventually

from services.simulator.cluster import SimulatedCluster
from services.simulator.resources import DEPLOYMENTS, JOBS, PODS, REPLICASETS, STATEFULSETS
from shared.store.objects import Object

CONTAINERS = [{"name": "app", "image": "busybox:1", "resources": {"requests": {"cpu": "1m"}}}]
REFUSAL = re.compile(
    r'^pods "web-[a-z0-9]+-" is forbidden: exceeded the simulated cluster\'s pod cap '
    r"\(maxPods\), requested: pods=1, used: pods=5, limited: pods=5$"
)


async def pod_count(cluster: SimulatedCluster) -> int:
    return len((await cluster.store.list(PODS)).items)


def condition(obj: Object, type_: str) -> dict[str, Any] | None:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c.get("type") == type_), None)


async def replicaset_of(cluster: SimulatedCluster, name: str) -> Object:
    [rs] = [
        rs
        for rs in (await cluster.store.list(REPLICASETS, namespace="default")).items
        if rs["metadata"]["name"].startswith(f"{name}-")
    ]
    return rs


async def test_a_deployment_stops_at_the_cap_and_says_why(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(maxPods=5)
    await cluster.store.create(DEPLOYMENTS, deployment("web", replicas=1_000_000_000))

    async def refused() -> bool:
        obj = await cluster.store.get(DEPLOYMENTS, "default", "web")
        return condition(obj, "ReplicaFailure") is not None

    await eventually(refused, timeout=10)
    assert await pod_count(cluster) == 5
    rs = await replicaset_of(cluster, "web")
    failure = condition(rs, "ReplicaFailure")
    assert failure is not None
    assert (failure["status"], failure["reason"]) == ("True", "FailedCreate")
    assert REFUSAL.match(failure["message"]), failure["message"]
    obj = await cluster.store.get(DEPLOYMENTS, "default", "web")
    surfaced = condition(obj, "ReplicaFailure")
    assert surfaced is not None
    assert (surfaced["status"], surfaced["reason"], surfaced["message"]) == (
        "True",
        "FailedCreate",
        failure["message"],
    )
    assert surfaced["lastTransitionTime"] == failure["lastTransitionTime"]
    assert surfaced["lastUpdateTime"] == failure["lastTransitionTime"]

    obj["spec"]["replicas"] = 3
    await cluster.store.update(DEPLOYMENTS, obj)

    async def recovered() -> bool:
        current = await cluster.store.get(DEPLOYMENTS, "default", "web")
        rs = await replicaset_of(cluster, "web")
        return (
            condition(current, "ReplicaFailure") is None
            and condition(rs, "ReplicaFailure") is None
            and (current.get("status") or {}).get("readyReplicas") == 3
        )

    await eventually(recovered, timeout=10)
    assert await pod_count(cluster) == 3


async def test_every_owner_shares_one_cap(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(maxPods=7)
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "batch", "namespace": "default"},
        "spec": {
            "completions": 1_000_000_000,
            "parallelism": 1_000_000_000,
            "template": {"spec": {"containers": CONTAINERS, "restartPolicy": "Never"}},
        },
    }
    statefulset = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {
            "replicas": 1_000_000_000,
            "podManagementPolicy": "Parallel",
            "serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": CONTAINERS}},
        },
    }
    await cluster.store.create(DEPLOYMENTS, deployment("web", replicas=1_000_000_000, cpu="1m"))
    await cluster.store.create(JOBS, job)
    await cluster.store.create(STATEFULSETS, statefulset)

    async def full() -> bool:
        return await pod_count(cluster) >= 7

    await eventually(full, timeout=10)
    await asyncio.sleep(0.5)
    pods = (await cluster.store.list(PODS)).items
    assert len(pods) == 7
    owners = {pod["metadata"]["ownerReferences"][0]["kind"] for pod in pods}
    assert owners <= {"ReplicaSet", "Job", "StatefulSet"}


@pytest.mark.timeout(30)
async def test_a_deleted_deployment_frees_the_cap(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(maxPods=5)
    await cluster.store.create(DEPLOYMENTS, deployment("web", replicas=50, cpu="1m"))

    async def capped() -> bool:
        return await pod_count(cluster) == 5

    await eventually(capped, timeout=10)
    await cluster.store.delete(DEPLOYMENTS, "default", "web")
    await cluster.store.create(DEPLOYMENTS, deployment("api", replicas=4, cpu="1m"))

    async def api_running() -> bool:
        pods = (await cluster.store.list(PODS)).items
        names = [pod["metadata"]["name"] for pod in pods]
        return len(names) == 4 and all(name.startswith("api-") for name in names)

    await eventually(api_running, timeout=15)
