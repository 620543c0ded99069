"""Watch semantics: ordered events from a revision, expiry, and resumption across NATS restarts."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.bus import Bus
from shared.natsserver import NatsServer
from shared.store.errors import ExpiredError, UnavailableError
from shared.store.jetstream import JetStreamBackend
from shared.store.objects import ObjectStore, WatchEvent
from tests.integration.store.conftest import DEPLOYMENTS, deployment

pytestmark = pytest.mark.integration


async def take(
    events: AsyncIterator[WatchEvent], count: int, *, timeout: float = 10.0
) -> list[WatchEvent]:
    taken: list[WatchEvent] = []
    async with asyncio.timeout(timeout):
        async for event in events:
            taken.append(event)
            if len(taken) == count:
                break
    return taken


async def test_watch_from_revision_delivers_changes_in_order(store: ObjectStore) -> None:
    start = (await store.list(DEPLOYMENTS)).revision
    created = await store.create(DEPLOYMENTS, deployment("web"))
    await store.create(DEPLOYMENTS, deployment("db", namespace="other"))
    created["spec"]["replicas"] = 2
    await store.update(DEPLOYMENTS, created)
    await store.delete(DEPLOYMENTS, "default", "web")

    watch = store.watch(DEPLOYMENTS, after_revision=start)
    events = await take(watch, 4)
    await watch.aclose()
    assert [(event.type, event.object["metadata"]["name"]) for event in events] == [
        ("ADDED", "web"),
        ("ADDED", "db"),
        ("MODIFIED", "web"),
        ("DELETED", "web"),
    ]
    revisions = [event.revision for event in events]
    assert revisions == sorted(set(revisions))
    assert events[3].object["spec"]["replicas"] == 2, "DELETED carries the last state"
    assert events[3].object["metadata"]["resourceVersion"] == str(events[3].revision)

    namespaced = store.watch(DEPLOYMENTS, namespace="other", after_revision=start)
    only_other = await take(namespaced, 1)
    await namespaced.aclose()
    assert only_other[0].object["metadata"]["namespace"] == "other"


async def test_watch_from_the_middle_skips_earlier_changes(store: ObjectStore) -> None:
    first = await store.create(DEPLOYMENTS, deployment("one"))
    await store.create(DEPLOYMENTS, deployment("two"))
    watch = store.watch(DEPLOYMENTS, after_revision=int(first["metadata"]["resourceVersion"]))
    events = await take(watch, 1)
    await watch.aclose()
    assert events[0].object["metadata"]["name"] == "two"


async def test_live_events_arrive_while_watching(store: ObjectStore) -> None:
    start = (await store.list(DEPLOYMENTS)).revision
    watch = store.watch(DEPLOYMENTS, after_revision=start)
    pending = asyncio.ensure_future(take(watch, 3))
    for index in range(3):
        await store.create(DEPLOYMENTS, deployment(f"live-{index}"))
    events = await pending
    await watch.aclose()
    assert [event.object["metadata"]["name"] for event in events] == ["live-0", "live-1", "live-2"]


async def test_expired_revision_is_its_own_error(store: ObjectStore) -> None:
    created = await store.create(DEPLOYMENTS, deployment("web"))
    await store.delete(DEPLOYMENTS, "default", "web")
    now = (await store.list(DEPLOYMENTS)).revision
    await store.compact(before_revision=now + 1)
    with pytest.raises(ExpiredError) as error:
        await anext(
            store.watch(DEPLOYMENTS, after_revision=int(created["metadata"]["resourceVersion"]))
        )
    assert "too old resource version" in str(error.value)
    watch = store.watch(DEPLOYMENTS, after_revision=now)
    await store.create(DEPLOYMENTS, deployment("after"))
    assert (await take(watch, 1))[0].object["metadata"]["name"] == "after"
    await watch.aclose()


async def create_when_available(store: ObjectStore, name: str) -> None:
    """Clients retry while NATS comes back; the watch must not notice the outage."""
    async with asyncio.timeout(30):
        while True:
            try:
                await store.create(DEPLOYMENTS, deployment(name))
                return
            except UnavailableError:
                await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def restartable_server(path: Path) -> AsyncIterator[NatsServer]:
    server = NatsServer(store_dir=path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_watch_resumes_without_gaps_or_duplicates_across_nats_restart(tmp_path: Path) -> None:
    async with restartable_server(tmp_path / "nats") as server:
        bus = await Bus.connect(server.url, name="restart-test")
        store = ObjectStore(await JetStreamBackend.open(bus, bucket=f"r{uuid.uuid4().hex[:8]}"))
        before = await store.create(DEPLOYMENTS, deployment("before"))
        watch = store.watch(DEPLOYMENTS, after_revision=0)
        first = await take(watch, 1)

        server.kill()
        server.start()
        await create_when_available(store, "after-restart")
        for index in range(5):
            await store.create(DEPLOYMENTS, deployment(f"more-{index}"))
        rest = await take(watch, 6, timeout=20)
        await watch.aclose()

        names = [event.object["metadata"]["name"] for event in first + rest]
        assert names == ["before", "after-restart"] + [f"more-{index}" for index in range(5)]
        revisions = [event.revision for event in first + rest]
        assert revisions == sorted(set(revisions)), "no duplicates, in order"
        survivor = await store.get(DEPLOYMENTS, "default", "before")
        assert survivor["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
        await bus.close()


async def test_objects_survive_nats_kill_with_same_resource_version(tmp_path: Path) -> None:
    bucket = f"k{uuid.uuid4().hex[:8]}"
    async with restartable_server(tmp_path / "nats") as server:
        bus = await Bus.connect(server.url, name="kill-test")
        store = ObjectStore(await JetStreamBackend.open(bus, bucket=bucket))
        written = [await store.create(DEPLOYMENTS, deployment(f"d{index}")) for index in range(20)]
        await bus.close()
        server.kill()
        server.start()
        bus = await Bus.connect(server.url, name="kill-test-2")
        store = ObjectStore(await JetStreamBackend.open(bus, bucket=bucket))
        listed = await store.list(DEPLOYMENTS)
        assert sorted(
            (o["metadata"]["name"], o["metadata"]["resourceVersion"]) for o in listed.items
        ) == sorted((o["metadata"]["name"], o["metadata"]["resourceVersion"]) for o in written)
        await bus.close()
