"""A hub with every service but the simulator's own, and the seed fleet beside it, for
telemetry: the fleet-manager, scheduler and override-engine place real pods on members."""

from collections.abc import Iterator

import pytest

from shared.natsserver import free_port
from tests.integration.fleet_manager.conftest import SEED_FLEET, FleetHub, runtime

HUB_SERVICES = "gateway,fleet_manager,scheduler,override_engine,telemetry"
COLLECT_PERIOD_S = "1"


@pytest.fixture(scope="package")
def telemetry_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetHub]:
    home = tmp_path_factory.mktemp("telemetry-hub")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NAVARCH_TELEMETRY_COLLECT_PERIOD_S", COLLECT_PERIOD_S)
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
