"""Kill -9 every service in turn (and NATS once) while 200 workloads converge: nothing is lost,
duplicated or stuck, and deleting everything leaves the members empty. Kill -9 the
override-engine just after deleting 50 workloads (once with a slow, failing member): nothing
is left on any member, and no Work or binding on the hub."""

import os
import signal
import time

import pytest
import yaml

from shared.cli.supervising import read_state
from tests.e2e.conftest import Fleet, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

WORKLOADS = 200
DELETED_WHILE_KILLED = 50
MEMBERS = ("member-1", "member-2", "member-3")
DIVIDED = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}
KILL_ORDER = ["gateway", "scheduler", "override_engine", "fleet_manager", "nats"]


def manifests(count: int = WORKLOADS, *, with_policy: bool = True, everywhere: bool = False) -> str:
    """The policy (replicas divided, or `everywhere`: every member runs every workload, with
    a sizeable annotation, so the hub holds many large Works) and `count` Deployments."""
    documents: list[dict] = [policy(duplicated=everywhere)] if with_policy else []
    annotations = {"restart.navarch.dev/notes": "n" * 20_000} if everywhere else {}
    for index in range(count):
        name = f"w{index:03d}"
        documents.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "name": name,
                    "namespace": "default",
                    "labels": {"suite": "restart"},
                    "annotations": annotations,
                },
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


def policy(*, duplicated: bool = False) -> dict:
    scheduling = {"replicaSchedulingType": "Duplicated"} if duplicated else DIVIDED
    return {
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
                "clusterAffinity": {"clusterNames": list(MEMBERS)},
                "replicaScheduling": scheduling,
            },
        },
    }


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


def expected_per_cluster(fleet: Fleet, count: int = WORKLOADS) -> dict[str, list[str]] | None:
    """What the bindings say each member must run, once every workload is bound."""
    bindings = fleet.json("get", "resourcebindings")["items"]
    if len(bindings) != count:
        return None
    wanted: dict[str, list[str]] = {cluster: [] for cluster in MEMBERS}
    for binding in bindings:
        for target in binding["spec"].get("clusters", []):
            wanted[target["name"]].append(binding["spec"]["resource"]["name"])
    return {cluster: sorted(names) for cluster, names in wanted.items()}


def placed(fleet: Fleet, count: int = WORKLOADS) -> bool:
    """Every workload is bound and every member runs exactly what its bindings say."""
    wanted = expected_per_cluster(fleet, count)
    return wanted is not None and all(
        member_deployments(fleet, cluster) == names for cluster, names in wanted.items()
    )


def converged(fleet: Fleet) -> bool:
    if not placed(fleet):
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
    for cluster in MEMBERS:
        wait_until(
            lambda cluster=cluster: member_deployments(fleet, cluster) == [], timeout=60, interval=2
        )


def sim_fault(fleet: Fleet, cluster: str, *action: str) -> None:
    result = fleet.navarch("sim", "fault", cluster, *action)
    assert result.returncode == 0, result.stderr


def hub_left(fleet: Fleet) -> list[str]:
    """Bindings and Works still on the hub."""
    bindings = fleet.json("get", "resourcebindings", "-A")["items"]
    works = fleet.json("get", "works", "-A")["items"]
    return [f"{item['kind']}/{item['metadata']['name']}" for item in [*bindings, *works]]


@pytest.mark.parametrize("member_faults", [False, True], ids=["healthy", "slow-failing-member"])
def test_deleting_while_the_override_engine_is_killed_leaves_nothing_behind(
    three_clusters: Fleet, member_faults: bool
) -> None:
    fleet = three_clusters
    documents = manifests(DELETED_WHILE_KILLED, everywhere=True)
    applied = fleet.navarch("apply", "-f", "-", stdin=documents)
    assert applied.returncode == 0, applied.stderr
    wait_until(lambda: placed(fleet, DELETED_WHILE_KILLED), timeout=120, interval=2)
    if member_faults:
        sim_fault(fleet, "member-2", "errors", "0.5")
        sim_fault(fleet, "member-2", "latency", "800")

    workloads = manifests(DELETED_WHILE_KILLED, with_policy=False, everywhere=True)
    deleted = fleet.navarch("delete", "-f", "-", stdin=workloads)
    assert deleted.returncode == 0, deleted.stderr
    time.sleep(0.5)
    kill(fleet, "override_engine")

    wait_until(lambda: hub_left(fleet) == [], timeout=150, interval=2)
    if member_faults:
        sim_fault(fleet, "member-2", "up")
    for cluster in MEMBERS:
        wait_until(
            lambda cluster=cluster: member_deployments(fleet, cluster) == [], timeout=20, interval=2
        )
