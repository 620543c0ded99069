"""The store refuses what it cannot hold with typed errors, never NATS' `maximum payload`.

The object limit is etcd's 1.5 MiB by default, lowered to what the NATS server accepts
(its INFO `max_payload`), so a publish never fails on size.
"""

import uuid
from collections.abc import AsyncIterator

import pytest

from shared.api.resources import ResourceType
from shared.bus import Bus
from shared.store.errors import NotFoundError, ObjectTooDeepError, TooLargeError
from shared.store.jetstream import JetStreamBackend
from shared.store.limits import ObjectLimits
from shared.store.memory import MemoryBackend
from shared.store.objects import ObjectStore

CONFIGMAPS = ResourceType(
    group="", version="v1", plural="configmaps", kind="ConfigMap", status_subresource=False
)


def _configmap(name: str, size: int) -> dict:
    return {"metadata": {"name": name, "namespace": "default"}, "data": {"k": "x" * size}}


@pytest.fixture
async def jetstream(bus: Bus) -> AsyncIterator[JetStreamBackend]:
    backend = await JetStreamBackend.open(bus, bucket=f"limits-{uuid.uuid4().hex[:12]}")
    yield backend
    await backend.close()


async def test_the_limit_never_exceeds_what_nats_accepts(
    bus: Bus, jetstream: JetStreamBackend
) -> None:
    payload = bus.client.max_payload
    store = ObjectStore(jetstream, limits=ObjectLimits(max_object_bytes=payload * 4))
    assert store.max_object_bytes() < payload
    with pytest.raises(TooLargeError) as refused:
        await store.create(CONFIGMAPS, _configmap("over", payload))
    assert refused.value.limit == store.max_object_bytes()
    assert refused.value.size > refused.value.limit
    with pytest.raises(NotFoundError):
        await store.get(CONFIGMAPS, "default", "over")
    near = await store.create(CONFIGMAPS, _configmap("near", store.max_object_bytes() - 1000))
    grown = dict(near, data={"k": "x" * payload})
    with pytest.raises(TooLargeError):
        await store.update(CONFIGMAPS, grown)
    assert (await store.get(CONFIGMAPS, "default", "near"))["data"] == near["data"]


async def test_the_backend_checks_the_payload_itself(bus: Bus, jetstream: JetStreamBackend) -> None:
    """Even a caller that bypasses the object layer gets the typed error."""
    with pytest.raises(TooLargeError):
        await jetstream.create("o.too.big", b"x" * bus.client.max_payload)
    assert await jetstream.get("o.too.big") is None


async def test_the_default_is_etcds_limit_on_memory() -> None:
    store = ObjectStore(MemoryBackend())
    assert store.max_object_bytes() == 1572864
    with pytest.raises(TooLargeError) as refused:
        await store.create(CONFIGMAPS, _configmap("big", 1572864))
    assert refused.value.limit == 1572864


async def test_objects_deeper_than_the_bound_are_refused() -> None:
    store = ObjectStore(MemoryBackend(), limits=ObjectLimits(max_depth=5))
    nested: dict = {"leaf": 1}
    for _ in range(5):
        nested = {"a": nested}
    obj = {"metadata": {"name": "deep", "namespace": "default"}, "spec": nested}
    with pytest.raises(ObjectTooDeepError) as refused:
        await store.create(CONFIGMAPS, obj)
    assert refused.value.field == "spec.a.a.a.a"
    assert refused.value.message == "exceeded max depth of 5"
