"""The scheduler service against a real store: example 01 end to end, rescheduling, cleanup."""

import time
from typing import Any

import orjson
import pytest
from nats.aio.msg import Msg
from scheduler_world import (
    Running,
    get_or_none,
    put_cluster,
    targets,
    wait_for,
)

from services.scheduler.binding_sync import APPLIED_PLACEMENT_ANNOTATION
from services.scheduler.resources import (
    PROPAGATION_POLICIES,
    RESOURCE_BINDINGS,
    RegistryResolver,
)
from shared import subjects
from shared.bus import Bus
from shared.placement.matching import PP_NAME_ANNOTATION, PP_PERMANENT_ID_LABEL
from shared.store.objects import Object, ObjectStore
from tests.seed_fleet import load, seed_clusters

pytestmark = pytest.mark.integration

DEPLOYMENTS_NAME = "nginx-deployment"


def example_01() -> tuple[dict[str, Any], dict[str, Any]]:
    docs = load("01")
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    policy = next(d for d in docs if d["kind"] == "PropagationPolicy")
    for doc in (deployment, policy):
        doc["metadata"]["namespace"] = "default"
    return deployment, policy


async def seed(store: ObjectStore) -> None:
    for cluster in seed_clusters().values():
        await put_cluster(store, cluster)


async def binding_with(
    store: ObjectStore, expected: dict[str, int], *, timeout: float = 5.0
) -> Object:
    async def probe() -> Object | None:
        binding = await get_or_none(store, RESOURCE_BINDINGS, "default", DEPLOYMENTS_NAME)
        return binding if targets(binding) == expected else None

    return await wait_for(probe, timeout=timeout, what=f"binding placed {expected}")


DEPLOYMENTS = RegistryResolver().resolve("apps/v1", "Deployment")
assert DEPLOYMENTS is not None


async def test_example_01_weights_replicas_and_deletion(
    store: ObjectStore, bus: Bus, scheduler: Running
) -> None:
    decisions: list[dict[str, Any]] = []

    async def record(msg: Msg) -> None:
        decisions.append(orjson.loads(msg.data))

    subscription = await bus.subscribe(f"{subjects.BINDING_SCHEDULED}.default.>", record)
    await seed(store)
    deployment, policy = example_01()
    await store.create(DEPLOYMENTS, deployment)
    policy = await store.create(PROPAGATION_POLICIES, policy)

    binding = await binding_with(store, {"cluster-hangzhou": 6, "cluster-shanghai": 4})
    template = await store.get(DEPLOYMENTS, "default", "nginx")
    assert template["metadata"]["annotations"][PP_NAME_ANNOTATION] == "nginx-propagation"
    policy = await store.get(PROPAGATION_POLICIES, "default", "nginx-propagation")
    policy_id = policy["metadata"]["labels"][PP_PERMANENT_ID_LABEL]
    assert template["metadata"]["labels"][PP_PERMANENT_ID_LABEL] == policy_id
    spec = binding["spec"]
    assert spec["resource"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "namespace": "default",
        "name": "nginx",
        "uid": template["metadata"]["uid"],
        "resourceVersion": template["metadata"]["resourceVersion"],
    }
    assert spec["replicas"] == 10
    assert spec["placement"]["replicaScheduling"]["replicaSchedulingType"] == "Divided"
    assert binding["metadata"]["ownerReferences"][0]["uid"] == template["metadata"]["uid"]
    assert APPLIED_PLACEMENT_ANNOTATION in binding["metadata"]["annotations"]
    await wait_for(
        lambda: get_or_none(store, RESOURCE_BINDINGS, "default", DEPLOYMENTS_NAME),
        what="status",
    )
    status = (await store.get(RESOURCE_BINDINGS, "default", DEPLOYMENTS_NAME))["status"]
    scheduled = next(c for c in status["conditions"] if c["type"] == "Scheduled")
    assert (scheduled["status"], scheduled["reason"]) == ("True", "Success")
    assert status["schedulerObservedGeneration"] == binding["metadata"]["generation"]
    assert status["lastScheduledTime"]

    started = time.perf_counter()
    policy = await store.get(PROPAGATION_POLICIES, "default", "nginx-propagation")
    for entry in policy["spec"]["placement"]["replicaScheduling"]["weightPreference"][
        "staticWeightList"
    ]:
        entry["weight"] = 50
    await store.update(PROPAGATION_POLICIES, policy)
    await binding_with(store, {"cluster-hangzhou": 5, "cluster-shanghai": 5}, timeout=2.0)
    assert time.perf_counter() - started < 2.0

    current = await store.get(DEPLOYMENTS, "default", "nginx")
    current["spec"]["replicas"] = 20
    await store.update(DEPLOYMENTS, current)
    binding = await binding_with(store, {"cluster-hangzhou": 10, "cluster-shanghai": 10})
    assert binding["spec"]["replicas"] == 20

    await wait_for(lambda: _has(decisions, 10), what="a published decision for 20 replicas")
    last = decisions[-1]
    assert last["name"] == DEPLOYMENTS_NAME and last["previous"] == [
        {"name": "cluster-hangzhou", "replicas": 5},
        {"name": "cluster-shanghai", "replicas": 5},
    ]

    await store.delete(DEPLOYMENTS, "default", "nginx")

    async def gone() -> bool:
        return await get_or_none(store, RESOURCE_BINDINGS, "default", DEPLOYMENTS_NAME) is None

    await wait_for(gone, what="binding deleted with its template")
    await subscription.unsubscribe()


async def _has(decisions: list[dict[str, Any]], replicas: int) -> bool:
    return any(
        all(t["replicas"] == replicas for t in d["clusters"]) and d["clusters"] for d in decisions
    )


async def test_fit_error_writes_karmadas_message(store: ObjectStore, scheduler: Running) -> None:
    await seed(store)
    deployment, policy = example_01()
    policy["spec"]["placement"] = {"clusterAffinity": {"clusterNames": ["cluster-zone-a"]}}
    await store.create(DEPLOYMENTS, deployment)
    await store.create(PROPAGATION_POLICIES, policy)

    async def failed() -> dict[str, Any] | None:
        binding = await get_or_none(store, RESOURCE_BINDINGS, "default", DEPLOYMENTS_NAME)
        conditions = ((binding or {}).get("status") or {}).get("conditions") or []
        return next((c for c in conditions if c["type"] == "Scheduled"), None)

    condition = await wait_for(failed, what="Scheduled condition")
    assert condition["status"] == "False"
    assert condition["reason"] == "NoClusterFit"
    assert condition["message"] == (
        "0/11 clusters are available: 1 cluster(s) had untolerated "
        "taint {dedicated=special:NoSchedule}, "
        "10 cluster(s) did not match the placement cluster affinity constraint."
    )
    binding = await store.get(RESOURCE_BINDINGS, "default", DEPLOYMENTS_NAME)
    assert binding["spec"]["clusters"] == []


async def test_restart_writes_nothing_when_nothing_changed(
    store: ObjectStore, scheduler: Running
) -> None:
    await seed(store)
    deployment, policy = example_01()
    await store.create(DEPLOYMENTS, deployment)
    await store.create(PROPAGATION_POLICIES, policy)
    await binding_with(store, {"cluster-hangzhou": 6, "cluster-shanghai": 4})
    await scheduler.idle()
    before = await store.list(RESOURCE_BINDINGS)
    template_before = await store.get(DEPLOYMENTS, "default", "nginx")

    await scheduler.stop()
    await scheduler.start()
    await scheduler.idle()

    after = await store.list(RESOURCE_BINDINGS)
    template_after = await store.get(DEPLOYMENTS, "default", "nginx")
    assert [b["metadata"]["resourceVersion"] for b in after.items] == [
        b["metadata"]["resourceVersion"] for b in before.items
    ]
    assert (
        template_after["metadata"]["resourceVersion"]
        == (template_before["metadata"]["resourceVersion"])
    )
    assert after.revision == before.revision
