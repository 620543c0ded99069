"""The fleet-manager in process, on the controller kit, with its clock injected: every
timestamp it writes (the Ready conditions, the health taints) comes from that clock."""

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest

from services.fleet_manager.service import FleetManager
from services.fleet_manager.settings import FleetManagerSettings
from shared.api.kinds import ATTACHED_CLUSTERS, KARMADA_CLUSTERS, NAMESPACES, SECRETS
from shared.bus import Bus
from shared.runtime.service import ServiceContext
from shared.settings import NavarchSettings
from shared.store.errors import NotFoundError
from shared.store.jetstream import JetStreamBackend
from shared.store.objects import Object, ObjectStore
from tests.integration.simulator.simserving import (
    RunningSimulator,
    fleet_document,
    running_simulator,
)

pytestmark = pytest.mark.integration

MEMBER = "clocked"
NAMESPACE = "kurator-system"
FIXED = datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC)
FIXED_TEXT = "2031-02-03T04:05:06Z"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    document = fleet_document(
        {"name": MEMBER, "nodes": [{"count": 1, "capacity": {"cpu": "4", "memory": "8Gi"}}]}
    )
    with running_simulator(tmp_path_factory.mktemp("fleet-clock"), document) as running:
        yield running


@pytest.fixture
async def store(bus: Bus) -> AsyncIterator[ObjectStore]:
    backend = await JetStreamBackend.open(bus, bucket=f"fleet-{uuid.uuid4().hex[:12]}")
    yield ObjectStore(backend)
    await backend.close()


async def attach(store: ObjectStore, kubeconfig: bytes) -> None:
    await store.create(
        NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    )
    await store.create(
        SECRETS,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": f"{MEMBER}-kubeconfig", "namespace": NAMESPACE},
            "data": {"value": base64.b64encode(kubeconfig).decode()},
        },
    )
    await store.create(
        ATTACHED_CLUSTERS,
        {
            "apiVersion": "cluster.kurator.dev/v1alpha1",
            "kind": "AttachedCluster",
            "metadata": {"name": MEMBER, "namespace": NAMESPACE},
            "spec": {"kubeconfig": {"name": f"{MEMBER}-kubeconfig"}},
        },
    )


def ready_of(obj: Object) -> dict | None:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c["type"] == "Ready"), None)


async def cluster_when(store: ObjectStore, status: str) -> Object:
    async with asyncio.timeout(15):
        while True:
            try:
                cluster = await store.get(KARMADA_CLUSTERS, None, MEMBER)
            except NotFoundError:
                cluster = {}
            ready = ready_of(cluster) if cluster else None
            if ready is not None and ready["status"] == status:
                return cluster
            await asyncio.sleep(0.05)


async def test_every_written_timestamp_comes_from_the_injected_clock(
    sim: RunningSimulator, store: ObjectStore, bus: Bus
) -> None:
    kubeconfig = sim.kubeconfigs[MEMBER].read_bytes()
    settings = FleetManagerSettings(probe_period_s=0.2, failure_threshold=1, probe_timeout_s=0.5)
    service = FleetManager(settings, clock=lambda: FIXED)
    context = ServiceContext(name=service.name, settings=NavarchSettings(), bus=bus, store=store)
    await service.start(context)
    try:
        await attach(store, kubeconfig)
        ready = ready_of(await cluster_when(store, "True"))
        assert ready is not None and ready["lastTransitionTime"] == FIXED_TEXT
        attached = await store.get(ATTACHED_CLUSTERS, NAMESPACE, MEMBER)
        assert [c["lastTransitionTime"] for c in attached["status"]["conditions"]] == [FIXED_TEXT]

        await sim.afault(MEMBER, "down")
        down = await cluster_when(store, "False")
        assert ready_of(down)["lastTransitionTime"] == FIXED_TEXT  # type: ignore[index]
        taints = down["spec"].get("taints") or []
        assert taints, "a NotReady cluster is tainted"
        assert {taint["timeAdded"] for taint in taints} == {FIXED_TEXT}
    finally:
        await sim.afault(MEMBER, "up")
        await service.stop()
        await context.tasks.stop()
