"""One simulated cluster's load must not starve another's API (issue 13, item 8).

A 20,000-replica Deployment on one member used to create every pod in one burst on the
process's single event loop: every other cluster's API stopped answering, its probes
failed, and the whole fleet went NotReady.
"""

import asyncio
import time
from collections.abc import Iterator

import pytest
from kubernetes_asyncio import client
from simhelpers import deployment
from simserving import RunningSimulator, fleet_document, running_simulator

from services.simulator.resources import PODS

BUSY, QUIET = "busy", "quiet"
POD_CAP = 3_000
NODES = [{"count": 2, "capacity": {"cpu": "64", "memory": "256Gi", "pods": "110"}}]


@pytest.fixture
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    document = fleet_document(
        {"name": BUSY, "podReadyDelay": "50ms", "maxPods": POD_CAP, "nodes": NODES},
        {"name": QUIET, "podReadyDelay": "50ms", "nodes": NODES},
    )
    with running_simulator(tmp_path_factory.mktemp("sim-independence"), document) as running:
        yield running


async def pod_count(sim: RunningSimulator) -> int:
    listing = await asyncio.wrap_future(
        asyncio.run_coroutine_threadsafe(sim.server.fleet[BUSY].store.list(PODS), sim.loop)
    )
    return len(listing.items)


@pytest.mark.timeout(120)
async def test_a_huge_deployment_does_not_slow_another_cluster(sim: RunningSimulator) -> None:
    async with (
        client.ApiClient(sim.configuration(BUSY)) as busy,
        client.ApiClient(sim.configuration(QUIET)) as quiet,
    ):
        quiet_core = client.CoreV1Api(quiet)
        await quiet_core.list_namespaced_pod("default")
        await client.AppsV1Api(busy).create_namespaced_deployment(
            "default", deployment("huge", replicas=20_000, cpu="1m")
        )
        slowest = 0.0
        deadline = time.monotonic() + 60
        created = 0
        while time.monotonic() < deadline:
            started = time.monotonic()
            await quiet_core.list_namespaced_pod("default")
            await client.VersionApi(quiet).get_code()
            slowest = max(slowest, time.monotonic() - started)
            created = await pod_count(sim)
            if created >= POD_CAP:
                break
            await asyncio.sleep(0.05)
        for _ in range(20):
            started = time.monotonic()
            await quiet_core.list_namespaced_pod("default")
            slowest = max(slowest, time.monotonic() - started)
            await asyncio.sleep(0.05)
    assert slowest < 1.0, f"the quiet cluster's API took {slowest:.2f}s to answer"
    assert created == POD_CAP
    assert await pod_count(sim) == POD_CAP
