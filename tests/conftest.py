"""Fixtures shared by every tier: a real nats-server per test session, never a mock."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shared.bus import Bus
from shared.natsserver import NatsServer

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = NatsServer(store_dir=tmp_path_factory.mktemp("nats"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def bus(nats_server: NatsServer) -> AsyncIterator[Bus]:
    connection = await Bus.connect(nats_server.url, name="tests")
    yield connection
    await connection.close()


@pytest.fixture(autouse=True)
async def no_leaked_tasks() -> AsyncIterator[None]:
    """A test that leaves its own asyncio tasks running fails: every task must be owned."""
    before = set(asyncio.all_tasks())
    yield
    await asyncio.sleep(0)
    leaked = [
        task
        for task in asyncio.all_tasks() - before
        if not task.done() and task is not asyncio.current_task() and not _is_library_task(task)
    ]
    assert not leaked, f"tasks left running: {[task.get_name() for task in leaked]}"


def _is_library_task(task: asyncio.Task[object]) -> bool:
    """nats-py keeps internal tasks per connection until the event loop closes."""
    coroutine = task.get_coro()
    qualified = getattr(coroutine, "__qualname__", "")
    module = getattr(getattr(coroutine, "cr_code", None), "co_filename", "")
    return ("nats" in module and "site-packages" in module) or qualified.startswith("Client.")
