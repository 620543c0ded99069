"""The one conflict policy: re-read, re-apply the change, retry; give up after a few."""

import pytest

from shared.api.resources import ResourceType
from shared.runtime.own_writes import OwnWrites
from shared.runtime.writing import Writer
from shared.store.backend import KVEntry
from shared.store.errors import NotFoundError
from shared.store.memory import MemoryBackend
from shared.store.objects import ObjectStore

CONFIGMAPS = ResourceType(
    group="", version="v1", plural="configmaps", kind="ConfigMap", status_subresource=False
)


def new_configmap() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "namespace": "default"},
        "data": {"count": "0"},
    }


def increment(obj: dict) -> dict:
    return {**obj, "data": {"count": str(int(obj["data"]["count"]) + 1)}}


async def test_a_conflicting_change_is_applied_to_the_fresh_copy() -> None:
    store = ObjectStore(MemoryBackend())
    writer = Writer(store, OwnWrites())
    stale = await store.create(CONFIGMAPS, new_configmap())
    await store.update(CONFIGMAPS, increment(stale))  # someone else wrote meanwhile
    written = await writer.change(CONFIGMAPS, stale, increment)
    assert written is not None
    assert written["data"]["count"] == "2", "the change was re-applied, nothing lost"
    assert writer.own_writes.highest_revision(CONFIGMAPS) == int(
        written["metadata"]["resourceVersion"]
    )


async def test_no_change_means_no_write() -> None:
    store = ObjectStore(MemoryBackend())
    writer = Writer(store, OwnWrites())
    created = await store.create(CONFIGMAPS, new_configmap())
    assert await writer.change(CONFIGMAPS, created, lambda _obj: None) is None
    fetched = await store.get(CONFIGMAPS, "default", "a")
    assert fetched["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_a_vanished_object_ends_the_retry_quietly() -> None:
    store = ObjectStore(MemoryBackend())
    writer = Writer(store, OwnWrites())
    stale = await store.create(CONFIGMAPS, new_configmap())
    await store.update(CONFIGMAPS, increment(stale))
    await store.delete(CONFIGMAPS, "default", "a")
    assert await writer.change(CONFIGMAPS, stale, increment) is None


class CountingBackend(MemoryBackend):
    """The in-memory store, counting point reads: a write from a fresh cache needs none."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def get(self, key: str) -> KVEntry | None:
        self.reads += 1
        return await super().get(key)


async def test_a_change_to_a_current_cached_copy_writes_without_reading_first() -> None:
    backend = CountingBackend()
    store = ObjectStore(backend)
    writer = Writer(store, OwnWrites())
    cached = await store.create(CONFIGMAPS, new_configmap())
    before = backend.reads
    written = await writer.change(CONFIGMAPS, cached, increment)
    assert written is not None and written["data"]["count"] == "1"
    assert backend.reads == before, "the cached copy named the revision: no read"


async def test_deleting_an_object_already_gone_forgets_the_own_write() -> None:
    store = ObjectStore(MemoryBackend())
    writer = Writer(store, OwnWrites())
    created = await writer.create(CONFIGMAPS, new_configmap())
    await store.delete(CONFIGMAPS, "default", "a")
    with pytest.raises(NotFoundError):
        await writer.delete(CONFIGMAPS, "default", "a", uid=created["metadata"]["uid"])
    assert writer.own_writes.unseen(CONFIGMAPS, ("default", "a")) is None
    assert len(writer.own_writes) == 0


async def test_ensure_answers_the_object_as_it_stands_after_the_change() -> None:
    store = ObjectStore(MemoryBackend())
    writer = Writer(store, OwnWrites())
    created = await store.create(CONFIGMAPS, new_configmap())
    assert await writer.ensure(CONFIGMAPS, created, lambda _obj: None) == created, (
        "no change needed: the copy it was checked against"
    )
    written = await writer.ensure(CONFIGMAPS, created, increment)
    assert written is not None and written["data"]["count"] == "1"
    await store.delete(CONFIGMAPS, "default", "a")
    assert await writer.ensure(CONFIGMAPS, written, increment) is None, "gone"


async def test_a_remembered_deletion_reads_as_gone_from_a_lagging_cache() -> None:
    store = ObjectStore(MemoryBackend())
    writer = Writer(store, OwnWrites())
    cached = await writer.create(CONFIGMAPS, new_configmap())
    result = await writer.delete(CONFIGMAPS, "default", "a", remember_deletion=True)
    assert result.deleted
    assert writer.own_writes.fresher(CONFIGMAPS, cached) is None
    assert writer.own_writes.unseen(CONFIGMAPS, ("default", "a")) is None
    recreated = await writer.create(CONFIGMAPS, new_configmap())
    await writer.delete(CONFIGMAPS, "default", "a")
    assert writer.own_writes.fresher(CONFIGMAPS, recreated) is recreated, (
        "without remember_deletion the cache decides, as before"
    )
