"""Drift repair, removal, unreachable and misbehaving members, and quiet restarts."""

import asyncio
import subprocess
import time
from pathlib import Path

import pytest
from propagation_world import (
    Members,
    RunningEngine,
    attach,
    bind,
    create_hub,
    eventually_async,
    hub_type,
    member_get,
    update_with_retry,
)

from shared.members.client import MemberClient
from shared.store.objects import Object, ObjectStore

pytestmark = pytest.mark.integration

KUBECTL = Path(__file__).resolve().parents[3] / ".venv" / "bin" / "kubectl"
BINDINGS = hub_type("work.karmada.io/v1alpha2", "ResourceBinding")
WORKS = hub_type("work.karmada.io/v1alpha1", "Work")


def nginx(name: str = "nginx", replicas: int = 2) -> Object:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]},
            },
        },
    }


def path(name: str) -> str:
    return f"/apis/apps/v1/namespaces/default/deployments/{name}"


async def present(members: Members, cluster: str, name: str = "nginx") -> bool:
    return await member_get(members, cluster, path(name)) is not None


async def absent(members: Members, cluster: str, name: str = "nginx") -> bool:
    return await member_get(members, cluster, path(name)) is None


async def kubectl(tmp_path: Path, members: Members, cluster: str, *args: str) -> None:
    kubeconfig = tmp_path / f"{cluster}.kubeconfig"
    kubeconfig.write_text(members.kubeconfig(cluster))
    command = [str(KUBECTL), f"--kubeconfig={kubeconfig}", f"--cache-dir={tmp_path / 'c'}", *args]
    await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=30, check=True
    )


async def test_kubectl_scale_and_set_image_are_reverted_within_two_seconds(
    store: ObjectStore, members: Members, engine: RunningEngine, tmp_path: Path
) -> None:
    await attach(store, members, "cluster-hangzhou")
    template = await create_hub(store, nginx(replicas=3))
    await bind(store, template, {"cluster-hangzhou": 3})
    await eventually_async(lambda: present(members, "cluster-hangzhou"))

    async def spec_is(replicas: int, image: str) -> bool:
        live = await member_get(members, "cluster-hangzhou", path("nginx"))
        assert live is not None
        container = live["spec"]["template"]["spec"]["containers"][0]
        return live["spec"]["replicas"] == replicas and container["image"] == image

    await kubectl(tmp_path, members, "cluster-hangzhou", "scale", "deploy", "nginx", "--replicas=1")
    started = time.monotonic()
    await eventually_async(lambda: spec_is(3, "nginx:1.25"), timeout=2.0)
    assert time.monotonic() - started < 2.0

    await kubectl(
        tmp_path, members, "cluster-hangzhou", "set", "image", "deploy/nginx", "nginx=evil:6.6"
    )
    await eventually_async(lambda: spec_is(3, "nginx:1.25"), timeout=2.0)


async def test_fields_navarch_does_not_own_are_left_alone(
    store: ObjectStore, members: Members, engine: RunningEngine, tmp_path: Path
) -> None:
    """A member-local label, and replicas under Karmada's retain-replicas label, stay."""
    template = nginx(replicas=3)
    template["metadata"]["labels"]["resourcetemplate.karmada.io/retain-replicas"] = "true"
    await attach(store, members, "cluster-hangzhou")
    stored = await create_hub(store, template)
    await bind(store, stored, {"cluster-hangzhou": 3})
    await eventually_async(lambda: present(members, "cluster-hangzhou"))
    await kubectl(tmp_path, members, "cluster-hangzhou", "scale", "deploy", "nginx", "--replicas=5")
    await kubectl(tmp_path, members, "cluster-hangzhou", "label", "deploy", "nginx", "local=yes")
    await asyncio.sleep(1.0)
    live = await member_get(members, "cluster-hangzhou", path("nginx"))
    assert live is not None
    assert live["spec"]["replicas"] == 5
    assert live["metadata"]["labels"]["local"] == "yes"


async def test_binding_deleted_removes_objects_everywhere_even_from_a_member_that_was_down(
    store: ObjectStore, members: Members, engine: RunningEngine
) -> None:
    for name in ("cluster-hangzhou", "cluster-shanghai"):
        await attach(store, members, name)
    template = await create_hub(store, nginx())
    binding = await bind(store, template, {"cluster-hangzhou": 1, "cluster-shanghai": 1})
    for name in ("cluster-hangzhou", "cluster-shanghai"):
        await eventually_async(lambda name=name: present(members, name))
    await members.call(members.stop_server("cluster-shanghai"))

    # The scheduler deletes the binding once the template (or its policy) is gone.
    await store.delete(BINDINGS, "default", binding["metadata"]["name"])
    await eventually_async(lambda: absent(members, "cluster-hangzhou"))
    await asyncio.sleep(0.5)
    held = await store.get(BINDINGS, "default", binding["metadata"]["name"])
    assert held["metadata"]["deletionTimestamp"], "the finalizer holds the binding"

    await members.call(members.start_server("cluster-shanghai"))
    await eventually_async(lambda: absent(members, "cluster-shanghai"))

    async def binding_gone() -> bool:
        listing = await store.list(BINDINGS, namespace="default")
        return not listing.items

    await eventually_async(binding_gone)
    assert not (await store.list(WORKS)).items


async def test_rescheduled_cluster_loses_its_copy_but_not_while_evicting(
    store: ObjectStore, members: Members, engine: RunningEngine
) -> None:
    for name in ("cluster-hangzhou", "cluster-shanghai"):
        await attach(store, members, name)
    template = await create_hub(store, nginx())
    binding = await bind(store, template, {"cluster-hangzhou": 1, "cluster-shanghai": 1})
    await eventually_async(lambda: present(members, "cluster-shanghai"))

    name = binding["metadata"]["name"]

    def evict_shanghai(current: dict) -> None:
        current["spec"]["clusters"] = [{"name": "cluster-hangzhou", "replicas": 2}]
        current["spec"]["gracefulEvictionTasks"] = [
            {"fromCluster": "cluster-shanghai", "reason": "TaintUntolerated", "producer": "test"}
        ]

    await update_with_retry(store, BINDINGS, "default", name, evict_shanghai)
    await asyncio.sleep(1.0)
    assert await present(members, "cluster-shanghai"), "kept while the eviction task exists"

    def end_eviction(current: dict) -> None:
        current["spec"]["gracefulEvictionTasks"] = []

    await update_with_retry(store, BINDINGS, "default", name, end_eviction)
    await eventually_async(lambda: absent(members, "cluster-shanghai"))
    assert await present(members, "cluster-hangzhou")


async def test_objects_navarch_did_not_create_are_never_touched(
    store: ObjectStore, members: Members, engine: RunningEngine, tmp_path: Path
) -> None:
    await attach(store, members, "cluster-hangzhou")
    mine = nginx()
    mine["metadata"]["namespace"] = "default"
    mine["spec"]["template"]["spec"]["containers"][0]["image"] = "mine:1"
    client = await MemberClient.from_kubeconfig(members.kubeconfig("cluster-hangzhou"))
    try:
        await client.request("POST", "/apis/apps/v1/namespaces/default/deployments", body=mine)
    finally:
        await client.close()
    template = await create_hub(store, nginx())
    binding = await bind(store, template, {"cluster-hangzhou": 1})

    async def refused() -> bool:
        works = (await store.list(WORKS)).items
        conditions = [c for w in works for c in w.get("status", {}).get("conditions", [])]
        return any(c["status"] == "False" for c in conditions)

    await eventually_async(refused)
    await store.delete(BINDINGS, "default", binding["metadata"]["name"])
    await asyncio.sleep(1.0)
    live = await member_get(members, "cluster-hangzhou", path("nginx"))
    assert live is not None
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "mine:1"


@pytest.mark.parametrize("fault", ["error", "hang"])
async def test_a_failing_member_does_not_delay_the_others(
    store: ObjectStore, members: Members, engine: RunningEngine, fault: str
) -> None:
    members["cluster-shanghai"].fault = fault
    for name in ("cluster-shanghai", "cluster-hangzhou", "cluster-frankfurt"):
        await attach(store, members, name)
    started = time.monotonic()
    for index in range(5):
        template = await create_hub(store, nginx(f"app-{index}", replicas=1))
        await bind(
            store,
            template,
            {"cluster-shanghai": 1, "cluster-hangzhou": 1, "cluster-frankfurt": 1},
        )
    for index in range(5):
        for name in ("cluster-hangzhou", "cluster-frankfurt"):
            await eventually_async(lambda n=name, i=index: present(members, n, f"app-{i}"))
    assert time.monotonic() - started < 3.0
    members["cluster-shanghai"].fault = None
    await eventually_async(lambda: present(members, "cluster-shanghai", "app-4"), timeout=15)


async def test_a_restart_writes_nothing_to_members_when_nothing_changed(
    store: ObjectStore, members: Members, engine: RunningEngine
) -> None:
    for name in ("cluster-hangzhou", "cluster-shanghai"):
        await attach(store, members, name)
    for index in range(3):
        template = await create_hub(store, nginx(f"app-{index}", replicas=2))
        await bind(store, template, {"cluster-hangzhou": 1, "cluster-shanghai": 1})
    for index in range(3):
        await eventually_async(lambda i=index: present(members, "cluster-shanghai", f"app-{i}"))
    await asyncio.sleep(1.0)
    await engine.stop()
    before = {name: len(members.writes(name)) for name in ("cluster-hangzhou", "cluster-shanghai")}
    works_before = {
        w["metadata"]["name"]: w["metadata"]["resourceVersion"]
        for w in (await store.list(WORKS)).items
    }

    restarted = await engine.start()
    await asyncio.sleep(2.0)
    after = {name: members.writes(name)[before[name] :] for name in before}
    # Only watches (GET ?watch) are opened again; no PATCH, POST or DELETE.
    assert after == {name: [] for name in before}
    works_after = {
        w["metadata"]["name"]: w["metadata"]["resourceVersion"]
        for w in (await store.list(WORKS)).items
    }
    assert works_after == works_before
    assert sum(session.applies for _cluster, session in restarted.sessions.items()) == 0
