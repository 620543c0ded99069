"""`navarch up` restarts a service whose event loop hangs: /healthz fails, it is killed."""

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shared.bus import Bus
from shared.cli.supervising import read_state
from tests.helpers import eventually
from tests.integration.runtime.sample_service import HANG_SUBJECT
from tests.integration.runtime.test_up_environment import navarch_env

pytestmark = pytest.mark.integration

SAMPLE = "tests.integration.runtime.sample_service"
LIVENESS_TIMEOUT_S = 3.0
FAST_SUPERVISION = {
    "NAVARCH_LIVENESS_TIMEOUT_S": str(LIVENESS_TIMEOUT_S),
    "NAVARCH_LIVENESS_PERIOD_S": "0.5",
    "NAVARCH_SHUTDOWN_TIMEOUT_S": "0.5",
}


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Path]:
    started = navarch_env(
        "up", "--detach", "--services", SAMPLE, home=tmp_path, env=FAST_SUPERVISION
    )
    assert started.returncode == 0, started.stdout + started.stderr
    yield tmp_path
    stopped = navarch_env("down", home=tmp_path)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr


@pytest.fixture
async def hub_bus(hub: Path) -> AsyncIterator[Bus]:
    bus = await Bus.connect(json.loads((hub / "nats.json").read_text())["url"], name="hang")
    yield bus
    await bus.close()


def sample_row(home: Path) -> dict[str, object]:
    state = read_state(home)
    assert state is not None
    return next(p for p in state["processes"] if p["name"] == SAMPLE)


async def test_a_hung_service_is_killed_and_restarted(hub: Path, hub_bus: Bus) -> None:
    before = sample_row(hub)
    await hub_bus.client.publish(HANG_SUBJECT, b"")
    await hub_bus.client.flush()
    await eventually(lambda: sample_row(hub)["pid"] != before["pid"], timeout=30)
    assert sample_row(hub)["restarts"] == before["restarts"] + 1
    up_log = (hub / "logs" / "up.log").read_text()
    assert f"{SAMPLE} failed its liveness probe for" in up_log
    status = navarch_env("status", "-o", "json", home=hub)
    rows = {row["name"]: row for row in json.loads(status.stdout)["processes"]}
    assert rows[SAMPLE]["restarts"] == 1


async def test_a_healthy_service_is_left_alone(hub: Path) -> None:
    before = sample_row(hub)
    with pytest.raises(TimeoutError):
        await eventually(
            lambda: sample_row(hub)["pid"] != before["pid"], timeout=LIVENESS_TIMEOUT_S * 2
        )
    assert sample_row(hub)["restarts"] == 0
