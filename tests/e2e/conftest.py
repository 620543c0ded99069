"""The whole product as users run it: `navarch up --detach` with every service and simulated
clusters, driven through the CLI and real kubectl."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.natsserver import free_port

REPO = Path(__file__).resolve().parents[2]
KUBECTL = Path(sys.executable).parent / "kubectl"


@dataclass
class Fleet:
    home: Path

    def _env(self) -> dict[str, str]:
        return {**os.environ, "NAVARCH_HOME": str(self.home)}

    def navarch(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "shared.cli.main", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=REPO,
            env=self._env(),
        )

    def json(self, *args: str) -> dict:
        result = self.navarch(*args, "-o", "json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def member(self, cluster: str, *args: str) -> subprocess.CompletedProcess[str]:
        kubeconfig = self.home / "members" / f"{cluster}.kubeconfig"
        return subprocess.run(
            [str(KUBECTL), f"--kubeconfig={kubeconfig}", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def wait_until(condition: Callable[[], bool], *, timeout: float, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s")
        time.sleep(interval)


def up(home: Path, *extra: str) -> Fleet:
    started = subprocess.run(
        [
            sys.executable,
            "-m",
            "shared.cli.main",
            "up",
            "--detach",
            "--home",
            str(home),
            "--gateway-port",
            str(free_port()),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=REPO,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    return Fleet(home)


def down(fleet: Fleet) -> None:
    stopped = fleet.navarch("down")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr


@pytest.fixture
def three_clusters(tmp_path: Path) -> Iterator[Fleet]:
    fleet = up(tmp_path / "hub", "--sim-clusters", "3")
    try:
        wait_until(
            lambda: (
                len(fleet.json("get", "clusters")["items"]) == 3
                and all(
                    any(
                        c["type"] == "Ready" and c["status"] == "True"
                        for c in item["status"].get("conditions", [])
                    )
                    for item in fleet.json("get", "clusters")["items"]
                )
            ),
            timeout=30,
        )
        yield fleet
    finally:
        down(fleet)
