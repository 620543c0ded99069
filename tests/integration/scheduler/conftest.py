"""Fixtures: a unique JetStream bucket and a scheduler service running over it."""

import uuid
from collections.abc import AsyncIterator

import pytest
from scheduler_world import Running

from services.scheduler.service import SchedulerSettings
from shared.bus import Bus
from shared.runtime.clock import WallClock, utc_now
from shared.store.jetstream import JetStreamBackend
from shared.store.objects import ObjectStore


@pytest.fixture
async def store(bus: Bus) -> AsyncIterator[ObjectStore]:
    backend = await JetStreamBackend.open(bus, bucket=f"sched-{uuid.uuid4().hex[:12]}")
    yield ObjectStore(backend)
    await backend.close()


@pytest.fixture
def scheduler_settings() -> SchedulerSettings:
    return SchedulerSettings()


@pytest.fixture
def scheduler_clock() -> WallClock:
    """The scheduler's wall clock; timing tests override it with a `ManualClock`."""
    return utc_now


@pytest.fixture
async def scheduler(
    store: ObjectStore, bus: Bus, scheduler_settings: SchedulerSettings, scheduler_clock: WallClock
) -> AsyncIterator[Running]:
    running = Running(store=store, bus=bus, settings=scheduler_settings, clock=scheduler_clock)
    await running.start()
    yield running
    await running.stop()
