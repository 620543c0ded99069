"""`navarch plan` on the project's examples and the seed fleet: the README's outcomes, offline."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.cli.kube_commands import read_manifests
from shared.cli.plan_command import renderer
from shared.placement.planning import Plan, plan
from shared.placement.policies import PolicyRejected

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


CLUSTER_DOCUMENT = {
    "apiVersion": "cluster.karmada.io/v1alpha1",
    "kind": "Cluster",
    "metadata": {"name": "member1"},
    "spec": {"syncMode": "Push"},
}


def policy_with(placement: dict, *, kind: str = "PropagationPolicy") -> dict:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": kind,
        "metadata": {"name": "web"},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
            "placement": placement,
        },
    }


@pytest.mark.parametrize(
    ("placement", "message"),
    [
        (
            {"spreadConstraints": [{"spreadByField": "cluster", "maxGroups": 1, "minGroups": 2}]},
            "spec.placement.spreadConstraints[0]: maxGroups lower than minGroups is not allowed",
        ),
        (
            {"spreadConstraints": [{"spreadByField": "region", "minGroups": 1}]},
            "spec.placement.spreadConstraints: the cluster spread constraint must be enabled "
            "in one of the constraints in case of SpreadByField is enabled",
        ),
        (
            {
                "clusterAffinity": {
                    "fieldSelector": {"matchExpressions": [{"key": "region", "operator": "Exists"}]}
                }
            },
            'spec.placement.clusterAffinity.fieldSelector: unsupported operator "Exists", '
            "must be In or NotIn",
        ),
        (
            {
                "clusterAffinity": {
                    "fieldSelector": {
                        "matchExpressions": [{"key": "foo", "operator": "In", "values": ["x"]}]
                    }
                }
            },
            'spec.placement.clusterAffinity.fieldSelector: unsupported key "foo", '
            "must be provider, region, or zone",
        ),
    ],
    ids=[
        "spreadConstraint maxGroups lower than minGroups",
        "spreadConstraint spreadByFieldCluster must be included if using spreadByField",
        "clusterAffinity.fieldSelector has unsupported operator",
        "clusterAffinity.fieldSelector has unsupported key",
    ],
)
@pytest.mark.parametrize("kind", ["PropagationPolicy", "ClusterPropagationPolicy"])
def test_plan_refuses_what_the_webhook_refuses_in_its_words(
    placement: dict, message: str, kind: str
) -> None:
    """karmada pkg/util/validation/validation_test.go `TestValidatePropagationSpec`, the
    cases named in the ids: `navarch plan` says what the hub's admission says."""
    with pytest.raises(PolicyRejected) as raised:
        plan([CLUSTER_DOCUMENT, policy_with(placement, kind=kind)])
    assert str(raised.value) == f'{kind} "web" is invalid: {message}'


def test_the_plan_command_prints_the_webhook_message(tmp_path: Path) -> None:
    invalid = policy_with({"spreadConstraints": [{"spreadByField": "region", "minGroups": 1}]})
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(invalid))
    result = subprocess.run(
        [sys.executable, "-m", "shared.cli.main", "plan", "-f", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 1
    assert "the cluster spread constraint must be enabled in one of the constraints" in (
        result.stderr
    )
