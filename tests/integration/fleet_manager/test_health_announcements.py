"""`navarch.cluster.health.<cluster>` is announced only once the Cluster says so: a listener
that reads the store on the message sees the Ready condition the message carries."""

import asyncio
import json

import orjson
import pytest

from shared import subjects
from shared.api.kinds import KARMADA_CLUSTERS
from shared.bus import Bus
from shared.store.jetstream import JetStreamBackend
from shared.store.objects import ObjectStore
from tests.integration.fleet_manager.conftest import FleetHub
from tests.integration.fleet_manager.test_fleet_inventory import ready, wait_until

pytestmark = pytest.mark.integration

CLUSTER = "cluster-zone-b"
ANNOUNCED_WITHIN_S = 20.0

Announcement = tuple[dict, dict | None]
"""(the message's condition, the Cluster's Ready condition read from the store on it)."""


def stored_ready(cluster: dict) -> dict | None:
    conditions = (cluster.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c["type"] == "Ready"), None)


def fault(hub: FleetHub, action: str) -> None:
    result = hub.navarch("sim", "fault", CLUSTER, action)
    assert result.returncode == 0, result.stderr


async def next_announcement(
    hub: FleetHub, announcements: "asyncio.Queue[Announcement]", action: str
) -> Announcement:
    await asyncio.to_thread(fault, hub, action)
    return await asyncio.wait_for(announcements.get(), ANNOUNCED_WITHIN_S)


def test_a_listener_reading_the_store_on_the_health_message_sees_that_state(
    fleet_hub: FleetHub,
) -> None:
    wait_until(lambda: ready(fleet_hub.cluster(CLUSTER)) == "True", timeout=10)
    url = json.loads((fleet_hub.home / "nats.json").read_text())["url"]

    async def listen() -> list[Announcement]:
        bus = await Bus.connect(url, name="health-listener")
        store = ObjectStore(await JetStreamBackend.open(bus))
        announcements: asyncio.Queue[Announcement] = asyncio.Queue()

        async def read_on_message(msg) -> None:
            cluster = await store.get(KARMADA_CLUSTERS, None, CLUSTER)
            await announcements.put((orjson.loads(msg.data), stored_ready(cluster)))

        await bus.subscribe(subjects.subject(subjects.CLUSTER_HEALTH, CLUSTER), read_on_message)
        try:
            down = await next_announcement(fleet_hub, announcements, "down")
            up = await next_announcement(fleet_hub, announcements, "up")
        finally:
            await bus.close()
        return [down, up]

    down, up = asyncio.run(listen())
    for (announced, stored), status in ((down, "False"), (up, "True")):
        assert announced["cluster"] == CLUSTER
        assert announced["status"] == status
        assert stored is not None
        assert (stored["status"], stored["reason"], stored["lastTransitionTime"]) == (
            announced["status"],
            announced["reason"],
            announced["lastTransitionTime"],
        ), "the store must already hold the announced state"
    wait_until(lambda: ready(fleet_hub.cluster(CLUSTER)) == "True", timeout=10)
