"""Every command of the README's tour, run as a new user would paste it: the README can't rot."""

import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2]


def tour_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## A tour", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the tour has a sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_tour_runs_from_a_fresh_checkout(tmp_path: Path) -> None:
    """A workspace with the project's `.venv` and `examples/`, and its own `.navarch`."""
    for name in (".venv", "examples"):
        (tmp_path / name).symlink_to(REPO / name)
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NAVARCH_", "KUBECONFIG"))
    }
    environment["PYTHONPATH"] = str(REPO)
    outputs: list[str] = []
    try:
        for command in tour_commands():
            result = subprocess.run(
                command,
                shell=True,
                cwd=tmp_path,
                env=environment,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
            outputs.append(result.stdout)
    finally:
        subprocess.run(
            ".venv/bin/navarch down",
            shell=True,
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            timeout=60,
            check=False,
        )
    joined = "\n".join(outputs)
    assert "cluster-hangzhou:6,cluster-shanghai:4" in joined
    rows = [line.split() for line in joined.splitlines()]
    assert ["nginx", "Deployment", "cluster-hangzhou", "6", "6", "6", "nginx:1.25"] in [
        row[:7] for row in rows
    ], "get workload --all-clusters shows each cluster's share"
    assert ["members", "OK", "11/11"] in [row[:3] for row in rows], "navarch check passed"
    assert ["nginx", "6/6"] in [row[:2] for row in rows], "--context=cluster-hangzhou: its 6"
    assert "registry.eu-central.example.com/company/global-app:1.4.2" in joined
    assert "--compliance=gdpr" in joined
