"""A hub (gateway + fleet-manager) beside a one-cluster simulator, with fast lifecycle timings."""

import os
from collections.abc import Iterator

import pytest

from shared.natsserver import free_port
from tests.integration.fleet_manager.conftest import FleetHub, runtime

FAST_LIFECYCLE = {
    "NAVARCH_LIFECYCLE_EVICTION_BACKOFF_S": "0.3",
    "NAVARCH_LIFECYCLE_EVICTION_MAX_BACKOFF_S": "0.6",
    "NAVARCH_LIFECYCLE_DRAIN_TIMEOUT_S": "4",
    "NAVARCH_LIFECYCLE_POLL_S": "0.2",
    "NAVARCH_FLEET_PROBE_PERIOD_S": "0.5",
}


@pytest.fixture(scope="package")
def lifecycle_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetHub]:
    home = tmp_path_factory.mktemp("lifecycle-hub")
    saved = {name: os.environ.get(name) for name in FAST_LIFECYCLE}
    os.environ.update(FAST_LIFECYCLE)
    try:
        started = runtime(
            "up",
            "--detach",
            "--services",
            "gateway,fleet_manager",
            "--gateway-port",
            str(free_port()),
            "--sim-clusters",
            "1",
            home=home,
        )
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    assert started.returncode == 0, started.stdout + started.stderr
    yield FleetHub(home)
    stopped = runtime("down", home=home)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
