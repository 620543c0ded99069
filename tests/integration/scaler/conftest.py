"""A hub with the scaler, telemetry and the services that place pods, over the seed fleet.

Telemetry collects every second and the scaler evaluates every second, so tests observe in
seconds what the default 15 s sync period would take a minute to show."""

from collections.abc import Iterator

import pytest

from shared.natsserver import free_port
from tests.integration.fleet_manager.conftest import SEED_FLEET, FleetHub, runtime

HUB_SERVICES = "gateway,fleet_manager,scheduler,override_engine,telemetry,scaler"


@pytest.fixture(scope="package")
def scaler_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetHub]:
    home = tmp_path_factory.mktemp("scaler-hub")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NAVARCH_TELEMETRY_COLLECT_PERIOD_S", "1")
        env.setenv("NAVARCH_SCALER_SYNC_PERIOD_S", "1")
        started = runtime(
            "up",
            "--detach",
            "--services",
            HUB_SERVICES,
            "--gateway-port",
            str(free_port()),
            "--sim",
            str(SEED_FLEET),
            home=home,
        )
    assert started.returncode == 0, started.stdout + started.stderr
    yield FleetHub(home)
    stopped = runtime("down", home=home)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
