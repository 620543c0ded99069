"""Two AttachedClusters of one name in two namespaces: the oldest owns the Cluster, the other
is refused with a condition naming it, and takes over only when the owner is deleted."""

import base64
import json
import time

import pytest
import yaml

from tests.integration.fleet_manager.conftest import FleetHub
from tests.integration.fleet_manager.test_fleet_inventory import ready, wait_until

pytestmark = pytest.mark.integration


def attach(hub: FleetHub, *, namespace: str, member: str) -> None:
    kubeconfig = hub.member_kubeconfig(member).read_text()
    manifest = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "twin-kubeconfig", "namespace": namespace},
            "data": {"value": base64.b64encode(kubeconfig.encode()).decode()},
        },
        {
            "apiVersion": "cluster.kurator.dev/v1alpha1",
            "kind": "AttachedCluster",
            "metadata": {"name": "twin", "namespace": namespace},
            "spec": {"kubeconfig": {"name": "twin-kubeconfig"}},
        },
    ]
    applied = hub.navarch("apply", "-f", "-", stdin=yaml.safe_dump_all(manifest))
    assert applied.returncode == 0, applied.stderr


def server_of(hub: FleetHub, member: str) -> str:
    return yaml.safe_load(hub.member_kubeconfig(member).read_text())["clusters"][0]["cluster"][
        "server"
    ]


def attached_ready(hub: FleetHub, namespace: str) -> dict:
    attached = hub.json("get", "attachedclusters", "twin", "-n", namespace)
    conditions = attached.get("status", {}).get("conditions", [])
    return conditions[0] if conditions else {}


def twin(hub: FleetHub) -> dict | None:
    result = hub.navarch("get", "clusters", "twin", "-o", "json")
    if result.returncode != 0:
        assert "(NotFound)" in result.stderr, result.stderr
        return None
    return json.loads(result.stdout)


def test_the_oldest_attached_cluster_owns_the_name_and_the_next_takes_over(
    fleet_hub: FleetHub,
) -> None:
    attach(fleet_hub, namespace="team-b", member="cluster-dr")
    wait_until(lambda: (c := twin(fleet_hub)) is not None and ready(c) == "True", timeout=10)
    time.sleep(1.1)
    attach(fleet_hub, namespace="team-a", member="cluster-shanghai")

    wait_until(
        lambda: attached_ready(fleet_hub, "team-a").get("reason") == "ClusterNameConflict",
        timeout=10,
    )
    refused = attached_ready(fleet_hub, "team-a")
    assert refused["status"] == "False"
    assert "team-b/twin" in refused["message"]
    assert (
        fleet_hub.json("get", "attachedclusters", "twin", "-n", "team-a")["status"]["ready"]
        is False
    )
    for _ in range(10):
        cluster = twin(fleet_hub)
        assert cluster is not None
        assert cluster["spec"]["apiEndpoint"] == server_of(fleet_hub, "cluster-dr")
        assert cluster["metadata"]["labels"]["navarch.dev/attached-cluster"] == "team-b.twin"
        assert attached_ready(fleet_hub, "team-b")["status"] == "True"
        time.sleep(0.3)

    assert fleet_hub.navarch("delete", "attachedcluster", "twin", "-n", "team-b").returncode == 0

    def taken_over() -> bool:
        cluster = twin(fleet_hub)
        return (
            cluster is not None
            and cluster["spec"].get("apiEndpoint") == server_of(fleet_hub, "cluster-shanghai")
            and ready(cluster) == "True"
        )

    wait_until(taken_over, timeout=15)
    wait_until(lambda: attached_ready(fleet_hub, "team-a").get("status") == "True", timeout=10)
    assert twin(fleet_hub)["metadata"]["labels"]["navarch.dev/attached-cluster"] == "team-a.twin"

    assert fleet_hub.navarch("delete", "attachedcluster", "twin", "-n", "team-a").returncode == 0
    wait_until(lambda: twin(fleet_hub) is None, timeout=10)
