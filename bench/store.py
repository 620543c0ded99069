"""Store throughput and latency on a private nats-server: 10,000 objects.

Targets (2 cores): >= 2,000 creates/s with concurrent writers, informer list of 10,000
< 50 ms, watch delivery p99 < 50 ms at 1,000 writes/s.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

from common import mean, percentile, private_nats, report

from shared.api.resources import ResourceType
from shared.bus import Bus
from shared.runtime.informing import Informer
from shared.runtime.tasks import OwnedTasks
from shared.store.jetstream import JetStreamBackend
from shared.store.objects import ObjectStore

OBJECTS = 10_000
WRITERS = 64
WATCH_RATE_PER_S = 1_000
WATCH_SECONDS = 5
CONFIGMAPS = ResourceType(
    group="", version="v1", plural="configmaps", kind="ConfigMap", status_subresource=False
)


def configmap(index: int) -> dict:
    return {
        "metadata": {
            "name": f"cm-{index:05d}",
            "namespace": f"ns-{index % 10}",
            "labels": {"bench": "store", "shard": str(index % 16)},
        },
        "data": {"payload": "x" * 256},
    }


async def timed_concurrently(
    count: int, operation: Callable[[int], Awaitable[None]]
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    next_index = 0

    async def writer() -> None:
        nonlocal next_index
        while next_index < count:
            index = next_index
            next_index += 1
            started = time.perf_counter()
            await operation(index)
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    return time.perf_counter() - started, latencies


async def measure_watch_delivery(store: ObjectStore) -> list[float]:
    start = (await store.list(CONFIGMAPS, namespace="watch")).revision
    delays: list[float] = []
    total = WATCH_RATE_PER_S * WATCH_SECONDS

    async def watch() -> None:
        async for event in store.watch(CONFIGMAPS, namespace="watch", after_revision=start):
            sent = float(event.object["data"]["sent"])
            delays.append((time.perf_counter() - sent) * 1000)
            if len(delays) == total:
                return

    watcher = asyncio.ensure_future(watch())
    interval = 1 / WATCH_RATE_PER_S
    began = time.perf_counter()
    pending: set[asyncio.Task] = set()
    for index in range(total):
        due = began + index * interval
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        body = {
            "metadata": {"name": f"w-{index}", "namespace": "watch"},
            "data": {"sent": repr(time.perf_counter())},
        }
        task = asyncio.ensure_future(store.create(CONFIGMAPS, body))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    await asyncio.wait_for(watcher, 30)
    return delays


async def main() -> None:
    with private_nats() as server:
        bus = await Bus.connect(server.url, name="bench-store")
        store = ObjectStore(await JetStreamBackend.open(bus, bucket="bench"))

        async def create(index: int) -> None:
            await store.create(CONFIGMAPS, configmap(index))

        create_s, create_ms = await timed_concurrently(OBJECTS, create)

        async def update(index: int) -> None:
            current = await store.get(CONFIGMAPS, f"ns-{index % 10}", f"cm-{index:05d}")
            current["data"]["payload"] = "y" * 256
            await store.update(CONFIGMAPS, current)

        update_s, update_ms = await timed_concurrently(OBJECTS, update)

        async def get(index: int) -> None:
            await store.get(CONFIGMAPS, f"ns-{index % 10}", f"cm-{index:05d}")

        get_s, get_ms = await timed_concurrently(OBJECTS, get)

        started = time.perf_counter()
        listing = await store.list(CONFIGMAPS)
        store_list_ms = (time.perf_counter() - started) * 1000
        assert len(listing.items) == OBJECTS

        informer = Informer(store, CONFIGMAPS)
        tasks = OwnedTasks("bench")
        started = time.perf_counter()
        tasks.start(informer.run(), name="informer")
        await informer.wait_synced()
        informer_sync_ms = (time.perf_counter() - started) * 1000
        list_ms = []
        for _ in range(20):
            started = time.perf_counter()
            items = informer.list()
            list_ms.append((time.perf_counter() - started) * 1000)
        assert len(items) == OBJECTS
        await tasks.stop()

        delays = await measure_watch_delivery(store)
        await bus.close()

    report(
        "store",
        {
            "objects": OBJECTS,
            "writers": WRITERS,
            "creates_per_s": OBJECTS / create_s,
            "create_p50_ms": percentile(create_ms, 0.5),
            "create_p99_ms": percentile(create_ms, 0.99),
            "updates_per_s": OBJECTS / update_s,
            "update_p50_ms": percentile(update_ms, 0.5),
            "update_p99_ms": percentile(update_ms, 0.99),
            "gets_per_s": OBJECTS / get_s,
            "get_p50_ms": percentile(get_ms, 0.5),
            "get_p99_ms": percentile(get_ms, 0.99),
            "store_list_10k_ms": store_list_ms,
            "informer_sync_10k_ms": informer_sync_ms,
            "informer_list_10k_ms": mean(list_ms),
            "watch_rate_per_s": WATCH_RATE_PER_S,
            "watch_delivery_p50_ms": percentile(delays, 0.5),
            "watch_delivery_p99_ms": percentile(delays, 0.99),
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
