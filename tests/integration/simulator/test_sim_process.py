"""The whole path a user takes: `navarch sim serve` (a process running `python -m
services.simulator`), kubeconfigs on disk, kubectl, and `navarch sim fault|clusters`."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from simserving import KUBECTL

NAVARCH = KUBECTL.parent / "navarch"


def navarch(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NAVARCH), "sim", *args, "--kubeconfig-dir", str(directory)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def kubectl(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KUBECTL), f"--kubeconfig={kubeconfig}", "--request-timeout=5s", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_serve_attach_and_break_clusters(tmp_path: Path) -> None:
    members = tmp_path / "members"
    state_file = members / "simulator.json"
    env = {**os.environ, "NAVARCH_HOME": str(tmp_path)}
    command = [str(NAVARCH), "sim", "serve", "--clusters", "2", "--port", "0"]
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as server:
        try:
            deadline = time.monotonic() + 30
            while not state_file.exists():
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "the simulator did not start"
                time.sleep(0.1)
            state = json.loads(state_file.read_text())
            assert set(state["clusters"]) == {"member-1", "member-2"}
            assert state["adminToken"] and state["adminUrl"].startswith("https://127.0.0.1:")
            one, two = members / "member-1.kubeconfig", members / "member-2.kubeconfig"
            for path in (state_file, one, two):
                assert path.stat().st_mode & 0o777 == 0o600, path
            nodes = kubectl(one, "get", "nodes", "-o", "name").stdout.split()
            assert len(nodes) == 3 and all(node.startswith("node/member-1-") for node in nodes)

            latency = navarch(members, "fault", "member-1", "latency", "200")
            assert latency.stdout.strip() == "member-1: latency=200ms", latency.stderr
            assert navarch(members, "fault", "member-1", "down").returncode == 0
            refused = kubectl(one, "get", "ns")
            assert refused.returncode != 0
            assert kubectl(two, "get", "ns").returncode == 0
            listed = json.loads(navarch(members, "clusters", "-o", "json").stdout)
            faults = {row["name"]: (row["running"], row["faultLabels"]) for row in listed}
            assert faults == {
                "member-1": (False, ["down", "latency=200ms"]),
                "member-2": (True, []),
            }
            table = navarch(members, "clusters").stdout.splitlines()
            assert table[0].split() == ["NAME", "RUNNING", "NODES", "PODS", "FAULTS", "SERVER"]
            bad = navarch(members, "fault", "member-1", "errors", "3")
            assert bad.returncode == 1 and "between 0 and 1" in bad.stderr
            assert navarch(members, "fault", "member-1", "up").stdout.strip() == "member-1: healthy"
            assert kubectl(one, "get", "nodes", "-o", "name").stdout.split() == nodes
        finally:
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=20) == 0
    assert not state_file.exists(), "the state file goes with the simulator"
    assert navarch(members, "clusters").returncode == 1
