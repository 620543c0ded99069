"""A hub as users run it: `navarch up --detach` with the gateway, driven by kubectl and CLI."""

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.natsserver import free_port

REPO = Path(__file__).resolve().parents[3]
KUBECTL = Path(sys.executable).parent / "kubectl"
EXAMPLES = REPO / "examples"


@dataclass
class Hub:
    home: Path
    port: int
    cache_dir: Path

    @property
    def kubeconfig(self) -> Path:
        return self.home / "hub.kubeconfig"

    def kubectl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                str(KUBECTL),
                f"--kubeconfig={self.kubeconfig}",
                f"--cache-dir={self.cache_dir}",
                *args,
            ],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def kubectl_json(self, *args: str) -> dict:
        result = self.kubectl(*args, "-o", "json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def navarch(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "shared.cli.main", *args, "--kubeconfig", str(self.kubeconfig)],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=REPO,
        )


def navarch_runtime(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli.main", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )


@pytest.fixture(scope="package")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    home = tmp_path_factory.mktemp("hub")
    port = free_port()
    started = navarch_runtime(
        "up", "--detach", "--services", "gateway", "--gateway-port", str(port), home=home
    )
    assert started.returncode == 0, started.stdout + started.stderr
    yield Hub(home=home, port=port, cache_dir=tmp_path_factory.mktemp("kubectl-cache"))
    stopped = navarch_runtime("down", home=home)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
