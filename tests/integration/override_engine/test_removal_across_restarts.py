"""Bindings deleted while the engine dies: after a restart nothing is left on any member and
no Work is left on the hub, also when a member is slow and failing during the delete; and
orphans an earlier crash left behind (a Work, a member object with Navarch's marks, and no
binding) are removed on start, while what Navarch did not create stays."""

import asyncio

import pytest
from propagation_world import (
    Members,
    RunningEngine,
    attach,
    bind,
    create_hub,
    eventually_async,
    hub_type,
)

from services.override_engine.syncing import desired_manifest
from services.override_engine.works import (
    BINDING_ANNOTATION,
    MANAGED_BY_LABEL,
    BindingKey,
    build_work,
    next_condition,
)
from shared.api.kinds import NAMESPACES
from shared.members.client import MemberClient
from shared.store.errors import AlreadyExistsError
from shared.store.objects import Object, ObjectStore

pytestmark = pytest.mark.integration

BINDINGS = hub_type("work.karmada.io/v1alpha2", "ResourceBinding")
WORKS = hub_type("work.karmada.io/v1alpha1", "Work")
DEPLOYMENT_TYPE = hub_type("apps/v1", "Deployment")
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
ORPHANED, ELSEWHERE = "cluster-hangzhou", "cluster-shanghai"
CLUSTERS = ("cluster-hangzhou", "cluster-shanghai", "cluster-frankfurt", "cluster-prod")
WORKLOADS = 20
PADDING = 50_000


def deployment(name: str) -> Object:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"app": name},
            "annotations": {"navarch.test/padding": "x" * PADDING},
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "busybox:1"}]},
            },
        },
    }


async def member_names(members: Members, cluster: str) -> list[str]:
    """Deployments the member holds, read from its own store (past any injected fault)."""
    store = members[cluster].cluster.store
    listing = await members.call(store.list(DEPLOYMENT_TYPE, namespace="default"))
    return sorted(item["metadata"]["name"] for item in listing.items)


async def hub_count(store: ObjectStore) -> tuple[int, int]:
    bindings = await store.list(BINDINGS, namespace="default")
    works = await store.list(WORKS)
    return len(bindings.items), len(works.items)


async def propagate(store: ObjectStore, members: Members) -> list[Object]:
    for cluster in CLUSTERS:
        await attach(store, members, cluster)
    bindings = []
    for index in range(WORKLOADS):
        template = await create_hub(store, deployment(f"app-{index:02d}"))
        bindings.append(await bind(store, template, {cluster: 1 for cluster in CLUSTERS}))
    wanted = sorted(f"app-{index:02d}" for index in range(WORKLOADS))

    async def everywhere() -> bool:
        placed = [await member_names(members, cluster) for cluster in CLUSTERS]
        return placed == [wanted] * len(CLUSTERS) and (await hub_count(store))[1] == len(
            CLUSTERS
        ) * len(bindings)

    await eventually_async(everywhere, timeout=20)
    return bindings


async def delete_all(store: ObjectStore, bindings: list[Object]) -> None:
    """What the scheduler does when the templates go: delete every binding at once."""
    await asyncio.gather(
        *(store.delete(BINDINGS, "default", b["metadata"]["name"]) for b in bindings)
    )


async def leftovers(store: ObjectStore, members: Members) -> dict[str, object]:
    """What is still there: bindings and Works on the hub, Deployments on each member."""
    found: dict[str, object] = {}
    bindings, works = await hub_count(store)
    if bindings or works:
        found["hub"] = {"bindings": bindings, "works": works}
    for cluster in CLUSTERS:
        if names := await member_names(members, cluster):
            found[cluster] = names
    return found


async def nothing_left(store: ObjectStore, members: Members, *, timeout: float) -> None:
    try:
        await eventually_async(lambda: _empty(store, members), timeout=timeout)
    except TimeoutError:
        raise AssertionError(f"left behind: {await leftovers(store, members)}") from None


async def _empty(store: ObjectStore, members: Members) -> bool:
    await asyncio.sleep(0.2)
    return not await leftovers(store, members)


@pytest.mark.parametrize("ending", ["kill", "stop"])
async def test_bindings_deleted_while_the_engine_dies_leave_nothing_behind(
    store: ObjectStore, members: Members, engine: RunningEngine, ending: str
) -> None:
    bindings = await propagate(store, members)
    await delete_all(store, bindings)
    await (engine.kill() if ending == "kill" else engine.stop())
    assert (await hub_count(store))[0] > 0, "the engine ended before the removal finished"

    await engine.start()
    await nothing_left(store, members, timeout=20)


async def test_a_slow_and_failing_member_during_the_delete_and_a_crash_leaves_nothing_behind(
    store: ObjectStore, members: Members, engine: RunningEngine
) -> None:
    bindings = await propagate(store, members)
    slow = members["cluster-shanghai"]
    slow.latency_s, slow.error_ratio = 0.3, 0.5
    await delete_all(store, bindings)
    await asyncio.sleep(0.5)
    await engine.kill()
    assert await member_names(members, "cluster-shanghai"), "removal had not finished"

    await engine.start()
    await asyncio.sleep(1.0)
    assert (await hub_count(store))[0] > 0, "bindings wait for the failing member"
    await nothing_left(store, members, timeout=40)


async def _member_create(members: Members, cluster: str, body: Object) -> None:
    client = await MemberClient.from_kubeconfig(members.kubeconfig(cluster))
    try:
        await client.request("POST", DEPLOYMENTS, body=body)
    finally:
        await client.close()


async def _orphan_work(store: ObjectStore, *, binding: BindingKey, cluster: str, name: str) -> None:
    """A Work as the engine writes it, for a binding that no longer exists."""
    manifest = desired_manifest(deployment(name), binding=binding)
    work = build_work(
        binding=binding,
        cluster=cluster,
        manifests=[manifest],
        condition=next_condition(None, applied=True, message="ok", now="2024-01-01T00:00:00Z"),
        existing=None,
    )
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": work["metadata"]["namespace"]},
    }
    try:
        await store.create(NAMESPACES, namespace)
    except AlreadyExistsError:
        pass
    await store.create(WORKS, work)


async def _orphans_world(store: ObjectStore, members: Members, engine: RunningEngine) -> Object:
    """Two members; a live binding on the second; the engine stopped (crashed) afterwards."""
    for cluster in (ORPHANED, ELSEWHERE):
        await attach(store, members, cluster)
    kept = await bind(store, await create_hub(store, deployment("kept")), {ELSEWHERE: 1})
    await eventually_async(lambda: _names_are(members, ELSEWHERE, ["kept"]))
    await engine.stop()
    return kept


async def _only_rightful_left(store: ObjectStore, members: Members, kept: Object) -> None:
    async def rightful() -> bool:
        works = (await store.list(WORKS)).items
        return [w["metadata"]["annotations"][BINDING_ANNOTATION] for w in works] == [
            f"ResourceBinding/default/{kept['metadata']['name']}"
        ] and await _names_are(members, ORPHANED, ["mine"])

    await eventually_async(rightful, timeout=15)
    await asyncio.sleep(0.5)
    assert await member_names(members, ORPHANED) == ["mine"]
    assert await member_names(members, ELSEWHERE) == ["kept"]


async def _foreign_copy(members: Members, binding: BindingKey) -> None:
    """Someone's own object that even carries the binding annotation, not Navarch's label."""
    foreign = desired_manifest(deployment("mine"), binding=binding)
    del foreign["metadata"]["labels"][MANAGED_BY_LABEL]
    await _member_create(members, ORPHANED, foreign)


async def test_a_member_object_whose_binding_is_gone_is_removed_on_start(
    store: ObjectStore, members: Members, engine: RunningEngine
) -> None:
    """No Work and no binding of its kind on that member any more (one elsewhere still is):
    an object with Navarch's marks naming a binding that is gone is removed."""
    kept = await _orphans_world(store, members, engine)
    gone = BindingKey("ResourceBinding", "default", "ghost-deployment")
    await _member_create(members, ORPHANED, desired_manifest(deployment("ghost"), binding=gone))
    await _foreign_copy(members, gone)

    await engine.start()
    await _only_rightful_left(store, members, kept)


async def test_a_work_whose_binding_is_gone_is_removed_with_its_copy_on_start(
    store: ObjectStore, members: Members, engine: RunningEngine
) -> None:
    kept = await _orphans_world(store, members, engine)
    gone = BindingKey("ResourceBinding", "default", "ghost-deployment")
    await _orphan_work(store, binding=gone, cluster=ORPHANED, name="ghost")
    await _member_create(members, ORPHANED, desired_manifest(deployment("ghost"), binding=gone))
    await _foreign_copy(members, gone)

    await engine.start()
    await _only_rightful_left(store, members, kept)


async def _names_are(members: Members, cluster: str, names: list[str]) -> bool:
    return await member_names(members, cluster) == names
