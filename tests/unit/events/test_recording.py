"""The recorder over the store: one Event per key, counted up in place, errors only logged."""

import logging
from datetime import UTC, datetime, timedelta

import pytest

from shared.api.kinds import EVENTS
from shared.events.models import InvolvedObject
from shared.events.recording import EventRecorder
from shared.store.memory import MemoryBackend
from shared.store.objects import ObjectStore

CLUSTER = InvolvedObject(
    api_version="cluster.karmada.io/v1alpha1", kind="Cluster", name="east", uid="u-1"
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_repeats_within_the_window_update_one_event_and_later_ones_start_anew() -> None:
    store = ObjectStore(MemoryBackend())
    clock = Clock()
    recorder = EventRecorder(store, component="fleet-manager", clock=clock, window_seconds=600)
    recorder.start()
    try:
        for _ in range(3):
            recorder.record(CLUSTER, type="Normal", reason="ClusterNotReady", message="down")
            clock.now += timedelta(seconds=10)
        await recorder.flush()
        [event] = (await store.list(EVENTS, namespace="default")).items
        assert event["count"] == 3
        assert event["firstTimestamp"] == "2026-01-01T12:00:00Z"
        assert event["lastTimestamp"] == "2026-01-01T12:00:20Z"
        assert event["involvedObject"] == {
            "apiVersion": "cluster.karmada.io/v1alpha1",
            "kind": "Cluster",
            "name": "east",
            "uid": "u-1",
        }
        assert event["source"] == {"component": "fleet-manager"}
        assert event["type"] == "Normal"

        clock.now += timedelta(seconds=601)
        recorder.record(CLUSTER, type="Normal", reason="ClusterNotReady", message="down")
        recorder.record(CLUSTER, type="Normal", reason="ClusterReady", message="up")
        await recorder.flush()
        items = (await store.list(EVENTS, namespace="default")).items
        assert sorted((e["reason"], e["count"]) for e in items) == [
            ("ClusterNotReady", 1),
            ("ClusterNotReady", 3),
            ("ClusterReady", 1),
        ]
    finally:
        await recorder.stop()


async def test_a_deleted_event_is_recreated_on_the_next_repeat() -> None:
    store = ObjectStore(MemoryBackend())
    recorder = EventRecorder(store, component="scheduler", clock=Clock())
    recorder.start()
    try:
        event = recorder.record(CLUSTER, type="Warning", reason="R", message="m")
        await recorder.flush()
        await store.delete(EVENTS, "default", event.metadata.name)
        recorder.record(CLUSTER, type="Warning", reason="R", message="m")
        await recorder.flush()
        stored = await store.get(EVENTS, "default", event.metadata.name)
        assert stored["count"] == 2
    finally:
        await recorder.stop()


async def test_a_full_queue_drops_with_a_log_line_and_never_blocks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = ObjectStore(MemoryBackend())
    recorder = EventRecorder(store, component="scheduler", clock=Clock(), queue_size=2)
    with caplog.at_level(logging.WARNING, logger="shared.events.recording"):
        for index in range(4):
            recorder.record(CLUSTER, type="Normal", reason="R", message=f"m{index}")
    assert recorder.dropped == 2
    assert "event queue full; dropping Event" in caplog.text
    recorder.start()
    await recorder.flush()
    await recorder.stop()
    assert len((await store.list(EVENTS, namespace="default")).items) == 2


async def test_events_at_one_clock_reading_get_distinct_names() -> None:
    store = ObjectStore(MemoryBackend())
    recorder = EventRecorder(store, component="scheduler", clock=Clock())
    names = {
        recorder.record(CLUSTER, type="Normal", reason=f"R{index}", message="m").metadata.name
        for index in range(3)
    }
    assert len(names) == 3
    recorder.start()
    await recorder.flush()
    await recorder.stop()
