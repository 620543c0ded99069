"""The simulator's API server against slow and greedy clients (issue 13, item 7).

Headers that never end are cut off at the header timeout, a body that never arrives at
the body timeout, and one client address cannot hold more than its share of connections;
normal requests keep working throughout.
"""

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from services.simulator.fleet import SimulatedFleet
from services.simulator.serving import SimulatorServer
from shared.api.simulated_fleet import parse_fleet_config
from shared.certs import ensure_serving_certs
from shared.httplimits import ServingLimits
from tests.integration.kubeapi.slowclients import Endpoint, connect, healthz, slowloris

HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 1.0
PER_CLIENT = 8
Running = tuple[SimulatorServer, Endpoint]


@contextlib.asynccontextmanager
async def _serving(directory: Path, limits: ServingLimits) -> AsyncIterator[Running]:
    document = {
        "apiVersion": "navarch.dev/v1alpha1",
        "kind": "SimulatedFleet",
        "clusters": [
            {"name": "slow", "nodes": [{"count": 1, "capacity": {"cpu": "4", "memory": "8Gi"}}]}
        ],
    }
    server = SimulatorServer(
        SimulatedFleet(parse_fleet_config(document)),
        certs=ensure_serving_certs(directory / "pki"),
        limits=limits,
    )
    await server.start()
    context = ssl.create_default_context(cafile=str(server.certs.ca_cert))
    try:
        yield server, Endpoint(server.host, server.port, context)
    finally:
        await server.stop()


@pytest.fixture
async def simulator(tmp_path: Path) -> AsyncIterator[Running]:
    limits = ServingLimits(header_timeout_s=HEADER_TIMEOUT_S, body_timeout_s=BODY_TIMEOUT_S)
    async with _serving(tmp_path, limits) as running:
        yield running


@pytest.fixture
def serving(tmp_path: Path) -> Callable[[ServingLimits], AbstractAsyncContextManager[Running]]:
    return lambda limits: _serving(tmp_path, limits)


async def test_dribbled_headers_are_cut_off_and_others_are_served(
    simulator: Running,
) -> None:
    _server, endpoint = simulator
    lasted, codes = await slowloris(endpoint, clients=50, header_timeout_s=HEADER_TIMEOUT_S)
    assert codes == [200] * 5
    assert max(lasted) < HEADER_TIMEOUT_S + 2, sorted(lasted)[-5:]


async def test_a_body_that_never_arrives_is_cut_off(
    simulator: Running,
) -> None:
    server, endpoint = simulator
    reader, writer = await connect(endpoint)
    path = "/clusters/slow/api/v1/namespaces/default/configmaps"
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {server.tokens['slow']}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{".encode()
    )
    await writer.drain()
    try:
        answer = await asyncio.wait_for(reader.read(), timeout=BODY_TIMEOUT_S + 5)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), head
    assert b'"reason":"Timeout"' in body


async def test_one_client_cannot_hold_every_connection(
    serving: Callable[[ServingLimits], AbstractAsyncContextManager[Running]],
) -> None:
    async with serving(ServingLimits(max_connections_per_client=PER_CLIENT)) as running:
        _server, endpoint = running
        held = [await connect(endpoint) for _ in range(PER_CLIENT)]
        try:
            reader, writer = await connect(endpoint)
            answer = await asyncio.wait_for(reader.read(), timeout=5)
            writer.close()
            assert answer.startswith(b"HTTP/1.1 429"), answer[:80]
            assert answer.endswith(b"Too many requests, please try again later.\n")
        finally:
            for _reader, held_writer in held:
                held_writer.close()
        await asyncio.sleep(0.2)
        assert await healthz(endpoint) == 200
