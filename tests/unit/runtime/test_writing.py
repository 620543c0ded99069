"""The one conflict policy: re-read, re-apply the change, retry; give up after a few."""

from shared.api.resources import ResourceType
from shared.runtime.own_writes import OwnWrites
from shared.runtime.writing import Writer
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
