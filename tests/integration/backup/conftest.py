"""A hub store, simulated members served over HTTPS (the override-engine tests' world,
reused), a Fleet of them, and the backup service in-process over the real JetStream."""

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "override_engine"))

from backup_world import FLEET, RunningBackup, seed_fleet
from propagation_world import Members

from services.backup.settings import BackupSettings
from shared.bus import Bus
from shared.natsserver import free_port
from shared.store.jetstream import JetStreamBackend
from shared.store.objects import ObjectStore

MEMBER_NAMES = ["member-1", "member-2", "member-3"]


@pytest.fixture
async def store(bus: Bus) -> AsyncIterator[ObjectStore]:
    backend = await JetStreamBackend.open(bus, bucket=f"backup-{uuid.uuid4().hex[:12]}")
    yield ObjectStore(backend)
    await backend.close()


@pytest.fixture
def members(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Members]:
    running = Members(MEMBER_NAMES, tmp_path_factory.mktemp("members"))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def backup_settings() -> BackupSettings:
    return BackupSettings(
        bucket=f"backups-{uuid.uuid4().hex[:12]}", request_timeout_s=1.0, page_size=50
    )


@pytest.fixture
async def fleet(store: ObjectStore, members: Members) -> str:
    await seed_fleet(store, members, MEMBER_NAMES)
    return FLEET


@pytest.fixture
async def backup_service(
    store: ObjectStore, bus: Bus, backup_settings: BackupSettings, fleet: str
) -> AsyncIterator[RunningBackup]:
    running = RunningBackup(store=store, bus=bus, settings=backup_settings)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's standalone S3-compatible server as its own process over HTTP on a free
    loopback port (never an in-process patch of the client)."""
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "moto server exited at start"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "moto server did not listen in 30 s"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
