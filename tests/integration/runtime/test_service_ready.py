"""`navarch.service.ready.<service>` is published once the service's caches have synced, so
whoever waits for a service (tests, `navarch up` watchers) can listen instead of polling."""

import asyncio
import os
import sys
import uuid
from pathlib import Path

import orjson
import pytest

from shared import subjects
from shared.bus import Bus
from shared.natsserver import NatsServer

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


async def test_a_service_announces_that_it_is_ready(
    bus: Bus, nats_server: NatsServer, tmp_path: Path
) -> None:
    announced: asyncio.Queue[bytes] = asyncio.Queue()

    async def receive(msg: object) -> None:
        await announced.put(msg.data)  # type: ignore[attr-defined]

    await bus.subscribe(subjects.subject(subjects.SERVICE_READY, "sample"), receive)
    env = {
        **os.environ,
        "NAVARCH_NATS_URL": nats_server.url,
        "NAVARCH_HOME": str(tmp_path),
        "NAVARCH_BUCKET": f"ready-{uuid.uuid4().hex[:8]}",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.integration.runtime.sample_service",
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        payload = orjson.loads(await asyncio.wait_for(announced.get(), timeout=30))
        assert payload == {"service": "sample", "pid": process.pid}
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=15)
