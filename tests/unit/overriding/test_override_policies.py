"""Override policy models and validation: the CRD schema and Karmada's admission webhook
(pkg/util/validation.ValidateOverrideSpec), as (field path, message) pairs."""

import copy
from typing import Any

import pytest

from shared.api.overrides import (
    ClusterOverridePolicy,
    FieldError,
    KuratorOverridePolicy,
    OverridePolicy,
    PolicyValidationError,
    parse_override_policy,
    validate_override_policy,
)

VALID: dict[str, Any] = {
    "apiVersion": "policy.karmada.io/v1alpha1",
    "kind": "OverridePolicy",
    "metadata": {"name": "p", "namespace": "default"},
    "spec": {
        "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
        "overrideRules": [
            {
                "targetCluster": {"clusterNames": ["member-1"]},
                "overriders": {
                    "plaintext": [{"path": "/spec/replicas", "operator": "replace", "value": 1}],
                    "imageOverrider": [
                        {"component": "Registry", "operator": "replace", "value": "r.io"}
                    ],
                    "commandOverrider": [
                        {"containerName": "app", "operator": "add", "value": ["-v"]}
                    ],
                    "argsOverrider": [
                        {"containerName": "app", "operator": "remove", "value": ["-q"]}
                    ],
                    "labelsOverrider": [{"operator": "add", "value": {"example.com/tier": "web"}}],
                    "annotationsOverrider": [{"operator": "remove", "value": {"note": ""}}],
                    "fieldOverrider": [
                        {
                            "fieldPath": "/data/app.yaml",
                            "yaml": [{"subPath": "/a", "operator": "replace", "value": 1}],
                        }
                    ],
                },
            }
        ],
    },
}
RULE = "spec.overrideRules[0]"
OVERRIDERS = f"{RULE}.overriders"


def changed(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    document = copy.deepcopy(VALID)
    target: Any = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return document


OVERRIDER_PATH = ("spec", "overrideRules", 0, "overriders")


def test_a_full_policy_is_valid_and_round_trips() -> None:
    assert validate_override_policy(VALID) == []
    policy = parse_override_policy(VALID)
    assert isinstance(policy, OverridePolicy)
    assert policy.to_dict()["spec"]["overrideRules"][0]["overriders"]["fieldOverrider"][0][
        "yaml"
    ] == [{"subPath": "/a", "operator": "replace", "value": 1}]
    assert policy.spec.override_rules[0].overriders.command_overrider[0].container_name == "app"


@pytest.mark.parametrize(
    ("document", "path", "message"),
    [
        pytest.param(
            changed((*OVERRIDER_PATH, "plaintext", 0, "operator"), "set"),
            f"{OVERRIDERS}.plaintext[0].operator",
            'Unsupported value: "set"',
            id="bad-plaintext-operator",
        ),
        pytest.param(
            changed((*OVERRIDER_PATH, "commandOverrider", 0, "operator"), "replace"),
            f"{OVERRIDERS}.commandOverrider[0].operator",
            'Unsupported value: "replace"',
            id="command-has-no-replace",
        ),
        pytest.param(
            changed((*OVERRIDER_PATH, "imageOverrider", 0, "component"), "Digest"),
            f"{OVERRIDERS}.imageOverrider[0].component",
            'Unsupported value: "Digest"',
            id="bad-image-component",
        ),
        pytest.param(
            changed((*OVERRIDER_PATH, "plaintext", 0, "path"), "spec/replicas"),
            f"{OVERRIDERS}.plaintext[0].path",
            'must be a JSON pointer starting with "/"',
            id="plaintext-path-without-slash",
        ),
        pytest.param(
            changed((*OVERRIDER_PATH, "plaintext", 0, "path"), ""),
            f"{OVERRIDERS}.plaintext[0].path",
            'must be a JSON pointer starting with "/"',
            id="plaintext-empty-path",
        ),
        pytest.param(
            changed((*OVERRIDER_PATH, "imageOverrider", 0, "predicate"), {"path": "spec/image"}),
            f"{OVERRIDERS}.imageOverrider[0].predicate.path",
            'JSON pointer must be empty or start with a "/"',
            id="predicate-path",
        ),
        pytest.param(
            changed((*OVERRIDER_PATH, "commandOverrider", 0), {"operator": "add"}),
            f"{OVERRIDERS}.commandOverrider[0].containerName",
            "Required value",
            id="container-name-required",
        ),
        pytest.param(
            changed((*OVERRIDER_PATH, "labelsOverrider", 0, "value"), {"bad key!": "v"}),
            f"{OVERRIDERS}.labelsOverrider[0].value",
            "name part must consist of alphanumeric characters",
            id="label-key",
        ),
        pytest.param(
            changed((*OVERRIDER_PATH, "labelsOverrider", 0, "value"), {"k": "v" * 64}),
            f"{OVERRIDERS}.labelsOverrider[0].value",
            "must be no more than 63 characters",
            id="label-value-length",
        ),
        pytest.param(
            changed((*OVERRIDER_PATH, "labelsOverrider", 0, "value"), {"Bad_Prefix/k": "v"}),
            f"{OVERRIDERS}.labelsOverrider[0].value",
            "prefix part a lowercase RFC 1123 subdomain",
            id="label-prefix",
        ),
        pytest.param(
            changed((*OVERRIDER_PATH, "annotationsOverrider", 0, "value"), {"a/b/c": ""}),
            f"{OVERRIDERS}.annotationsOverrider[0].value",
            "a qualified name must consist of alphanumeric characters",
            id="annotation-key-with-two-slashes",
        ),
        pytest.param(
            changed((*OVERRIDER_PATH, "annotationsOverrider", 0, "value"), {"k": "v" * 262144}),
            f"{OVERRIDERS}.annotationsOverrider[0].value",
            "may not be more than 262144 bytes",
            id="annotations-too-large",
        ),
        pytest.param(
            changed((*OVERRIDER_PATH, "fieldOverrider", 0), {"fieldPath": "/data/x"}),
            f"{OVERRIDERS}.fieldOverrider[0]",
            "FieldOverrider must have either JSON or YAML set",
            id="field-neither",
        ),
        pytest.param(
            changed(
                (*OVERRIDER_PATH, "fieldOverrider", 0),
                {
                    "fieldPath": "/data/x",
                    "json": [{"subPath": "/a", "operator": "remove"}],
                    "yaml": [{"subPath": "/a", "operator": "remove"}],
                },
            ),
            f"{OVERRIDERS}.fieldOverrider[0]",
            "FieldOverrider has both YAML and JSON set",
            id="field-both",
        ),
        pytest.param(
            changed(
                (*OVERRIDER_PATH, "fieldOverrider", 0),
                {"fieldPath": "data/x", "json": [{"subPath": "/a", "operator": "remove"}]},
            ),
            f"{OVERRIDERS}.fieldOverrider[0].fieldPath",
            'JSON pointer must be empty or start with a "/"',
            id="field-path",
        ),
        pytest.param(
            changed(
                (*OVERRIDER_PATH, "fieldOverrider", 0),
                {"fieldPath": "/data/x", "json": [{"subPath": "a", "operator": "remove"}]},
            ),
            f"{OVERRIDERS}.fieldOverrider[0].json[0].subPath",
            'JSON pointer must be empty or start with a "/"',
            id="field-sub-path",
        ),
        pytest.param(
            changed(
                (*OVERRIDER_PATH, "fieldOverrider", 0),
                {"fieldPath": "/data/x", "yaml": [{"subPath": "/a", "operator": "add"}]},
            ),
            f"{OVERRIDERS}.fieldOverrider[0].yaml[0].value",
            "value is required for add or replace operation",
            id="field-add-needs-value",
        ),
        pytest.param(
            changed(
                (*OVERRIDER_PATH, "fieldOverrider", 0),
                {
                    "fieldPath": "/data/x",
                    "json": [{"subPath": "/a", "operator": "remove", "value": 1}],
                },
            ),
            f"{OVERRIDERS}.fieldOverrider[0].json[0].value",
            "value is not allowed for remove operation",
            id="field-remove-takes-no-value",
        ),
        pytest.param(
            changed(
                ("spec", "overrideRules", 0, "targetCluster"),
                {
                    "fieldSelector": {
                        "matchExpressions": [{"key": "name", "operator": "In", "values": ["x"]}]
                    }
                },
            ),
            f"{RULE}.targetCluster.fieldSelector",
            'unsupported key "name", must be provider, region, or zone',
            id="field-selector-key",
        ),
        pytest.param(
            changed(
                ("spec", "overrideRules", 0, "targetCluster"),
                {"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "Exists"}]}},
            ),
            f"{RULE}.targetCluster.fieldSelector",
            'unsupported operator "Exists", must be In or NotIn',
            id="field-selector-operator",
        ),
        pytest.param(
            changed(("spec", "resourceSelectors", 0, "namespace"), "other"),
            "spec.resourceSelectors[0].namespace",
            "namespace of resource selector must be the same as the namespace of the policy",
            id="selector-in-another-namespace",
        ),
        pytest.param(
            changed(("spec", "targetCluster"), {"clusterNames": ["a"]}),
            "spec.targetCluster",
            "overrideRules and targetCluster can't co-exist",
            id="rules-and-target-cluster",
        ),
        pytest.param(
            changed(("spec", "overriders"), {"fieldOverrider": [{"fieldPath": "/x", "json": []}]}),
            "spec.overriders",
            "overrideRules and overriders can't co-exist",
            id="rules-and-overriders",
        ),
        pytest.param(
            changed(("spec", "overrideRules", 0), {"targetCluster": {}}),
            f"{RULE}.overriders",
            "Required value",
            id="rule-needs-overriders",
        ),
        pytest.param(
            changed(("kind",), "PropagationPolicy"),
            "kind",
            "Unsupported value: policy.karmada.io/v1alpha1/PropagationPolicy",
            id="not-an-override-policy",
        ),
    ],
)
def test_invalid_policies(document: dict[str, Any], path: str, message: str) -> None:
    errors = validate_override_policy(document)
    assert any(error.path == path and message in error.message for error in errors), errors
    with pytest.raises(PolicyValidationError) as caught:
        parse_override_policy(document)
    assert caught.value.errors == errors


def test_empty_rules_with_target_cluster_still_conflict() -> None:
    document = changed(("spec", "overrideRules"), [])
    document["spec"]["targetCluster"] = {"clusterNames": ["a"]}
    assert FieldError("spec.targetCluster", "overrideRules and targetCluster can't co-exist") in (
        validate_override_policy(document)
    )


def test_deprecated_form_is_valid_and_checked_like_a_rule() -> None:
    document: dict[str, Any] = {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "ClusterOverridePolicy",
        "metadata": {"name": "legacy"},
        "spec": {
            "targetCluster": {"clusterNames": ["a"]},
            "overriders": {"plaintext": [{"path": "/spec/x", "operator": "remove"}]},
        },
    }
    assert validate_override_policy(document) == []
    assert isinstance(parse_override_policy(document), ClusterOverridePolicy)
    document["spec"]["overriders"]["plaintext"][0]["path"] = "spec/x"
    assert validate_override_policy(document) == [
        FieldError("spec.overriders.plaintext[0].path", 'must be a JSON pointer starting with "/"')
    ]


def test_cluster_policies_may_select_any_namespace() -> None:
    document = changed(("kind",), "ClusterOverridePolicy")
    document["spec"]["resourceSelectors"][0]["namespace"] = "anywhere"
    assert validate_override_policy(document) == []


def test_empty_selectors_and_rules_are_allowed() -> None:
    document = {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "OverridePolicy",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {},
    }
    assert validate_override_policy(document) == []
    policy = parse_override_policy(document)
    assert isinstance(policy, OverridePolicy)
    assert [rule.target_cluster for rule in policy.spec.effective_rules()] == [None]


KURATOR: dict[str, Any] = {
    "apiVersion": "policy.kurator.dev/v1alpha1",
    "kind": "OverridePolicy",
    "metadata": {"name": "k", "namespace": "default"},
    "spec": {
        "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
        "overrideRules": [
            {
                "targetClusters": {"clusterNames": ["cluster-dr"]},
                "overrides": [{"path": "/spec/replicas", "value": 1}],
            }
        ],
    },
}


def test_kurator_policy_converts_to_karmada() -> None:
    policy = parse_override_policy(KURATOR)
    assert isinstance(policy, KuratorOverridePolicy)
    converted = policy.to_karmada()
    assert converted.api_version == "policy.karmada.io/v1alpha1"
    assert (converted.metadata.name, converted.metadata.namespace) == ("k", "default")
    rule = converted.spec.override_rules[0]
    assert rule.target_cluster is not None and rule.target_cluster.cluster_names == ["cluster-dr"]
    assert [p.model_dump() for p in rule.overriders.plaintext] == [
        {"path": "/spec/replicas", "operator": "replace", "value": 1}
    ]
    assert validate_override_policy(converted.to_dict()) == []


@pytest.mark.parametrize(
    ("override", "path", "message"),
    [
        (
            {"path": "spec/replicas", "value": 1},
            "spec.overrideRules[0].overrides[0].path",
            "JSON pointer",
        ),
        (
            {"path": "/spec/replicas", "value": 1, "op": "set"},
            "spec.overrideRules[0].overrides[0].op",
            "Unsupported value",
        ),
        ({"value": 1}, "spec.overrideRules[0].overrides[0].path", "Required value"),
    ],
)
def test_invalid_kurator_overrides(override: dict[str, Any], path: str, message: str) -> None:
    document = copy.deepcopy(KURATOR)
    document["spec"]["overrideRules"][0]["overrides"] = [override]
    errors = validate_override_policy(document)
    assert any(error.path == path and message in error.message for error in errors), errors
