"""`navarch plan` on the project's examples and the seed fleet: the README's outcomes, offline."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.cli.kube_commands import read_manifests
from shared.cli.plan_command import renderer
from shared.placement.planning import Plan, plan

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="module")
def planned() -> Plan:
    documents = list(read_manifests([str(EXAMPLES)]))
    return plan(documents, render=renderer(documents))


def placed(result: Plan, name: str) -> dict[str, int | None]:
    entry = next(p for p in result.placements if p.resource.name == name)
    return {cluster.name: cluster.replicas for cluster in entry.clusters}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("nginx", {"cluster-hangzhou": 6, "cluster-shanghai": 4}),
        ("ai-inference", {"cluster-hangzhou": 7, "cluster-shanghai": 3}),
        ("global-app", {"cluster-hangzhou": 3, "cluster-frankfurt": 3}),
        ("reviews-v2", {"cluster-shanghai": 2}),
        ("large-scale-app", {"cluster-zone-a": 4, "cluster-zone-b": 4}),
        ("cost-sensitive-app", {"spot-cluster": 8, "ondemand-cluster": 2}),
        ("example-app", {"cluster-prod": 9, "cluster-dr": 1}),
        ("llm-inference", {"cluster-gpu-a100": 2, "cluster-gpu-h100": 2}),
    ],
)
def test_examples_are_placed_as_the_readme_says(planned: Plan, name: str, expected: dict) -> None:
    assert placed(planned, name) == expected


def container(result: Plan, cluster: str, name: str) -> dict:
    manifest = next(m for m in result.manifests[cluster] if m["metadata"]["name"] == name)
    return manifest["spec"]["template"]["spec"]["containers"][0]


def test_overrides_render_per_cluster(planned: Plan) -> None:
    hangzhou = container(planned, "cluster-hangzhou", "global-app")
    assert hangzhou["image"] == "registry.cn-hangzhou.aliyuncs.com/company/global-app:1.4.2"
    assert hangzhou["command"] == ["/app/server", "--region=asia-east"]
    frankfurt = container(planned, "cluster-frankfurt", "global-app")
    assert frankfurt["image"] == "registry.eu-central.example.com/company/global-app:1.4.2"
    assert frankfurt["command"][-2:] == ["--region=eu-central", "--compliance=gdpr"]
    dr = next(m for m in planned.manifests["cluster-dr"] if m["metadata"]["name"] == "example-app")
    assert dr["spec"]["replicas"] == 1


def test_unmatched_resources_have_a_null_policy(planned: Plan) -> None:
    document = planned.document()
    virtual_service = next(
        p for p in document["placements"] if p["resource"]["kind"] == "VirtualService"
    )
    assert virtual_service["policy"] is None and virtual_service["clusters"] == []


def test_an_untolerated_taint_is_explained_in_karmadas_words() -> None:
    documents = list(
        read_manifests(
            [str(EXAMPLES / "seed-fleet.yaml"), str(EXAMPLES / "07-spread-and-tolerations.yaml")]
        )
    )
    policy = next(d for d in documents if d["kind"] == "PropagationPolicy")
    del policy["spec"]["placement"]["tolerations"]
    result = plan(documents).placements[0]
    assert [cluster.name for cluster in result.clusters] == ["cluster-zone-b"]
    assert result.reasons["cluster-zone-a"] == (
        "cluster(s) had untolerated taint {dedicated=special:NoSchedule}"
    )
    policy["spec"]["placement"]["clusterAffinity"]["clusterNames"] = ["cluster-zone-a"]
    failed = plan(documents).placements[0]
    assert failed.clusters == [] and failed.message is not None
    assert "0/11 clusters are available" in failed.message
    assert "1 cluster(s) had untolerated taint {dedicated=special:NoSchedule}" in failed.message


def test_the_command_prints_json() -> None:
    output = subprocess.run(
        [sys.executable, "-m", "shared.cli.main", "plan", "-f", str(EXAMPLES), "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=60,
    ).stdout
    document = json.loads(output)
    assert {"placements", "manifests"} == set(document)
    nginx = next(p for p in document["placements"] if p["resource"]["name"] == "nginx")
    assert nginx["policy"] == {
        "kind": "PropagationPolicy",
        "namespace": "default",
        "name": "nginx-propagation",
    }
    assert nginx["clusters"] == [
        {"name": "cluster-hangzhou", "replicas": 6},
        {"name": "cluster-shanghai", "replicas": 4},
    ]
