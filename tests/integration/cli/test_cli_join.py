"""`navarch join` / `unjoin` of a cluster served by `navarch sim serve` on its own."""

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.natsserver import free_port
from tests.e2e.conftest import REPO, Fleet, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
WORKLOAD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: joined-web, namespace: default}
spec:
  replicas: 4
  selector: {matchLabels: {app: joined-web}}
  template:
    metadata: {labels: {app: joined-web}}
    spec: {containers: [{name: web, image: nginx:1.25}]}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: joined-web, namespace: default}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: joined-web}]
  placement:
    clusterAffinity: {clusterNames: [member-1, cluster-hangzhou]}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
          - {targetCluster: {clusterNames: [member-1]}, weight: 1}
          - {targetCluster: {clusterNames: [cluster-hangzhou]}, weight: 1}
"""


@pytest.fixture
def lone_simulator(tmp_path: Path) -> Iterator[Path]:
    """`navarch sim serve` with one generated cluster, member-1; its kubeconfig directory."""
    directory = tmp_path / "sim"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shared.cli.main",
            "sim",
            "serve",
            "--clusters",
            "1",
            "--port",
            str(free_port()),
            "--kubeconfig-dir",
            str(directory),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not (directory / "simulator.json").exists():
            assert process.poll() is None and time.monotonic() < deadline, "simulator did not start"
            time.sleep(0.1)
        yield directory
    finally:
        process.terminate()
        process.wait(timeout=30)


def placement(fleet: Fleet) -> dict[str, int]:
    binding = fleet.json("get", "resourcebinding", "joined-web-deployment")
    return {target["name"]: target.get("replicas", 0) for target in binding["spec"]["clusters"]}


def test_join_makes_the_cluster_ready_and_unjoin_moves_its_work(
    seed_fleet: Fleet, lone_simulator: Path
) -> None:
    kubeconfig = lone_simulator / "member-1.kubeconfig"
    joined = seed_fleet.navarch(
        "join",
        "member-1",
        "--kubeconfig",
        str(kubeconfig),
        "--fleet",
        "simulated",
        "--labels",
        "env=joined,team=web",
        "--taints",
        "dedicated=web:PreferNoSchedule",
    )
    assert joined.returncode == 0, joined.stderr
    assert joined.stdout.strip() == "cluster(member-1) is joined successfully"
    cluster = seed_fleet.json("get", "cluster", "member-1")
    assert cluster["metadata"]["labels"]["team"] == "web"
    assert {"key": "dedicated", "value": "web", "effect": "PreferNoSchedule"}.items() <= (
        cluster["spec"]["taints"][0].items()
    )
    fleet = seed_fleet.json("get", "fleet", "simulated", "-n", "kurator-system")
    members = [member["name"] for member in fleet["spec"]["clusters"]]
    assert "member-1" in members and "cluster-hangzhou" in members
    contexts = seed_fleet.navarch("kubeconfig")
    assert "name: member-1" in contexts.stdout

    applied = seed_fleet.navarch("apply", "-f", "-", stdin=WORKLOAD)
    assert applied.returncode == 0, applied.stderr
    try:
        wait_until(
            lambda: placement(seed_fleet) == {"member-1": 2, "cluster-hangzhou": 2}, timeout=60
        )
        unjoined = seed_fleet.navarch("unjoin", "member-1")
        assert unjoined.returncode == 0, unjoined.stderr
        assert unjoined.stdout.strip() == "cluster(member-1) is unjoined successfully"
        wait_until(lambda: placement(seed_fleet) == {"cluster-hangzhou": 4}, timeout=60)
        assert seed_fleet.navarch("get", "cluster", "member-1").returncode == 1
        fleet = seed_fleet.json("get", "fleet", "simulated", "-n", "kurator-system")
        assert "member-1" not in [member["name"] for member in fleet["spec"]["clusters"]]
        secrets = seed_fleet.json("get", "secrets", "-n", "kurator-system")["items"]
        assert "member-1-kubeconfig" not in [s["metadata"]["name"] for s in secrets]
    finally:
        seed_fleet.navarch("delete", "-f", "-", stdin=WORKLOAD)


def test_join_says_why_a_cluster_is_not_ready(
    seed_fleet: Fleet, lone_simulator: Path, tmp_path: Path
) -> None:
    good = (lone_simulator / "member-1.kubeconfig").read_text()
    wrong_token = tmp_path / "wrong-token.kubeconfig"
    wrong_token.write_text(
        "\n".join(
            "    token: not-the-token" if line.strip().startswith("token:") else line
            for line in good.splitlines()
        )
    )
    refused = seed_fleet.navarch("join", "member-x", "--kubeconfig", str(wrong_token))
    try:
        assert refused.returncode == 1
        assert refused.stderr.startswith("error: cluster(member-x) is not Ready: unauthorized:")
    finally:
        assert seed_fleet.navarch("unjoin", "member-x").returncode == 0
    broken = tmp_path / "broken.kubeconfig"
    broken.write_text("clusters: [")
    invalid = seed_fleet.navarch("join", "member-y", "--kubeconfig", str(broken))
    assert invalid.returncode == 1
    assert invalid.stderr.startswith(f"error: invalid kubeconfig {broken}: not a kubeconfig")
    listing = seed_fleet.json("get", "attachedclusters", "-n", "kurator-system")
    assert "member-y" not in json.dumps(listing), "nothing is written for a bad kubeconfig"
