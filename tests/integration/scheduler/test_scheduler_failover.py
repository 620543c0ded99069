"""Failover: a NoExecute not-ready taint moves replicas, graceful eviction, no flapping back.

The scheduler's wall clock is a `ManualClock`: tolerations and eviction tasks run out when
the test advances it, never because the machine was slow, so every gap asserted here is
measured on that clock.
"""

from typing import Any

import pytest
from scheduler_world import (
    ManualClock,
    Running,
    get_or_none,
    put_cluster,
    simple_cluster,
    targets,
    wait_for,
)

from services.scheduler.resources import (
    CLUSTERS,
    PROPAGATION_POLICIES,
    RESOURCE_BINDINGS,
    RegistryResolver,
)
from services.scheduler.service import SchedulerSettings
from shared.api.cluster import TAINT_NOT_READY
from shared.runtime.clock import format_timestamp
from shared.store.objects import Object, ObjectStore

pytestmark = pytest.mark.integration

DEPLOYMENTS = RegistryResolver().resolve("apps/v1", "Deployment")
assert DEPLOYMENTS is not None
BINDING = "web-deployment"


@pytest.fixture
def scheduler_clock() -> ManualClock:
    return ManualClock()


def web(replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "web", "image": "nginx"}]}},
        },
    }


def divided_policy(clusters: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
            "placement": {
                "clusterAffinity": {"clusterNames": clusters},
                "replicaScheduling": {
                    "replicaSchedulingType": "Divided",
                    "replicaDivisionPreference": "Weighted",
                },
            },
        },
    }


async def three_clusters_running_web(store: ObjectStore) -> None:
    for name in ("member-a", "member-b", "member-c"):
        await put_cluster(store, simple_cluster(name))
    await store.create(DEPLOYMENTS, web(12))
    await store.create(PROPAGATION_POLICIES, divided_policy(["member-a", "member-b", "member-c"]))
    await placed(store, {"member-a": 4, "member-b": 4, "member-c": 4})


async def placed(store: ObjectStore, expected: dict[str, int], timeout: float = 5.0) -> Object:
    async def probe() -> Object | None:
        binding = await get_or_none(store, RESOURCE_BINDINGS, "default", BINDING)
        return binding if targets(binding) == expected else None

    return await wait_for(probe, timeout=timeout, what=f"placement {expected}")


async def set_taints(store: ObjectStore, name: str, taints: list[dict[str, Any]]) -> None:
    cluster = await store.get(CLUSTERS, None, name)
    cluster["spec"]["taints"] = taints
    await store.update(CLUSTERS, cluster)


def not_ready_taint(clock: ManualClock) -> dict[str, Any]:
    """The fleet-manager's taint, added now by the scheduler's clock."""
    return {"key": TAINT_NOT_READY, "effect": "NoExecute", "timeAdded": format_timestamp(clock())}


async def taint_seen(scheduler: Running, cluster: str) -> None:
    """Wait until the scheduler's cache shows the cluster's taint, then until it settled."""

    async def seen() -> bool:
        assert scheduler.service is not None and scheduler.service.scheduler is not None
        known = scheduler.service.scheduler.clusters.get(cluster)
        return known is not None and bool(known.spec.taints)

    await wait_for(seen, what=f"the scheduler sees the taint of {cluster}")
    await scheduler.idle()


async def report_health(store: ObjectStore, healthy: list[str]) -> None:
    """What the override-engine writes once the replicas run elsewhere."""
    binding = await store.get(RESOURCE_BINDINGS, "default", BINDING)
    status = dict(binding.get("status") or {})
    status["aggregatedStatus"] = [
        {"clusterName": name, "applied": True, "health": "Healthy"} for name in healthy
    ]
    await store.update_status(RESOURCE_BINDINGS, {**binding, "status": status})


async def test_not_ready_cluster_is_evicted_gracefully_and_nothing_flaps(
    store: ObjectStore, scheduler: Running, scheduler_clock: ManualClock
) -> None:
    await three_clusters_running_web(store)

    started = scheduler_clock()
    taint = not_ready_taint(scheduler_clock)
    await set_taints(store, "member-c", [taint])
    binding = await placed(store, {"member-a": 6, "member-b": 6})
    assert (scheduler_clock() - started).total_seconds() < 1.0, "evicted with no time passing"
    [task] = binding["spec"]["gracefulEvictionTasks"]
    assert task["creationTimestamp"] == taint["timeAdded"], "evicted at the taint's moment"
    assert task["fromCluster"] == "member-c"
    assert task["replicas"] == 4
    assert task["reason"] == "TaintUntolerated"
    assert task["purgeMode"] == "Gracefully"
    assert task["producer"] == "TaintManager"
    assert task["creationTimestamp"]

    await report_health(store, ["member-a"])
    await scheduler.idle()
    binding = await store.get(RESOURCE_BINDINGS, "default", BINDING)
    assert [t["fromCluster"] for t in binding["spec"]["gracefulEvictionTasks"]] == ["member-c"]

    await report_health(store, ["member-a", "member-b"])

    async def task_dropped() -> Object | None:
        current = await store.get(RESOURCE_BINDINGS, "default", BINDING)
        return current if not current["spec"].get("gracefulEvictionTasks") else None

    await wait_for(task_dropped, what="eviction task dropped once the others are healthy")

    await set_taints(store, "member-c", [])
    await scheduler.idle()
    binding = await store.get(RESOURCE_BINDINGS, "default", BINDING)
    assert targets(binding) == {"member-a": 6, "member-b": 6}


async def test_eviction_task_expires_after_the_graceful_timeout(
    store: ObjectStore, scheduler: Running, scheduler_clock: ManualClock
) -> None:
    await scheduler.stop()
    scheduler.settings = SchedulerSettings(graceful_eviction_timeout_seconds=1.0)
    await scheduler.start()
    await three_clusters_running_web(store)
    await set_taints(store, "member-b", [not_ready_taint(scheduler_clock)])
    binding = await placed(store, {"member-a": 6, "member-c": 6})
    assert binding["spec"]["gracefulEvictionTasks"]
    await scheduler.idle()
    current = await store.get(RESOURCE_BINDINGS, "default", BINDING)
    assert current["spec"]["gracefulEvictionTasks"], "kept while the timeout has not passed"

    scheduler_clock.advance(1.0)

    async def expired() -> Object | None:
        current = await store.get(RESOURCE_BINDINGS, "default", BINDING)
        return current if not current["spec"].get("gracefulEvictionTasks") else None

    binding = await wait_for(expired, timeout=4.0, what="task expired without health reports")
    assert targets(binding) == {"member-a": 6, "member-c": 6}


async def test_a_tolerated_taint_delays_eviction(
    store: ObjectStore, scheduler: Running, scheduler_clock: ManualClock
) -> None:
    await three_clusters_running_web(store)
    policy = await store.get(PROPAGATION_POLICIES, "default", "web")
    policy["spec"]["placement"]["clusterTolerations"] = [
        {
            "key": TAINT_NOT_READY,
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 1,
        }
    ]
    await store.update(PROPAGATION_POLICIES, policy)
    await scheduler.idle()

    started = scheduler_clock()
    await set_taints(store, "member-a", [not_ready_taint(scheduler_clock)])
    await taint_seen(scheduler, "member-a")
    binding = await store.get(RESOURCE_BINDINGS, "default", BINDING)
    assert targets(binding) == {"member-a": 4, "member-b": 4, "member-c": 4}, "tolerated"

    scheduler_clock.advance(1.0)
    await placed(store, {"member-b": 6, "member-c": 6}, timeout=4.0)
    assert (scheduler_clock() - started).total_seconds() > 0.5
