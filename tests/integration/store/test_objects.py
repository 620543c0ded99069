"""Object semantics: create/get/update/status/delete, generation, CAS, finalizers, selectors."""

import asyncio

import pytest

from shared.api.selectors import parse_label_selector
from shared.store.errors import AlreadyExistsError, ConflictError, InvalidObjectError, NotFoundError
from shared.store.objects import ObjectStore
from tests.integration.store.conftest import CLUSTERS, DEPLOYMENTS, deployment

pytestmark = pytest.mark.integration


async def test_create_sets_identity_and_rejects_duplicates(store: ObjectStore) -> None:
    created = await store.create(DEPLOYMENTS, deployment("web"))
    metadata = created["metadata"]
    assert metadata["uid"] and metadata["creationTimestamp"].endswith("Z")
    assert metadata["generation"] == 1
    assert int(metadata["resourceVersion"]) > 0
    fetched = await store.get(DEPLOYMENTS, "default", "web")
    assert fetched == created
    with pytest.raises(AlreadyExistsError):
        await store.create(DEPLOYMENTS, deployment("web"))


async def test_create_rejects_resource_version_and_missing_name(store: ObjectStore) -> None:
    with_rv = deployment("web")
    with_rv["metadata"]["resourceVersion"] = "5"
    with pytest.raises(InvalidObjectError) as error:
        await store.create(DEPLOYMENTS, with_rv)
    assert error.value.field == "metadata.resourceVersion"
    nameless = deployment("")
    with pytest.raises(InvalidObjectError) as error:
        await store.create(DEPLOYMENTS, nameless)
    assert error.value.field == "metadata.name"
    generated = deployment("")
    generated["metadata"]["generateName"] = "web-"
    created = await store.create(DEPLOYMENTS, generated)
    assert created["metadata"]["name"].startswith("web-") and len(created["metadata"]["name"]) == 9


async def test_generation_counts_spec_changes_only(store: ObjectStore) -> None:
    created = await store.create(DEPLOYMENTS, deployment("web"))
    created["metadata"]["labels"] = {"tier": "front"}
    relabelled = await store.update(DEPLOYMENTS, created)
    assert relabelled["metadata"]["generation"] == 1
    relabelled["spec"]["replicas"] = 3
    scaled = await store.update(DEPLOYMENTS, relabelled)
    assert scaled["metadata"]["generation"] == 2
    scaled["status"] = {"readyReplicas": 3}
    with_status = await store.update_status(DEPLOYMENTS, scaled)
    assert with_status["metadata"]["generation"] == 2
    assert with_status["status"] == {"readyReplicas": 3}
    assert int(with_status["metadata"]["resourceVersion"]) > int(
        scaled["metadata"]["resourceVersion"]
    )
    with_status["status"] = {"readyReplicas": 0}
    with_status["spec"]["replicas"] = 4
    updated = await store.update(DEPLOYMENTS, with_status)
    assert updated["status"] == {"readyReplicas": 3}, "main resource writes ignore status"
    assert updated["metadata"]["generation"] == 3


async def test_noop_update_keeps_resource_version(store: ObjectStore) -> None:
    created = await store.create(DEPLOYMENTS, deployment("web"))
    same = await store.update(DEPLOYMENTS, created)
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_stale_resource_version_conflicts(store: ObjectStore) -> None:
    created = await store.create(DEPLOYMENTS, deployment("web"))
    fresh = dict(created, spec={"replicas": 2})
    await store.update(DEPLOYMENTS, fresh)
    stale = dict(created, spec={"replicas": 5})
    with pytest.raises(ConflictError, match="the object has been modified"):
        await store.update(DEPLOYMENTS, stale)
    assert (await store.get(DEPLOYMENTS, "default", "web"))["spec"]["replicas"] == 2


async def test_concurrent_writers_have_exactly_one_winner_per_revision(store: ObjectStore) -> None:
    await store.create(DEPLOYMENTS, deployment("web", replicas=0))
    winners_per_revision: dict[str, int] = {}

    async def increment(writer: int) -> int:
        attempts = 0
        while True:
            attempts += 1
            current = await store.get(DEPLOYMENTS, "default", "web")
            revision = current["metadata"]["resourceVersion"]
            current["spec"]["replicas"] += 1
            current["spec"][f"writer{writer}"] = attempts
            try:
                await store.update(DEPLOYMENTS, current)
            except ConflictError:
                continue
            winners_per_revision[revision] = winners_per_revision.get(revision, 0) + 1
            return attempts

    writers = 24
    await asyncio.gather(*(increment(writer) for writer in range(writers)))
    final = await store.get(DEPLOYMENTS, "default", "web")
    assert final["spec"]["replicas"] == writers, "no increment was lost"
    assert set(winners_per_revision.values()) == {1}, "one winner per revision"
    assert len(winners_per_revision) == writers


async def test_delete_without_finalizers_removes(store: ObjectStore) -> None:
    await store.create(DEPLOYMENTS, deployment("web"))
    result = await store.delete(DEPLOYMENTS, "default", "web")
    assert result.deleted
    with pytest.raises(NotFoundError):
        await store.get(DEPLOYMENTS, "default", "web")
    with pytest.raises(NotFoundError):
        await store.delete(DEPLOYMENTS, "default", "web")
    recreated = await store.create(DEPLOYMENTS, deployment("web"))
    assert recreated["metadata"]["uid"] != result.object["metadata"]["uid"]


async def test_finalizers_hold_deletion_until_removed(store: ObjectStore) -> None:
    body = deployment("web")
    body["metadata"]["finalizers"] = ["navarch.dev/cleanup", "other/finalizer"]
    await store.create(DEPLOYMENTS, body)
    pending = await store.delete(DEPLOYMENTS, "default", "web")
    assert not pending.deleted
    assert pending.object["metadata"]["deletionTimestamp"]
    again = await store.delete(DEPLOYMENTS, "default", "web")
    assert (
        again.object["metadata"]["deletionTimestamp"]
        == pending.object["metadata"]["deletionTimestamp"]
    )
    current = await store.get(DEPLOYMENTS, "default", "web")
    current["metadata"]["deletionTimestamp"] = None
    current["metadata"]["finalizers"] = ["other/finalizer"]
    held = await store.update(DEPLOYMENTS, current)
    assert held["metadata"]["deletionTimestamp"], "deletionTimestamp can't be cleared"
    held["metadata"]["finalizers"] = []
    await store.update(DEPLOYMENTS, held)
    with pytest.raises(NotFoundError):
        await store.get(DEPLOYMENTS, "default", "web")


async def test_delete_preconditions(store: ObjectStore) -> None:
    created = await store.create(DEPLOYMENTS, deployment("web"))
    with pytest.raises(ConflictError):
        await store.delete(DEPLOYMENTS, "default", "web", uid="someone-else")
    updated = await store.update(DEPLOYMENTS, dict(created, spec={"replicas": 2}))
    with pytest.raises(ConflictError):
        await store.delete(
            DEPLOYMENTS, "default", "web", resource_version=created["metadata"]["resourceVersion"]
        )
    result = await store.delete(
        DEPLOYMENTS, "default", "web", resource_version=updated["metadata"]["resourceVersion"]
    )
    assert result.deleted


async def test_list_filters_by_namespace_and_labels(store: ObjectStore) -> None:
    await store.create(DEPLOYMENTS, deployment("a", app="web", tier="front"))
    await store.create(DEPLOYMENTS, deployment("b", app="web", tier="back"))
    await store.create(DEPLOYMENTS, deployment("c", app="db"))
    last = await store.create(DEPLOYMENTS, deployment("a", namespace="prod", app="web"))
    await store.create(CLUSTERS, {"metadata": {"name": "member-1.example", "labels": {"env": "x"}}})

    everything = await store.list(DEPLOYMENTS)
    assert [item["metadata"]["name"] for item in everything.items] == ["a", "b", "c", "a"]
    assert everything.revision >= int(last["metadata"]["resourceVersion"])
    in_default = await store.list(DEPLOYMENTS, namespace="default")
    assert len(in_default.items) == 3

    def names(selector: str, namespace: str | None = "default") -> list[str]:
        return [item["metadata"]["name"] for item in result[selector]]

    cases = {
        "app=web": ["a", "b"],
        "app==web,tier!=back": ["a"],
        "app in (db, cache)": ["c"],
        "app notin (db)": ["a", "b"],
        "tier": ["a", "b"],
        "!tier": ["c"],
    }
    result = {
        selector: (
            await store.list(
                DEPLOYMENTS, namespace="default", label_selector=parse_label_selector(selector)
            )
        ).items
        for selector in cases
    }
    for selector, expected in cases.items():
        assert names(selector) == expected, selector
    clusters = await store.list(CLUSTERS)
    assert [item["metadata"]["name"] for item in clusters.items] == ["member-1.example"]
    assert "namespace" not in clusters.items[0]["metadata"]
