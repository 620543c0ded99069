"""Fixtures: a unique JetStream bucket, four served members, the override-engine over both."""

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from propagation_world import Members, RunningEngine

from services.override_engine.settings import OverrideEngineSettings
from shared.bus import Bus
from shared.store.jetstream import JetStreamBackend
from shared.store.objects import ObjectStore

MEMBER_NAMES = ["cluster-hangzhou", "cluster-shanghai", "cluster-frankfurt", "cluster-prod"]


@pytest.fixture
async def store(bus: Bus) -> AsyncIterator[ObjectStore]:
    backend = await JetStreamBackend.open(bus, bucket=f"override-{uuid.uuid4().hex[:12]}")
    yield ObjectStore(backend)
    await backend.close()


@pytest.fixture
def members(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Members]:
    running = Members([*MEMBER_NAMES, "cluster-dr"], tmp_path_factory.mktemp("members"))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def engine_settings() -> OverrideEngineSettings:
    return OverrideEngineSettings(
        request_timeout_s=1.0, member_max_backoff_s=0.5, status_delay_s=0.05, watch_retry_s=0.2
    )


@pytest.fixture
async def engine(
    store: ObjectStore, bus: Bus, engine_settings: OverrideEngineSettings
) -> AsyncIterator[RunningEngine]:
    running = RunningEngine(store=store, bus=bus, settings=engine_settings)
    await running.start()
    yield running
    await running.stop()
