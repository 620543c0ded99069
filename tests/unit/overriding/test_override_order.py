"""Which policies and rules apply, and in what order: selector precedence, cluster
targeting, ClusterOverridePolicies before OverridePolicies, Karmada's fixed overrider
order. Ported in part from overridemanager_test.go (TestGetMatchingOverridePolicies)."""

from typing import Any

import pytest

from shared.api.cluster import Cluster
from shared.api.overrides import ClusterOverridePolicy, OverridePolicy, Overriders
from shared.api.propagation import ResourceSelector
from shared.overriding.rendering import (
    ImplicitPriority,
    apply_overriders,
    matching_rules,
    policy_priority,
    render,
    selector_priority,
)

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "test", "namespace": "default", "labels": {"app": "web", "tier": "front"}},
    "spec": {
        "replicas": 2,
        "template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}},
    },
}


def cluster(name: str, **spec: Any) -> Cluster:
    labels = spec.pop("labels", {})
    return Cluster.model_validate({"metadata": {"name": name, "labels": labels}, "spec": spec})


def selector(**fields: Any) -> ResourceSelector:
    return ResourceSelector.model_validate({"apiVersion": "apps/v1", "kind": "Deployment"} | fields)


def annotate(key: str, value: str) -> dict[str, Any]:
    return {"annotationsOverrider": [{"operator": "add", "value": {key: value}}]}


def op(
    name: str, *rules: dict[str, Any], selectors: list[dict[str, Any]] | None = None
) -> OverridePolicy:
    spec: dict[str, Any] = {"overrideRules": list(rules)}
    if selectors is not None:
        spec["resourceSelectors"] = selectors
    return OverridePolicy.model_validate(
        {"metadata": {"name": name, "namespace": "default"}, "spec": spec}
    )


def cop(
    name: str, *rules: dict[str, Any], selectors: list[dict[str, Any]] | None = None
) -> ClusterOverridePolicy:
    spec: dict[str, Any] = {"overrideRules": list(rules)}
    if selectors is not None:
        spec["resourceSelectors"] = selectors
    return ClusterOverridePolicy.model_validate({"metadata": {"name": name}, "spec": spec})


def rule(overriders: dict[str, Any], *clusters: str) -> dict[str, Any]:
    target = {"targetCluster": {"clusterNames": list(clusters)}} if clusters else {}
    return target | {"overriders": overriders}


BY_NAME = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "test"}
BY_LABEL = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "labelSelector": {"matchLabels": {"app": "web"}},
}
ALL_DEPLOYMENTS = {"apiVersion": "apps/v1", "kind": "Deployment"}
CLUSTER1 = cluster("cluster1")
CLUSTER2 = cluster("cluster2")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "test"}, ImplicitPriority.NAME),
        (
            {"name": "test", "labelSelector": {"matchLabels": {"app": "other"}}},
            ImplicitPriority.NAME,
        ),
        (
            {"name": "other", "labelSelector": {"matchLabels": {"app": "web"}}},
            ImplicitPriority.MISMATCH,
        ),
        ({"labelSelector": {"matchLabels": {"app": "web"}}}, ImplicitPriority.LABEL_SELECTOR),
        ({"labelSelector": {}}, ImplicitPriority.LABEL_SELECTOR),
        (
            {
                "labelSelector": {
                    "matchExpressions": [{"key": "tier", "operator": "In", "values": ["back"]}]
                }
            },
            ImplicitPriority.MISMATCH,
        ),
        ({}, ImplicitPriority.MATCH_ALL),
        ({"namespace": "default"}, ImplicitPriority.MATCH_ALL),
        ({"namespace": "other", "name": "test"}, ImplicitPriority.MISMATCH),
        ({"kind": "StatefulSet"}, ImplicitPriority.MISMATCH),
        ({"apiVersion": "apps/v1beta1"}, ImplicitPriority.MISMATCH),
    ],
)
def test_selector_priority(fields: dict[str, Any], expected: ImplicitPriority) -> None:
    assert selector_priority(DEPLOYMENT, selector(**fields)) == expected


def test_policy_priority_is_the_best_selector_and_none_means_all() -> None:
    assert policy_priority(DEPLOYMENT, []) == ImplicitPriority.MATCH_ALL
    selectors = [selector(name="other"), selector(labelSelector={}), selector(name="test")]
    assert policy_priority(DEPLOYMENT, selectors) == ImplicitPriority.NAME
    assert policy_priority(DEPLOYMENT, [selector(name="other")]) == ImplicitPriority.MISMATCH


# TestGetMatchingOverridePolicies: overridePolicy1 selects by name with two rules,
# overridePolicy2 has no selectors, overridePolicy3 an explicitly empty selector list.
POLICY1 = op(
    "overridePolicy1",
    rule(annotate("foo", "bar"), "cluster1", "cluster2"),
    rule(annotate("aaa", "bbb"), "cluster2"),
    selectors=[BY_NAME],
)
POLICY2 = op("overridePolicy2", rule(annotate("hello", "world"), "cluster1", "cluster2"))
POLICY3 = op(
    "overridePolicy3", rule(annotate("hello", "world"), "cluster1", "cluster2"), selectors=[]
)
OLD_STYLE = ClusterOverridePolicy.model_validate(
    {
        "metadata": {"name": "oldOverridePolicy"},
        "spec": {
            "targetCluster": {"clusterNames": ["cluster1"]},
            "overriders": annotate("hello", "world"),
        },
    }
)


@pytest.mark.parametrize(
    ("policies", "target", "expected"),
    [
        ([POLICY1, POLICY2], CLUSTER1, [("overridePolicy2", 0), ("overridePolicy1", 0)]),
        (
            [POLICY1, POLICY2],
            CLUSTER2,
            [("overridePolicy2", 0), ("overridePolicy1", 0), ("overridePolicy1", 1)],
        ),
        ([POLICY3], CLUSTER2, [("overridePolicy3", 0)]),
        ([OLD_STYLE], CLUSTER1, [("oldOverridePolicy", 0)]),
        ([OLD_STYLE], CLUSTER2, []),
    ],
)
def test_matching_rules_from_karmada(
    policies: list[Any], target: Cluster, expected: list[tuple[str, int]]
) -> None:
    matched = matching_rules(resource=DEPLOYMENT, cluster=target, policies=policies)
    assert [(m.policy.metadata.name, m.rule_index) for m in matched] == expected


def test_precedence_beats_name_and_names_break_ties() -> None:
    policies = [
        op("a-by-name", rule(annotate("x", "1")), selectors=[BY_NAME]),
        op("b-by-label", rule(annotate("x", "2")), selectors=[BY_LABEL]),
        op("c-all", rule(annotate("x", "3")), selectors=[ALL_DEPLOYMENTS]),
        op("d-no-selectors", rule(annotate("x", "4"))),
        op("a-by-label", rule(annotate("x", "5")), selectors=[BY_LABEL]),
        op("z-mismatch", rule(annotate("x", "6")), selectors=[{**BY_NAME, "name": "other"}]),
    ]
    matched = matching_rules(resource=DEPLOYMENT, cluster=CLUSTER1, policies=policies)
    assert [m.policy.metadata.name for m in matched] == [
        "c-all",
        "d-no-selectors",
        "a-by-label",
        "b-by-label",
        "a-by-name",
    ]
    rendered = render(
        DEPLOYMENT,
        cluster=CLUSTER1,
        replicas=None,
        cluster_override_policies=[],
        override_policies=policies,
    )
    assert rendered["metadata"]["annotations"]["x"] == "1"


def test_cluster_policies_apply_before_namespaced_ones_whatever_their_names() -> None:
    rendered = render(
        DEPLOYMENT,
        cluster=CLUSTER1,
        replicas=None,
        cluster_override_policies=[
            cop("zzz-by-name", rule(annotate("x", "cluster")), selectors=[BY_NAME])
        ],
        override_policies=[op("aaa-all", rule(annotate("x", "namespaced")))],
    )
    assert rendered["metadata"]["annotations"]["x"] == "namespaced"


def test_namespaced_policies_see_what_cluster_policies_changed() -> None:
    relabel = {"labelsOverrider": [{"operator": "add", "value": {"stage": "canary"}}]}
    by_new_label = {**BY_LABEL, "labelSelector": {"matchLabels": {"stage": "canary"}}}
    rendered = render(
        DEPLOYMENT,
        cluster=CLUSTER1,
        replicas=None,
        cluster_override_policies=[cop("relabel", rule(relabel))],
        override_policies=[op("canary", rule(annotate("seen", "yes")), selectors=[by_new_label])],
    )
    assert rendered["metadata"]["annotations"]["seen"] == "yes"


def test_override_policies_only_apply_in_their_own_namespace() -> None:
    elsewhere = OverridePolicy.model_validate(
        {
            "metadata": {"name": "p", "namespace": "other"},
            "spec": {"overrideRules": [rule(annotate("x", "1"))]},
        }
    )
    cluster_role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "r"},
    }
    here = op("p", rule(annotate("x", "1")))
    for template, policy in ((DEPLOYMENT, elsewhere), (cluster_role, here)):
        rendered = render(
            template,
            cluster=CLUSTER1,
            replicas=None,
            cluster_override_policies=[],
            override_policies=[policy],
        )
        assert "x" not in rendered["metadata"].get("annotations", {})


def test_cluster_policies_apply_to_cluster_scoped_resources() -> None:
    cluster_role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "r"},
    }
    rendered = render(
        cluster_role,
        cluster=CLUSTER1,
        replicas=None,
        cluster_override_policies=[cop("roles", rule(annotate("x", "1")))],
        override_policies=[],
    )
    assert rendered["metadata"]["annotations"]["x"] == "1"


FLEET = [
    cluster(
        "cluster-hangzhou",
        region="asia-east",
        zone="asia-east-1a",
        provider="alibaba",
        labels={"env": "production"},
    ),
    cluster(
        "cluster-frankfurt",
        region="eu-central",
        zones=["eu-central-1a"],
        provider="aws",
        labels={"env": "production"},
    ),
    cluster(
        "cluster-dr", region="us-east", zone="us-east-1a", provider="aws", labels={"env": "dr"}
    ),
]


@pytest.mark.parametrize(
    ("target_cluster", "expected"),
    [
        (None, {"cluster-hangzhou", "cluster-frankfurt", "cluster-dr"}),
        ({}, {"cluster-hangzhou", "cluster-frankfurt", "cluster-dr"}),
        ({"clusterNames": ["cluster-dr"]}, {"cluster-dr"}),
        (
            {"labelSelector": {"matchLabels": {"env": "production"}}},
            {"cluster-hangzhou", "cluster-frankfurt"},
        ),
        (
            {
                "fieldSelector": {
                    "matchExpressions": [{"key": "provider", "operator": "In", "values": ["aws"]}]
                }
            },
            {"cluster-frankfurt", "cluster-dr"},
        ),
        (
            {
                "fieldSelector": {
                    "matchExpressions": [
                        {"key": "zone", "operator": "NotIn", "values": ["asia-east-1a"]}
                    ]
                }
            },
            {"cluster-frankfurt", "cluster-dr"},
        ),
        (
            {
                "fieldSelector": {
                    "matchExpressions": [
                        {"key": "region", "operator": "NotIn", "values": ["us-east"]}
                    ]
                }
            },
            {"cluster-hangzhou", "cluster-frankfurt"},
        ),
        (
            {
                "labelSelector": {"matchLabels": {"env": "production"}},
                "exclude": ["cluster-hangzhou"],
            },
            {"cluster-frankfurt"},
        ),
        (
            {
                "clusterNames": ["cluster-dr"],
                "labelSelector": {"matchLabels": {"env": "production"}},
            },
            set(),
        ),
    ],
)
def test_rule_target_cluster(target_cluster: dict[str, Any] | None, expected: set[str]) -> None:
    policy_rule: dict[str, Any] = {"overriders": annotate("x", "1")}
    if target_cluster is not None:
        policy_rule["targetCluster"] = target_cluster
    policy = op("p", policy_rule)
    hit = {
        c.name for c in FLEET if matching_rules(resource=DEPLOYMENT, cluster=c, policies=[policy])
    }
    assert hit == expected


def test_deprecated_form_only_counts_without_rules() -> None:
    both = OverridePolicy.model_validate(
        {
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {
                "overrideRules": [rule(annotate("rule", "1"))],
                "overriders": annotate("legacy", "1"),
            },
        }
    )
    rendered = apply_overriders(DEPLOYMENT, both.spec.effective_rules()[0].overriders)
    assert rendered["metadata"]["annotations"] == {"rule": "1"}
    assert len(both.spec.effective_rules()) == 1


def test_overriders_run_in_karmadas_fixed_order() -> None:
    """Each pair below gives a different result if the order were reversed."""
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {}},
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "app", "image": "app:1", "command": ["run"]}]}
            }
        },
        "data": {"doc": '{"a":1}'},
    }
    overriders = Overriders.model_validate(
        {
            "plaintext": [
                {
                    "path": "/spec/template/spec/containers/0/image",
                    "operator": "replace",
                    "value": "other.io/x:1",
                },
                {"path": "/metadata/labels/env", "operator": "remove"},
                {"path": "/data/doc", "operator": "replace", "value": '{"a":9}'},
                {"path": "/metadata/annotations/note", "operator": "replace", "value": "plaintext"},
            ],
            "fieldOverrider": [
                {
                    "fieldPath": "/data/doc",
                    "json": [{"subPath": "/a", "operator": "replace", "value": 2}],
                }
            ],
            "annotationsOverrider": [{"operator": "add", "value": {"note": "annotations"}}],
            "labelsOverrider": [{"operator": "add", "value": {"env": "prod"}}],
            "argsOverrider": [{"containerName": "app", "operator": "add", "value": ["--b"]}],
            "commandOverrider": [{"containerName": "app", "operator": "add", "value": ["--a"]}],
            "imageOverrider": [
                {"component": "Registry", "operator": "replace", "value": "mirror.example"}
            ],
        }
    )
    rendered = apply_overriders(manifest, overriders)
    container = rendered["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "other.io/x:1"
    assert container["command"] == ["run", "--a"]
    assert container["args"] == ["--b"]
    assert rendered["metadata"]["labels"] == {"app": "web"}
    assert rendered["metadata"]["annotations"] == {"note": "plaintext"}
    assert rendered["data"]["doc"] == '{"a":9}'
