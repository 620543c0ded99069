"""Example 13: parallelism configures the scheduler, other knobs are reported as ignored."""

import pytest
from scheduler_world import Running, get_or_none, put_cluster, wait_for

from services.scheduler.resources import (
    KARMADA_CONFIGS,
    PROPAGATION_POLICIES,
    RESOURCE_BINDINGS,
    RegistryResolver,
)
from shared.store.objects import Object, ObjectStore
from tests.seed_fleet import load, seed_clusters

pytestmark = pytest.mark.integration

CONFIGMAPS = RegistryResolver().resolve("v1", "ConfigMap")
assert CONFIGMAPS is not None


async def test_knobs_applied_and_ignored_and_the_configmap_propagates(
    store: ObjectStore, scheduler: Running
) -> None:
    config, configmap = load("13")
    for cluster in seed_clusters().values():
        await put_cluster(store, cluster)
    await store.create(KARMADA_CONFIGS, config)
    await store.create(CONFIGMAPS, configmap)
    await store.create(
        PROPAGATION_POLICIES,
        {
            "metadata": {"name": "network-config", "namespace": "kurator-system"},
            "spec": {
                "resourceSelectors": [
                    {"apiVersion": "v1", "kind": "ConfigMap", "name": "network-config"}
                ]
            },
        },
    )

    async def reported() -> Object | None:
        current = await store.get(KARMADA_CONFIGS, None, "performance-tuning")
        return current if current.get("status") else None

    status = (await wait_for(reported, what="KarmadaConfig status"))["status"]
    assert status["appliedKnobs"] == {"scheduler.parallelism": 10}
    assert status["ignoredKnobs"] == [
        "estimator.timeout",
        "scheduler.cacheSyncTimeout",
        "scheduler.percentOfNodesToScore",
    ]
    [condition] = status["conditions"]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "Applied",
        "True",
        "PartiallyApplied",
    )
    assert "scheduler.percentOfNodesToScore" in condition["message"]
    assert scheduler.service is not None and scheduler.service.scheduler is not None
    assert scheduler.service.scheduler.parallelism == 10

    async def bound() -> Object | None:
        return await get_or_none(
            store, RESOURCE_BINDINGS, "kurator-system", "network-config-configmap"
        )

    binding = await wait_for(bound, what="ConfigMap binding")
    names = {t["name"] for t in binding["spec"]["clusters"]}
    assert names == set(seed_clusters()) - {"cluster-zone-a"}
    assert all("replicas" not in t or t["replicas"] == 0 for t in binding["spec"]["clusters"])

    await store.delete(KARMADA_CONFIGS, None, "performance-tuning")

    async def reverted() -> bool:
        return scheduler.service.scheduler.parallelism == 16  # type: ignore[union-attr]

    await wait_for(reverted, what="parallelism back to the default")
