"""The articles' read verbs against the seed fleet: workloads per cluster, clusters, bindings."""

import json

import pytest

from tests.e2e.conftest import Fleet, wait_until
from tests.integration.cli.conftest import EXAMPLES

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
OVERRIDES = EXAMPLES / "03-cross-cloud-overrides.yaml"
HANGZHOU_IMAGE = "registry.cn-hangzhou.aliyuncs.com/company/global-app:1.4.2"
FRANKFURT_IMAGE = "registry.eu-central.example.com/company/global-app:1.4.2"


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


def test_get_workload_all_clusters_shows_each_members_image(seed_fleet: Fleet) -> None:
    applied = seed_fleet.navarch("apply", "-f", str(OVERRIDES))
    assert applied.returncode == 0, applied.stderr
    try:

        def all_ready() -> bool:
            document = seed_fleet.json("get", "workload", "global-app")
            return document["status"]["ready"] == 6 and len(document["status"]["clusters"]) == 2

        wait_until(all_ready, timeout=60)
        table = seed_fleet.navarch("get", "workload", "--all-clusters")
        assert table.returncode == 0, table.stderr
        header, *lines = rows(table.stdout)
        assert header == [
            "NAME",
            "KIND",
            "CLUSTER",
            "DESIRED",
            "READY",
            "AVAILABLE",
            "IMAGE",
            "AGE",
        ]
        by_cluster = {line[2]: line for line in lines if line[0] == "global-app"}
        assert by_cluster["cluster-hangzhou"][3:7] == ["3", "3", "3", HANGZHOU_IMAGE]
        assert by_cluster["cluster-frankfurt"][3:7] == ["3", "3", "3", FRANKFURT_IMAGE]
        summary = rows(seed_fleet.navarch("get", "workloads", "-A").stdout)
        assert summary[0][:4] == ["NAMESPACE", "NAME", "KIND", "READY"]
        assert ["default", "global-app", "Deployment", "6/6"] in [line[:4] for line in summary]
        names = seed_fleet.navarch("get", "workload", "-o", "name").stdout.split()
        assert "deployment.apps/global-app" in names

        bindings = seed_fleet.navarch("get", "resourcebinding")
        header, *lines = rows(bindings.stdout)
        assert header == ["NAME", "SCHEDULED", "FULLYAPPLIED", "CLUSTERS", "AGE"]
        assert ["global-app-deployment", "True", "True"] in [line[:3] for line in lines]
    finally:
        seed_fleet.navarch("delete", "-f", str(OVERRIDES))


def test_read_verbs_say_what_kubectl_says_when_empty_or_missing(seed_fleet: Fleet) -> None:
    empty = seed_fleet.navarch("get", "workload", "-n", "nothing-here")
    assert empty.returncode == 0
    assert empty.stderr.strip() == "No resources found in nothing-here namespace."
    missing = seed_fleet.navarch("get", "workload", "ghost")
    assert missing.returncode == 1
    assert missing.stderr.startswith("Error from server (NotFound): ")
    clusters = rows(seed_fleet.navarch("get", "clusters").stdout)
    assert clusters[0][:4] == ["NAME", "READY", "MODE", "VERSION"]
    hangzhou = next(line for line in clusters if line[0] == "cluster-hangzhou")
    assert hangzhou[1:3] == ["True", "Push"]
    as_json = json.loads(seed_fleet.navarch("get", "workload", "-o", "json").stdout)
    assert as_json["kind"] == "List"
