"""The outcomes examples/README.md promises for examples 03 and 09, from the
files themselves (namespaced objects get `default`, as the hub's API does on apply)."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.api.cluster import Cluster
from shared.api.overrides import (
    KuratorOverridePolicy,
    OverridePolicy,
    Overriders,
    PlaintextOverrider,
    parse_override_policy,
    validate_override_policy,
)
from shared.overriding.rendering import APPLIED_OVERRIDES_ANNOTATION, render

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def load(name: str) -> list[dict[str, Any]]:
    documents = [doc for doc in yaml.safe_load_all((EXAMPLES / name).read_text()) if doc]
    for document in documents:
        document["metadata"].setdefault("namespace", "default")
    return documents


def of_kind(documents: list[dict[str, Any]], api_group: str, kind: str) -> dict[str, Any]:
    return next(
        doc
        for doc in documents
        if doc["kind"] == kind and doc["apiVersion"].split("/")[0] == api_group
    )


def seed_cluster(name: str) -> Cluster:
    """A member as seed-fleet.yaml describes it (name, labels, region, zone, provider)."""
    fleet = yaml.safe_load((EXAMPLES / "seed-fleet.yaml").read_text())
    entry = next(item for item in fleet["clusters"] if item["name"] == name)
    return Cluster.model_validate(
        {
            "metadata": {"name": name, "labels": entry.get("labels", {})},
            "spec": {
                "region": entry["region"],
                "zones": [entry["zone"]],
                "provider": entry["provider"],
            },
        }
    )


def test_the_examples_directory_is_where_the_tests_expect_it() -> None:
    assert (EXAMPLES / "README.md").is_file()


@pytest.fixture(scope="module")
def example_03() -> tuple[dict[str, Any], OverridePolicy]:
    documents = load("03-cross-cloud-overrides.yaml")
    policy_document = of_kind(documents, "policy.karmada.io", "OverridePolicy")
    assert validate_override_policy(policy_document) == []
    policy = parse_override_policy(policy_document)
    assert isinstance(policy, OverridePolicy)
    return of_kind(documents, "apps", "Deployment"), policy


@pytest.mark.parametrize(
    ("cluster_name", "image", "command"),
    [
        (
            "cluster-hangzhou",
            "registry.cn-hangzhou.aliyuncs.com/company/global-app:1.4.2",
            "/app/server --region=asia-east",
        ),
        (
            "cluster-frankfurt",
            "registry.eu-central.example.com/company/global-app:1.4.2",
            "/app/server --region=eu-central --compliance=gdpr",
        ),
    ],
)
def test_example_03_cross_cloud_overrides(
    example_03: tuple[dict[str, Any], OverridePolicy],
    cluster_name: str,
    image: str,
    command: str,
) -> None:
    template, policy = example_03
    manifest = render(
        template,
        cluster=seed_cluster(cluster_name),
        replicas=3,
        cluster_override_policies=[],
        override_policies=[policy],
    )
    (container,) = manifest["spec"]["template"]["spec"]["containers"]
    assert container["image"] == image
    assert " ".join(container["command"]) == command
    assert command.endswith(container["command"][-1])
    assert manifest["spec"]["replicas"] == 3
    assert APPLIED_OVERRIDES_ANNOTATION in manifest["metadata"]["annotations"]
    assert template["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "docker.io/global-app:1.4.2"
    )


def test_example_03_leaves_other_clusters_alone(
    example_03: tuple[dict[str, Any], OverridePolicy],
) -> None:
    template, policy = example_03
    manifest = render(
        template,
        cluster=seed_cluster("cluster-shanghai"),
        replicas=3,
        cluster_override_policies=[],
        override_policies=[policy],
    )
    assert manifest["spec"]["template"] == template["spec"]["template"]
    assert "annotations" not in manifest["metadata"]


@pytest.fixture(scope="module")
def example_09() -> tuple[dict[str, Any], KuratorOverridePolicy]:
    documents = load("09-kurator-distribution-override.yaml")
    policy_document = of_kind(documents, "policy.kurator.dev", "OverridePolicy")
    assert validate_override_policy(policy_document) == []
    policy = parse_override_policy(policy_document)
    assert isinstance(policy, KuratorOverridePolicy)
    return of_kind(documents, "apps", "Deployment"), policy


@pytest.mark.parametrize(
    ("cluster_name", "binding_replicas", "expected"),
    [
        ("cluster-dr", 1, 1),
        ("cluster-dr", 3, 1),
        ("cluster-prod", 9, 9),
    ],
)
def test_example_09_kurator_override_sets_dr_to_one_replica(
    example_09: tuple[dict[str, Any], KuratorOverridePolicy],
    cluster_name: str,
    binding_replicas: int,
    expected: int,
) -> None:
    template, policy = example_09
    manifest = render(
        template,
        cluster=seed_cluster(cluster_name),
        replicas=binding_replicas,
        cluster_override_policies=[],
        override_policies=[policy],
    )
    assert manifest["spec"]["replicas"] == expected
    assert template["spec"]["replicas"] == 10


def test_example_09_converts_to_a_karmada_plaintext_replace(
    example_09: tuple[dict[str, Any], KuratorOverridePolicy],
) -> None:
    _template, policy = example_09
    converted = policy.to_karmada()
    (only_rule,) = converted.spec.override_rules
    assert only_rule.target_cluster is not None
    assert only_rule.target_cluster.cluster_names == ["cluster-dr"]
    assert only_rule.overriders == Overriders(
        plaintext=[PlaintextOverrider(path="/spec/replicas", operator="replace", value=1)]
    )
    assert converted.spec.resource_selectors == policy.spec.resource_selectors
    assert converted.metadata.name == "example-override"
