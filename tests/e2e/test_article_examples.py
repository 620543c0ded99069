"""Every example of the articles on the seed fleet, through the CLI, checked on the members."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, Fleet, down, up, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

EXAMPLES = REPO / "examples"
WORKLOADS = {
    "nginx": {"cluster-hangzhou": 6, "cluster-shanghai": 4},
    "ai-inference": {"cluster-hangzhou": 7, "cluster-shanghai": 3},
    "global-app": {"cluster-hangzhou": 3, "cluster-frankfurt": 3},
    "reviews-v2": {"cluster-shanghai": 2},
    "large-scale-app": {"cluster-zone-a": 4, "cluster-zone-b": 4},
    "cost-sensitive-app": {"spot-cluster": 8, "ondemand-cluster": 2},
    "example-app": {"cluster-prod": 9, "cluster-dr": 1},
    "llm-inference": {"cluster-gpu-a100": 2, "cluster-gpu-h100": 2},
}
CLUSTERS = [
    "cluster-hangzhou",
    "cluster-shanghai",
    "cluster-frankfurt",
    "cluster-prod",
    "cluster-dr",
    "spot-cluster",
    "ondemand-cluster",
    "cluster-zone-a",
    "cluster-zone-b",
    "cluster-gpu-a100",
    "cluster-gpu-h100",
]


def member_replicas(fleet: Fleet, cluster: str) -> dict[str, int]:
    result = fleet.member(cluster, "get", "deployments", "-n", "default", "-o", "json")
    assert result.returncode == 0, result.stderr
    return {
        d["metadata"]["name"]: d["spec"]["replicas"] for d in json.loads(result.stdout)["items"]
    }


def placed_everywhere(fleet: Fleet) -> bool:
    on_members = {cluster: member_replicas(fleet, cluster) for cluster in CLUSTERS}
    return all(
        on_members[cluster].get(name) == replicas
        for name, placement in WORKLOADS.items()
        for cluster, replicas in placement.items()
    )


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    fleet = up(tmp_path_factory.mktemp("seed"), "--sim", str(EXAMPLES / "seed-fleet.yaml"))
    try:
        for path in sorted(EXAMPLES.glob("[0-9]*.yaml")):
            applied = fleet.navarch("apply", "-f", str(path))
            assert applied.returncode == 0, f"{path.name}: {applied.stderr}"
        wait_until(lambda: placed_everywhere(fleet), timeout=90, interval=1)
        yield fleet
    finally:
        down(fleet)


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_workloads_run_where_the_readme_says(seed: Fleet, name: str) -> None:
    for cluster in CLUSTERS:
        replicas = member_replicas(seed, cluster).get(name)
        assert replicas == WORKLOADS[name].get(cluster), f"{name} on {cluster}"


def test_03_renders_each_cloud_variant(seed: Fleet) -> None:
    def container(cluster: str) -> dict:
        result = seed.member(cluster, "get", "deployment", "global-app", "-o", "json")
        return json.loads(result.stdout)["spec"]["template"]["spec"]["containers"][0]

    hangzhou, frankfurt = container("cluster-hangzhou"), container("cluster-frankfurt")
    assert hangzhou["image"] == "registry.cn-hangzhou.aliyuncs.com/company/global-app:1.4.2"
    assert hangzhou["command"] == ["/app/server", "--region=asia-east"]
    assert frankfurt["image"] == "registry.eu-central.example.com/company/global-app:1.4.2"
    assert frankfurt["command"][-2:] == ["--region=eu-central", "--compliance=gdpr"]


def test_01_hub_deployment_aggregates_ready_replicas(seed: Fleet) -> None:
    wait_until(
        lambda: (
            seed.json("get", "deployment", "nginx").get("status", {}).get("readyReplicas") == 10
        ),
        timeout=60,
    )
    table = seed.navarch("get", "deployment", "nginx", "--clusters").stdout
    assert "cluster-hangzhou" in table and "cluster-shanghai" in table


def test_04_virtual_service_is_stored_on_the_hub(seed: Fleet) -> None:
    stored = seed.json("get", "virtualservices.networking.istio.io", "reviews-route")
    assert stored["spec"]["hosts"] == ["reviews.prod.svc.cluster.global"]


def test_05_attached_cluster_reports_its_missing_secret_then_becomes_ready(
    seed: Fleet, tmp_path: Path
) -> None:
    def condition() -> dict:
        attached = seed.json(
            "get", "attachedclusters", "production-cluster-01", "-n", "kurator-system"
        )
        conditions = attached.get("status", {}).get("conditions", [])
        return conditions[0] if conditions else {}

    wait_until(lambda: condition().get("reason") == "InvalidKubeconfig", timeout=20)
    assert "cluster-01-kubeconfig" in condition()["message"]
    kubeconfig = (seed.home / "members" / "cluster-dr.kubeconfig").read_text()
    secret = tmp_path / "secret.yaml"
    secret.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "cluster-01-kubeconfig", "namespace": "kurator-system"},
                "stringData": {"value": kubeconfig},
            }
        )
    )
    assert seed.navarch("apply", "-f", str(secret)).returncode == 0
    wait_until(lambda: condition().get("status") == "True", timeout=20)


def test_06_and_10_fleets_report_their_members(seed: Fleet) -> None:
    wait_until(
        lambda: (
            seed.json("get", "fleets", "global-production", "-n", "kurator-system")
            .get("status", {})
            .get("phase")
            == "Ready"
        ),
        timeout=20,
    )
    production = seed.json("get", "fleets", "production", "-n", "default")
    assert production["status"]["readyClusters"] == 2


def test_08_hpa_12_cluster_and_13_tuning_are_accepted(seed: Fleet) -> None:
    hpa = seed.json("get", "hpa", "cost-aware-hpa")
    assert hpa["spec"]["maxReplicas"] == 20
    assert (
        seed.navarch("describe", "clusters.cluster.kurator.dev", "production-cluster").returncode
        == 0
    )
    config = seed.json("get", "karmadaconfigs", "performance-tuning")
    wait_until(
        lambda: (
            "parallelism"
            in json.dumps(
                seed.json("get", "karmadaconfigs", "performance-tuning").get("status", {})
            )
        ),
        timeout=20,
    )
    assert config["spec"]["scheduler"]["parallelism"] == 10


def test_deleting_the_examples_leaves_nothing_on_the_members(seed: Fleet) -> None:
    for path in sorted(EXAMPLES.glob("[0-9]*.yaml")):
        deleted = seed.navarch("delete", "-f", str(path), "--ignore-not-found")
        assert deleted.returncode == 0, f"{path.name}: {deleted.stderr}"
    for cluster in CLUSTERS:
        wait_until(
            lambda cluster=cluster: member_replicas(seed, cluster) == {}, timeout=60, interval=1
        )
    assert seed.json("get", "resourcebindings", "-A")["items"] == []
