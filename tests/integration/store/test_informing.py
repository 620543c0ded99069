"""Informers over both backends: initial list, live events, cache, and re-list after expiry."""

import asyncio

import pytest

from shared.runtime.informing import Informer, InformerEvent
from shared.runtime.tasks import OwnedTasks
from shared.store.objects import ObjectStore
from tests.helpers import eventually
from tests.integration.store.conftest import DEPLOYMENTS, deployment

pytestmark = pytest.mark.integration


async def test_informer_lists_then_follows_changes(store: ObjectStore) -> None:
    await store.create(DEPLOYMENTS, deployment("existing", app="web"))
    informer = Informer(store, DEPLOYMENTS)
    seen: list[tuple[str, str]] = []
    informer.add_handler(lambda event: seen.append((event.type, event.key[1])))
    tasks = OwnedTasks("test")
    tasks.start(informer.run(), name="informer")
    await asyncio.wait_for(informer.wait_synced(), 5)
    assert informer.get("default", "existing") is not None

    created = await store.create(DEPLOYMENTS, deployment("new"))
    created["spec"]["replicas"] = 3
    await store.update(DEPLOYMENTS, created)
    await store.delete(DEPLOYMENTS, "default", "existing")
    await eventually(lambda: len(seen) == 4)
    assert seen == [
        ("ADDED", "existing"),
        ("ADDED", "new"),
        ("MODIFIED", "new"),
        ("DELETED", "existing"),
    ]
    cached = informer.get("default", "new")
    assert cached is not None and cached["spec"]["replicas"] == 3
    assert [item["metadata"]["name"] for item in informer.list()] == ["new"]
    await tasks.stop()


async def test_informer_relists_after_an_expired_revision(store: ObjectStore) -> None:
    informer = Informer(store, DEPLOYMENTS)
    events: list[InformerEvent] = []
    informer.add_handler(events.append)
    tasks = OwnedTasks("test")
    task = tasks.start(informer.run(), name="informer")
    await asyncio.wait_for(informer.wait_synced(), 5)
    await tasks.stop()
    assert task.cancelled()

    await store.create(DEPLOYMENTS, deployment("while-away"))
    gone = await store.create(DEPLOYMENTS, deployment("gone"))
    await store.delete(DEPLOYMENTS, "default", "gone")
    now = (await store.list(DEPLOYMENTS)).revision
    await store.compact(before_revision=now + 1)

    tasks = OwnedTasks("test")
    tasks.start(informer.run(), name="informer")
    await eventually(lambda: informer.get("default", "while-away") is not None)
    assert informer.get("default", "gone") is None
    assert informer.relists == 2
    assert gone["metadata"]["name"] not in [item["metadata"]["name"] for item in informer.list()]
    await tasks.stop()
