"""Helpers of the scheduler integration tests: a restartable in-process service, waits,
a wall clock the test moves, and the seed fleet's Cluster objects as the fleet-manager
would write them."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from services.scheduler.resources import CLUSTERS
from services.scheduler.service import SchedulerService, SchedulerSettings
from shared.api.cluster import Cluster
from shared.bus import Bus
from shared.runtime.clock import WallClock, utc_now
from shared.runtime.service import ServiceContext
from shared.settings import NavarchSettings
from shared.store.errors import NotFoundError
from shared.store.objects import Object, ObjectStore
from tests.seed_fleet import ENABLED

T = TypeVar("T")

CLOCK_START = datetime(2026, 12, 3, 14, 0, 0, tzinfo=UTC)
"""A whole second: timestamps written with seconds precision lose nothing."""


class ManualClock:
    """A wall clock that moves only when the test advances it.

    Tolerations and eviction tasks expire at exactly the moment the test chooses, however
    loaded the machine is; only the scheduler's timed recheck still runs on loop time.
    """

    def __init__(self, start: datetime = CLOCK_START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def simple_cluster(
    name: str,
    *,
    labels: dict[str, str] | None = None,
    region: str = "r1",
    zone: str = "z1",
    provider: str = "sim",
    taints: list[dict[str, Any]] | None = None,
    allocatable: dict[str, str] | None = None,
) -> Cluster:
    return Cluster.model_validate(
        {
            "metadata": {"name": name, "labels": labels or {}},
            "spec": {
                "region": region,
                "zones": [zone],
                "provider": provider,
                "taints": taints or [],
            },
            "status": {
                "conditions": [{"type": "Ready", "status": "True"}],
                "apiEnablements": ENABLED,
                "resourceSummary": {
                    "allocatable": allocatable or {"cpu": "48", "memory": "192Gi", "pods": "330"}
                },
            },
        }
    )


@dataclass
class Running:
    """A scheduler service started in-process, restartable within one test."""

    store: ObjectStore
    bus: Bus
    settings: SchedulerSettings
    clock: WallClock = field(default=utc_now)
    service: SchedulerService | None = None
    context: ServiceContext | None = None

    async def start(self) -> SchedulerService:
        self.context = ServiceContext(
            name="scheduler", settings=NavarchSettings(), bus=self.bus, store=self.store
        )
        self.service = SchedulerService(settings=self.settings, clock=self.clock)
        await self.service.start(self.context)
        return self.service

    async def stop(self) -> None:
        if self.service is not None:
            await self.service.stop()
        if self.context is not None:
            await self.context.tasks.stop()
        self.service = self.context = None

    async def idle(self) -> None:
        """Wait until the informers have delivered and the work queue is empty."""
        assert self.service is not None and self.service.scheduler is not None
        scheduler = self.service.scheduler
        await asyncio.sleep(0.2)
        async with asyncio.timeout(10):
            while not scheduler.settled:
                await asyncio.sleep(0.01)


async def wait_for(
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 5.0, what: str = ""
) -> T:
    """Poll an async probe until it returns something truthy; fail after `timeout`."""
    last: T | None = None
    try:
        async with asyncio.timeout(timeout):
            while True:
                last = await probe()
                if last:
                    return last
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}; last: {last!r}") from None


async def get_or_none(
    store: ObjectStore, resource: Any, namespace: str | None, name: str
) -> Object | None:
    try:
        return await store.get(resource, namespace, name)
    except NotFoundError:
        return None


async def put_cluster(store: ObjectStore, cluster: Cluster) -> Object:
    """Create a Cluster like the fleet-manager does: spec first, then status."""
    body = cluster.to_dict()
    status = body.pop("status", {})
    created = await store.create(CLUSTERS, body)
    return await store.update_status(CLUSTERS, {**created, "status": status})


def targets(binding: Object | None) -> dict[str, int]:
    if binding is None:
        return {}
    return {t["name"]: t.get("replicas", 0) for t in binding["spec"].get("clusters") or []}
