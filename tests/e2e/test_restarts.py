"""Kill -9 every service in turn (and NATS once) while 200 workloads converge: nothing is lost,
duplicated or stuck, and deleting everything leaves the members empty."""

import os
import signal
import time

import pytest
import yaml

from shared.cli.supervising import read_state
from tests.e2e.conftest import Fleet, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

WORKLOADS = 200
KILL_ORDER = ["gateway", "scheduler", "override_engine", "fleet_manager", "nats"]


def manifests() -> str:
    documents: list[dict] = [
        {
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "PropagationPolicy",
            "metadata": {"name": "restart", "namespace": "default"},
            "spec": {
                "resourceSelectors": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "labelSelector": {"matchLabels": {"suite": "restart"}},
                    }
                ],
                "placement": {
                    "clusterAffinity": {"clusterNames": ["member-1", "member-2", "member-3"]},
                    "replicaScheduling": {
                        "replicaSchedulingType": "Divided",
                        "replicaDivisionPreference": "Weighted",
                    },
                },
            },
        }
    ]
    for index in range(WORKLOADS):
        name = f"w{index:03d}"
        documents.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name, "namespace": "default", "labels": {"suite": "restart"}},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": {"app": name}},
                    "template": {
                        "metadata": {"labels": {"app": name}},
                        "spec": {"containers": [{"name": "c", "image": "busybox:1"}]},
                    },
                },
            }
        )
    return yaml.safe_dump_all(documents)


def kill(fleet: Fleet, name: str) -> None:
    state = read_state(fleet.home)
    assert state is not None
    pid = next(p["pid"] for p in state["processes"] if p["name"] == name)
    os.kill(pid, signal.SIGKILL)

    def replaced() -> bool:
        current = read_state(fleet.home)
        return (
            current is not None
            and next(p["pid"] for p in current["processes"] if p["name"] == name) != pid
        )

    wait_until(replaced, timeout=30, interval=0.2)


def member_deployments(fleet: Fleet, cluster: str) -> list[str]:
    result = fleet.member(cluster, "get", "deployments", "-n", "default", "-o", "name")
    assert result.returncode == 0, result.stderr
    return sorted(line.split("/", 1)[1] for line in result.stdout.split())


def expected_per_cluster(fleet: Fleet) -> dict[str, list[str]] | None:
    """What the bindings say each member must run, once every workload is bound."""
    bindings = fleet.json("get", "resourcebindings")["items"]
    if len(bindings) != WORKLOADS:
        return None
    wanted: dict[str, list[str]] = {"member-1": [], "member-2": [], "member-3": []}
    for binding in bindings:
        for target in binding["spec"].get("clusters", []):
            wanted[target["name"]].append(binding["spec"]["resource"]["name"])
    return {cluster: sorted(names) for cluster, names in wanted.items()}


def converged(fleet: Fleet) -> bool:
    wanted = expected_per_cluster(fleet)
    if wanted is None:
        return False
    if any(member_deployments(fleet, cluster) != names for cluster, names in wanted.items()):
        return False
    deployments = fleet.json("get", "deployments", "-l", "suite=restart")["items"]
    return len(deployments) == WORKLOADS and all(
        d.get("status", {}).get("readyReplicas") == 2 for d in deployments
    )


def test_everything_converges_through_kill_9_of_each_process(three_clusters: Fleet) -> None:
    fleet = three_clusters
    applied = fleet.navarch("apply", "-f", "-", stdin=manifests())
    assert applied.returncode == 0, applied.stderr
    for name in KILL_ORDER:
        time.sleep(1.0)
        kill(fleet, name)
    wait_until(lambda: fleet.navarch("status").returncode == 0, timeout=60)
    wait_until(lambda: converged(fleet), timeout=180, interval=2)

    deleted = fleet.navarch("delete", "-f", "-", stdin=manifests())
    assert deleted.returncode == 0, deleted.stderr
    wait_until(
        lambda: fleet.json("get", "resourcebindings")["items"] == [], timeout=120, interval=2
    )
    for cluster in ("member-1", "member-2", "member-3"):
        wait_until(
            lambda cluster=cluster: member_deployments(fleet, cluster) == [], timeout=60, interval=2
        )
