"""A hub with the gateway and the fleet-manager, and the seed fleet simulated beside it."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.natsserver import free_port

REPO = Path(__file__).resolve().parents[3]
SEED_FLEET = REPO / "examples" / "seed-fleet.yaml"


@dataclass
class FleetHub:
    home: Path

    def navarch(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "shared.cli.main", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=REPO,
            env={**os.environ, "NAVARCH_HOME": str(self.home)},
        )

    def json(self, *args: str) -> dict:
        result = self.navarch(*args, "-o", "json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def cluster(self, name: str) -> dict:
        return self.json("get", "clusters", name)

    def member_kubeconfig(self, name: str) -> Path:
        return self.home / "members" / f"{name}.kubeconfig"


def runtime(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli.main", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=REPO,
    )


@pytest.fixture(scope="package")
def fleet_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetHub]:
    home = tmp_path_factory.mktemp("fleet-hub")
    started = runtime(
        "up",
        "--detach",
        "--services",
        "gateway,fleet_manager",
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


@pytest.fixture(scope="module")
def four_cluster_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetHub]:
    """Gateway, fleet-manager and scheduler over four generated clusters `member-1..4`."""
    home = tmp_path_factory.mktemp("four-cluster-hub")
    started = runtime(
        "up",
        "--detach",
        "--services",
        "gateway,fleet_manager,scheduler",
        "--gateway-port",
        str(free_port()),
        "--sim-clusters",
        "4",
        home=home,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    yield FleetHub(home)
    stopped = runtime("down", home=home)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
