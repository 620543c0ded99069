"""Writes against a cached `current`: no read when the cache is fresh, the same outcome when not."""

import copy

import pytest

from shared.store.errors import ConflictError, NotFoundError
from shared.store.objects import ObjectStore
from tests.integration.store.conftest import CONFIGMAPS, DEPLOYMENTS, deployment

pytestmark = pytest.mark.integration


class CountingReads:
    """Counts the backend reads a write makes."""

    def __init__(self, store: ObjectStore) -> None:
        self.reads = 0
        self._get = store.backend.get
        store.backend.get = self._counted  # type: ignore[method-assign]

    async def _counted(self, key: str):  # type: ignore[no-untyped-def]
        self.reads += 1
        return await self._get(key)


async def test_fresh_cache_writes_without_reading(store: ObjectStore) -> None:
    created = await store.create(DEPLOYMENTS, deployment("web"))
    counter = CountingReads(store)
    body = copy.deepcopy(created)
    body["metadata"].pop("resourceVersion")
    body["status"] = {"readyReplicas": 1}
    written = await store.update_status(DEPLOYMENTS, body, current=created)
    assert counter.reads == 0
    assert written["status"] == {"readyReplicas": 1}
    assert written == await store.get(DEPLOYMENTS, "default", "web")
    relabelled = dict(written, metadata=dict(written["metadata"], labels={"tier": "front"}))
    updated = await store.update(DEPLOYMENTS, relabelled, current=written)
    assert counter.reads == 1  # only the get above
    assert updated["metadata"]["labels"] == {"tier": "front"}
    assert updated["metadata"]["generation"] == 1 and updated["status"] == {"readyReplicas": 1}


async def test_written_objects_share_nothing_with_inputs(store: ObjectStore) -> None:
    created = await store.create(DEPLOYMENTS, deployment("web"))
    cached = copy.deepcopy(created)
    status = {"conditions": [{"type": "Available", "status": "True"}]}
    written = await store.update_status(DEPLOYMENTS, dict(created, status=status), current=cached)
    written["status"]["conditions"].append({"type": "Progressing"})
    written["metadata"]["labels"]["x"] = "y"
    assert status == {"conditions": [{"type": "Available", "status": "True"}]}
    assert cached == created
    stored = await store.get(DEPLOYMENTS, "default", "web")
    assert stored["status"] == status and "x" not in stored["metadata"]["labels"]


async def test_stale_cache_without_revision_reads_and_retries(store: ObjectStore) -> None:
    created = await store.create(DEPLOYMENTS, deployment("web"))
    newer = await store.update_status(DEPLOYMENTS, dict(created, status={"replicas": 2}))
    body = dict(created, status={"readyReplicas": 2})
    body["metadata"] = {k: v for k, v in created["metadata"].items() if k != "resourceVersion"}
    written = await store.update_status(DEPLOYMENTS, body, current=created)
    assert written["status"] == {"readyReplicas": 2}
    assert int(written["metadata"]["resourceVersion"]) > int(newer["metadata"]["resourceVersion"])


async def test_stale_cache_with_revision_still_conflicts(store: ObjectStore) -> None:
    created = await store.create(DEPLOYMENTS, deployment("web"))
    await store.update_status(DEPLOYMENTS, dict(created, status={"replicas": 2}))
    with pytest.raises(ConflictError):
        await store.update_status(
            DEPLOYMENTS, dict(created, status={"replicas": 3}), current=created
        )
    with pytest.raises(ConflictError):
        await store.update(DEPLOYMENTS, dict(created, spec={"replicas": 5}), current=created)


async def test_cache_equal_to_desired_is_confirmed_by_the_store(store: ObjectStore) -> None:
    """The cache says nothing changes; the store holds something else: the write happens."""
    created = await store.create(CONFIGMAPS, {**_configmap(), "data": {"a": "1"}})
    await store.update(CONFIGMAPS, dict(created, data={"a": "2"}))
    body = dict(created, data={"a": "1"})
    body["metadata"] = {k: v for k, v in created["metadata"].items() if k != "resourceVersion"}
    written = await store.update(CONFIGMAPS, body, current=created)
    assert written["data"] == {"a": "1"}
    assert (await store.get(CONFIGMAPS, "default", "settings"))["data"] == {"a": "1"}


async def test_cached_write_of_a_deleted_object_is_not_found(store: ObjectStore) -> None:
    created = await store.create(CONFIGMAPS, _configmap())
    await store.delete(CONFIGMAPS, "default", "settings")
    body = dict(created, data={"a": "3"})
    body["metadata"] = {k: v for k, v in created["metadata"].items() if k != "resourceVersion"}
    with pytest.raises(NotFoundError):
        await store.update(CONFIGMAPS, body, current=created)


def _configmap() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": "default"},
    }
