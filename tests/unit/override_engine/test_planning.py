"""A cached render is reused exactly while nothing it read has changed."""

import copy

import pytest

from services.override_engine.planning import (
    DEPENDENCY_TYPES,
    fingerprint,
    parse_policy,
    render_fingerprint,
)
from shared.api.binding import ResourceBindingSpec
from shared.api.overrides import KuratorOverridePolicy, OverridePolicy

SPEC = ResourceBindingSpec.model_validate(
    {
        "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "clusters": [{"name": "east", "replicas": 2}, {"name": "west", "replicas": 1}],
    }
)
TEMPLATE = {
    "metadata": {"name": "web", "uid": "u1", "generation": 3, "labels": {"app": "web"}},
    "spec": {"replicas": 3},
    "status": {"replicas": 3},
}
CLUSTER = {"metadata": {"name": "east", "labels": {"region": "east"}}, "spec": {}, "status": {}}
DEPENDENCY = {"metadata": {"name": "cfg", "resourceVersion": "7"}}


def printed(**changes: object) -> bytes:
    parts: dict = {
        "template": TEMPLATE,
        "spec": SPEC,
        "cluster": CLUSTER,
        "dependencies": [DEPENDENCY],
        "policy_epoch": 1,
    }
    parts.update(changes)
    return render_fingerprint(**parts)


def changed(obj: dict, path: tuple[str, ...], value: object) -> dict:
    result = copy.deepcopy(obj)
    target = result
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return result


def test_what_renders_do_not_read_leaves_the_fingerprint_alone() -> None:
    assert printed() == printed()
    assert printed(template=changed(TEMPLATE, ("status", "replicas"), 9)) == printed()
    assert printed(cluster=changed(CLUSTER, ("status",), {"ready": True})) == printed()


@pytest.mark.parametrize(
    "changes",
    [
        {"template": changed(TEMPLATE, ("metadata", "generation"), 4)},
        {"template": changed(TEMPLATE, ("metadata", "labels"), {"app": "other"})},
        {"template": changed(TEMPLATE, ("metadata", "uid"), "u2")},
        {"cluster": changed(CLUSTER, ("metadata", "labels"), {"region": "west"})},
        {"cluster": changed(CLUSTER, ("spec",), {"taints": []})},
        {"cluster": changed(CLUSTER, ("metadata", "name"), "west")},  # other replicas
        {"dependencies": [changed(DEPENDENCY, ("metadata", "resourceVersion"), "8")]},
        {"dependencies": []},
        {"policy_epoch": 2},
        {"spec": SPEC.model_copy(update={"conflict_resolution": "Overwrite"})},
    ],
)
def test_what_renders_read_changes_the_fingerprint(changes: dict) -> None:
    assert printed(**changes) != printed()


def test_fingerprints_ignore_key_order() -> None:
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})


def test_the_four_policy_collections_parse() -> None:
    body = {
        "kind": "OverridePolicy",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"overrideRules": [{"overriders": {"labelsOverrider": []}}]},
    }
    karmada = parse_policy(dict(body, apiVersion="policy.karmada.io/v1alpha1"))
    assert isinstance(karmada, OverridePolicy)
    for api_version in ("policy.kurator.dev/v1alpha1", "apps.kurator.dev/v1alpha1"):
        assert isinstance(parse_policy(dict(body, apiVersion=api_version)), KuratorOverridePolicy)


def test_dependencies_are_the_four_core_kinds() -> None:
    assert {kind: rt.plural for kind, rt in DEPENDENCY_TYPES.items()} == {
        "ConfigMap": "configmaps",
        "Secret": "secrets",
        "ServiceAccount": "serviceaccounts",
        "PersistentVolumeClaim": "persistentvolumeclaims",
    }
