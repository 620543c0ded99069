"""The simulated provider over a real simulator: clusters and machines made at run time.

Boot and join delays are observable (a machine is listed before its Node exists, NotReady
before Ready), injected failures surface as ProviderErrors, every call is idempotent by
name, and a created cluster serves the Kubernetes API with its own kubeconfig.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from services.simulator.serving import state_document, write_state
from shared.members.client import MemberClient
from shared.providers.interface import (
    AddNodesRequest,
    ClusterNotFoundError,
    ClusterRef,
    CreateClusterRequest,
    NodePool,
    ProviderError,
    RemoveNodesRequest,
)
from shared.providers.simulated import SimulatedProvider
from tests.integration.simulator.simserving import (
    RunningSimulator,
    fleet_document,
    running_simulator,
)

pytestmark = pytest.mark.integration

REF = ClusterRef(namespace="default", name="made-at-runtime")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    directory = tmp_path_factory.mktemp("provider-sim")
    document = fleet_document({"name": "seed", "nodes": [{"count": 1, "capacity": {"cpu": "2"}}]})
    with running_simulator(directory, document) as running:
        write_state(directory / "simulator.json", state_document(running.server, {}))
        yield running


@pytest.fixture
async def provider(sim: RunningSimulator) -> AsyncIterator[SimulatedProvider]:
    provider = SimulatedProvider(sim.directory / "simulator.json")
    yield provider
    await provider.close()


async def admin(sim: RunningSimulator, body: dict) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{sim.server.admin_url}/provisioning",
            json=body,
            headers={"Authorization": f"Bearer {sim.server.admin_token}"},
            ssl=sim.server.certs.client_context(),
        ) as response,
    ):
        assert response.status == 200, await response.text()


def create_request(name: str = REF.name, *, workers: int = 3) -> CreateClusterRequest:
    return CreateClusterRequest(
        cluster=ClusterRef(namespace="default", name=name),
        infra_type="aws",
        region="us-west-2",
        version="1.25",
        control_plane=NodePool(
            name=f"{name}-control-plane", instance_type="m5.large", version="1.25", replicas=1
        ),
        pools=[
            NodePool(
                name=f"{name}-md-0", instance_type="m5.large", version="1.25", replicas=workers
            )
        ],
    )


async def node_names(sim: RunningSimulator, cluster: str) -> list[str]:
    """The cluster's Node objects, read on the simulator's own loop."""
    future = asyncio.run_coroutine_threadsafe(sim.server.fleet[cluster].node_names(), sim.loop)
    return await asyncio.wrap_future(future)


async def eventually(check: Callable[[], object], *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_a_cluster_is_created_with_typed_nodes_and_serves_its_api(
    sim: RunningSimulator, provider: SimulatedProvider
) -> None:
    provisioned = await provider.create_cluster(create_request())
    again = await provider.create_cluster(create_request())
    assert again.api_endpoint == provisioned.api_endpoint
    nodes = await provider.list_nodes(REF)
    assert sorted(node.name for node in nodes) == [
        "made-at-runtime-control-plane-0",
        "made-at-runtime-md-0-0",
        "made-at-runtime-md-0-1",
        "made-at-runtime-md-0-2",
    ]
    assert all(node.ready and node.version == "v1.25.0" for node in nodes)
    member = await MemberClient.from_kubeconfig(await provider.fetch_kubeconfig(REF))
    try:
        listed = await member.request("GET", "/api/v1/nodes")
        assert await member.version() == "v1.25.0"
    finally:
        await member.close()
    worker = next(n for n in listed["items"] if n["metadata"]["name"] == "made-at-runtime-md-0-0")
    assert worker["status"]["capacity"]["cpu"] == "2"
    assert worker["status"]["capacity"]["memory"] == "8Gi"
    assert worker["metadata"]["labels"]["node.kubernetes.io/instance-type"] == "m5.large"
    control = next(n for n in listed["items"] if "control-plane" in n["metadata"]["name"])
    assert control["spec"]["taints"][0]["key"] == "node-role.kubernetes.io/control-plane"

    removed = await provider.remove_nodes(
        RemoveNodesRequest(
            cluster=REF, pool="made-at-runtime-md-0", nodes=["made-at-runtime-md-0-1"]
        )
    )
    assert removed == ["made-at-runtime-md-0-1"]
    again_removed = await provider.remove_nodes(
        RemoveNodesRequest(
            cluster=REF, pool="made-at-runtime-md-0", nodes=["made-at-runtime-md-0-1"]
        )
    )
    assert again_removed == ["made-at-runtime-md-0-1"], "removing a removed node is a no-op"
    assert len(await provider.list_nodes(REF)) == 3

    await provider.delete_cluster(REF)
    with pytest.raises(ClusterNotFoundError):
        await provider.list_nodes(REF)
    assert "made-at-runtime" not in sim.server.fleet.names


async def test_machines_boot_then_join_after_the_configured_delays(
    sim: RunningSimulator, provider: SimulatedProvider
) -> None:
    ref = ClusterRef(namespace="default", name="slow-boot")
    await provider.create_cluster(create_request("slow-boot", workers=0))
    await admin(sim, {"bootSeconds": 0.4, "joinSeconds": 0.4})
    try:
        added = await provider.add_nodes(
            AddNodesRequest(
                cluster=ref,
                pool="slow-boot-md-0",
                count=1,
                version="1.25",
                instance_type="t3.large",
            )
        )
    finally:
        await admin(sim, {})
    name = added[0].name
    assert not added[0].ready

    async def node_ready() -> bool | None:
        listed = {n.name: n for n in await provider.list_nodes(ref)}
        return listed[name].ready

    assert name in {n.name for n in await provider.list_nodes(ref)}, "a booting machine is listed"
    assert name not in await node_names(sim, "slow-boot"), "no Node while it boots"

    async def registered() -> bool:
        return name in await node_names(sim, "slow-boot")

    await eventually(registered)
    assert not await node_ready(), "registered NotReady before it joins"
    await eventually(node_ready)
    await provider.delete_cluster(ref)


async def test_injected_failures_never_join_and_provider_errors(
    sim: RunningSimulator, provider: SimulatedProvider
) -> None:
    ref = ClusterRef(namespace="default", name="flaky")
    await admin(sim, {"providerErrors": 1})
    with pytest.raises(ProviderError, match="simulated provider error: create cluster failed"):
        await provider.create_cluster(create_request("flaky", workers=0))
    await provider.create_cluster(create_request("flaky", workers=0))
    await admin(sim, {"neverJoin": 1})
    added = await provider.add_nodes(
        AddNodesRequest(
            cluster=ref, pool="flaky-md-0", count=2, version="1.25", instance_type="m5.large"
        )
    )
    await asyncio.sleep(0.3)
    ready = {n.name: n.ready for n in await provider.list_nodes(ref) if n.pool == "flaky-md-0"}
    assert ready == {added[0].name: False, added[1].name: True}
    await provider.delete_cluster(ref)


async def test_bad_requests_are_refused_naming_the_field(
    sim: RunningSimulator, provider: SimulatedProvider
) -> None:
    bad = create_request("bad-type")
    bad.pools[0].instance_type = "m9.huge"
    with pytest.raises(ProviderError, match=r'instanceType: unknown instance type "m9\.huge"'):
        await provider.create_cluster(bad)
    assert "bad-type" not in sim.server.fleet.names, "nothing half-made"
    taken = create_request("seed")
    with pytest.raises(ProviderError, match='cluster "seed" already exists'):
        await provider.create_cluster(taken)
    other_owner = create_request("owned")
    await provider.create_cluster(other_owner)
    stolen = create_request("owned")
    stolen.cluster = ClusterRef(namespace="elsewhere", name="owned")
    with pytest.raises(ProviderError, match="owner default/owned"):
        await provider.create_cluster(stolen)
    await provider.delete_cluster(other_owner.cluster)


async def test_no_simulator_is_a_provider_error(tmp_path: Path) -> None:
    provider = SimulatedProvider(tmp_path / "simulator.json")
    with pytest.raises(ProviderError, match="no simulator is running"):
        await provider.list_nodes(REF)
    await provider.close()
