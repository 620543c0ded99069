"""`navarch up` as a user runs it: detach, status, crash restarts, NATS restarts, traces, down."""

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats.errors
import orjson
import pytest
from opentelemetry import trace

from shared.api.resources import ResourceType
from shared.bus import Bus
from shared.cli.supervising import read_state
from shared.store.jetstream import JetStreamBackend
from shared.store.objects import ObjectStore
from shared.tracing import configure_tracing
from tests.helpers import eventually

pytestmark = pytest.mark.integration

SAMPLE = "tests.integration.runtime.sample_service"
CONFIGMAPS = ResourceType(
    group="", version="v1", plural="configmaps", kind="ConfigMap", status_subresource=False
)
REPO = Path(__file__).resolve().parents[3]


def navarch(*args: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli.main", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        check=False,
    )


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("home")
    started = navarch("up", "--detach", "--services", SAMPLE, home=home)
    assert started.returncode == 0, started.stdout + started.stderr
    yield home
    stopped = navarch("down", home=home)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr


@pytest.fixture
async def hub_bus(hub: Path) -> AsyncIterator[Bus]:
    url = json.loads((hub / "nats.json").read_text())["url"]
    bus = await Bus.connect(url, name="test-client")
    yield bus
    await bus.close()


def pid_of(home: Path, name: str) -> int:
    state = read_state(home)
    assert state is not None
    return next(p["pid"] for p in state["processes"] if p["name"] == name)


def test_credentials_are_private_and_status_reports_ready(hub: Path) -> None:
    assert (hub / "nats.credentials").stat().st_mode & 0o777 == 0o600
    assert (hub / "nats.json").stat().st_mode & 0o777 == 0o600
    status = navarch("status", "-o", "json", home=hub)
    assert status.returncode == 0, status.stderr
    rows = {row["name"]: row for row in json.loads(status.stdout)["processes"]}
    assert set(rows) == {"nats", SAMPLE}
    assert all(row["ready"] and row["status"] == "Running" for row in rows.values())
    assert "READY" in navarch("status", home=hub).stdout


async def test_killed_service_restarts_and_rebuilds_from_the_store(hub: Path, hub_bus: Bus) -> None:
    store = ObjectStore(await JetStreamBackend.open(hub_bus))
    for index in range(3):
        await store.create(
            CONFIGMAPS, {"metadata": {"name": f"cm-{index}", "namespace": "default"}}
        )

    async def known() -> int | None:
        try:
            reply = await hub_bus.request("navarch.test.sample.count", b"", timeout=1)
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            return None
        return orjson.loads(reply.data)["configmaps"]

    before = pid_of(hub, SAMPLE)
    os.kill(before, signal.SIGKILL)
    await eventually(lambda: pid_of(hub, SAMPLE) != before, timeout=15)
    async with asyncio.timeout(30):
        while await known() != 3:
            await asyncio.sleep(0.1)
    state = read_state(hub)
    assert state is not None
    assert next(p["restarts"] for p in state["processes"] if p["name"] == SAMPLE) >= 1


async def test_killed_nats_restarts_with_every_object_and_revision(hub: Path) -> None:
    url = json.loads((hub / "nats.json").read_text())["url"]
    bus = await Bus.connect(url, name="before-kill")
    store = ObjectStore(await JetStreamBackend.open(bus))
    written = await store.create(
        CONFIGMAPS, {"metadata": {"name": "survivor", "namespace": "default"}}
    )
    await bus.close()
    before = pid_of(hub, "nats")
    os.kill(before, signal.SIGKILL)
    await eventually(lambda: pid_of(hub, "nats") != before, timeout=15)
    await eventually(lambda: navarch("status", home=hub).returncode == 0, timeout=30)
    bus = await Bus.connect(url, name="after-kill")
    store = ObjectStore(await JetStreamBackend.open(bus))
    survivor = await store.get(CONFIGMAPS, "default", "survivor")
    assert survivor["metadata"]["resourceVersion"] == written["metadata"]["resourceVersion"]
    await bus.close()


async def test_one_trace_spans_two_processes(hub_bus: Bus) -> None:
    configure_tracing("tests")
    tracer = trace.get_tracer("tests")
    with tracer.start_as_current_span("test-root") as root:
        reply = await hub_bus.request("navarch.echo.sample", b"", timeout=5)
    answer = orjson.loads(reply.data)
    assert answer["trace_id"] == format(root.get_span_context().trace_id, "032x")
    assert answer["parent_span_id"] is not None
    assert answer["parent_span_id"] != format(root.get_span_context().span_id, "016x"), (
        "the parent is the request span made by the bus inside the root span"
    )
