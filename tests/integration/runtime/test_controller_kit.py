"""The controller kit end to end over a real NATS: sync before reconcile, own writes
skipped, conflicts retried, drain on stop — through its documented example service."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from shared.bus import Bus
from shared.runtime.service import ServiceContext
from shared.settings import NavarchSettings
from shared.store.jetstream import JetStreamBackend
from shared.store.objects import ObjectStore
from tests.integration.runtime.sample_service import (
    CONFIGMAPS,
    KEYS_ANNOTATION,
    SELECTED_LABEL,
    SampleService,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def store(bus: Bus) -> AsyncIterator[ObjectStore]:
    backend = await JetStreamBackend.open(bus, bucket=f"kit-{uuid.uuid4().hex[:12]}")
    yield ObjectStore(backend)
    await backend.close()


def configmap(name: str, **data: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default", "labels": {SELECTED_LABEL: "true"}},
        "data": data,
    }


async def started(store: ObjectStore, bus: Bus) -> tuple[SampleService, ServiceContext]:
    context = ServiceContext(name="sample", settings=NavarchSettings(), bus=bus, store=store)
    service = SampleService()
    await service.start(context)
    return service, context


async def stopped(service: SampleService, context: ServiceContext) -> None:
    await service.stop()
    await context.tasks.stop()


async def annotated(store: ObjectStore, name: str, expected: str) -> None:
    """Wait until the ConfigMap carries the expected key count."""
    async with asyncio.timeout(5):
        while True:
            obj = await store.get(CONFIGMAPS, "default", name)
            if (obj["metadata"].get("annotations") or {}).get(KEYS_ANNOTATION) == expected:
                return
            await asyncio.sleep(0.02)


async def test_existing_objects_are_reconciled_once_the_cache_is_synced(
    store: ObjectStore, bus: Bus
) -> None:
    for index in range(20):
        await store.create(CONFIGMAPS, configmap(f"cm-{index}", a="1", b="2"))
    service, context = await started(store, bus)
    try:
        assert service.controllers is not None and service.controllers.synced
        assert service.ready(context)
        for index in range(20):
            await annotated(store, f"cm-{index}", "2")
        assert service.writes == 20, "one write per object: its echo woke nothing"
    finally:
        await stopped(service, context)


async def test_a_restart_writes_nothing_when_everything_is_already_right(
    store: ObjectStore, bus: Bus
) -> None:
    await store.create(CONFIGMAPS, configmap("steady", a="1"))
    service, context = await started(store, bus)
    await annotated(store, "steady", "1")
    await stopped(service, context)
    again, context = await started(store, bus)
    try:
        await asyncio.sleep(0.3)
        assert again.writes == 0
    finally:
        await stopped(again, context)


async def test_a_concurrent_change_by_someone_else_is_not_lost(
    store: ObjectStore, bus: Bus
) -> None:
    service, context = await started(store, bus)
    try:
        created = await store.create(CONFIGMAPS, configmap("busy", a="1"))
        await annotated(store, "busy", "1")
        fresh = await store.get(CONFIGMAPS, "default", "busy")
        await store.update(CONFIGMAPS, {**fresh, "data": {"a": "1", "b": "2", "c": "3"}})
        await annotated(store, "busy", "3")
        final = await store.get(CONFIGMAPS, "default", "busy")
        assert final["data"] == {"a": "1", "b": "2", "c": "3"}
        assert int(final["metadata"]["resourceVersion"]) > int(
            created["metadata"]["resourceVersion"]
        )
    finally:
        await stopped(service, context)
