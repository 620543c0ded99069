"""`kubectl --context=<cluster>` against the hub kubeconfig, as the articles write it."""

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import KUBECTL, Fleet, wait_until
from tests.integration.cli.conftest import EXAMPLES

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def kubectl(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KUBECTL), f"--kubeconfig={kubeconfig}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_up_writes_a_context_per_member_cluster(seed_fleet: Fleet) -> None:
    hub_kubeconfig = seed_fleet.home / "hub.kubeconfig"
    contexts = kubectl(hub_kubeconfig, "config", "get-contexts", "-o", "name").stdout.split()
    assert "cluster-hangzhou" in contexts and "cluster-shanghai" in contexts
    assert len(contexts) == 12, contexts
    current = kubectl(hub_kubeconfig, "config", "current-context")
    assert current.stdout.strip() == "navarch-hub"
    assert (seed_fleet.home / "members" / "cluster-hangzhou.kubeconfig").exists()

    applied = seed_fleet.navarch("apply", "-f", str(EXAMPLES / "01-nginx-weighted.yaml"))
    assert applied.returncode == 0, applied.stderr
    try:

        def hangzhou_runs_six() -> bool:
            member = kubectl(
                hub_kubeconfig,
                "get",
                "deployment",
                "nginx",
                "--context=cluster-hangzhou",
                "-o",
                "jsonpath={.spec.replicas}",
            )
            return member.returncode == 0 and member.stdout == "6"

        wait_until(hangzhou_runs_six, timeout=60)
        hub_side = kubectl(hub_kubeconfig, "get", "deployment", "nginx", "-o", "name")
        assert hub_side.stdout.strip() == "deployment.apps/nginx"
    finally:
        seed_fleet.navarch("delete", "-f", str(EXAMPLES / "01-nginx-weighted.yaml"))


def test_kubeconfig_merges_into_an_existing_file(seed_fleet: Fleet, tmp_path: Path) -> None:
    mine = tmp_path / "config"
    mine.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "work", "cluster": {"server": "https://work.example:443"}}],
                "users": [{"name": "me", "user": {"token": "x"}}],
                "contexts": [{"name": "work", "context": {"cluster": "work", "user": "me"}}],
                "current-context": "work",
            }
        )
    )
    printed = seed_fleet.navarch("kubeconfig")
    assert printed.returncode == 0, printed.stderr
    assert yaml.safe_load(printed.stdout)["current-context"] == "navarch-hub"
    merged = seed_fleet.navarch("kubeconfig", "--merge-into", str(mine))
    assert merged.returncode == 0, merged.stderr
    assert kubectl(mine, "config", "current-context").stdout.strip() == "work"
    names = kubectl(mine, "config", "get-contexts", "-o", "name").stdout.split()
    assert {"work", "navarch-hub", "cluster-shanghai"} <= set(names)
    nodes = kubectl(mine, "get", "nodes", "--context=cluster-shanghai", "-o", "name")
    assert nodes.returncode == 0, nodes.stderr
    assert all("cluster-shanghai" in line for line in nodes.stdout.split())
