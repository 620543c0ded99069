"""plaintext overriders: RFC 6902 add/remove/replace with Karmada's json-patch behaviour
(evanphx/json-patch v5: missing paths fail, negative indices count from the end)."""

import copy
from typing import Any

import pytest

from shared.api.overrides import Overriders, PlaintextOverrider
from shared.overriding.rendering import OverrideError, apply_overriders, apply_patches

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default", "annotations": {"a": "1"}},
    "spec": {
        "replicas": 3,
        "template": {
            "spec": {
                "containers": [
                    {"name": "app", "image": "app:1"},
                    {"name": "sidecar", "image": "proxy:1"},
                ]
            }
        },
    },
}


def plaintext(operator: str, path: str, value: Any = None) -> PlaintextOverrider:
    return PlaintextOverrider(path=path, operator=operator, value=value)  # type: ignore[arg-type]


def render(*entries: PlaintextOverrider) -> dict[str, Any]:
    return apply_overriders(DEPLOYMENT, Overriders(plaintext=list(entries)))


CONTAINERS = "/spec/template/spec/containers"


@pytest.mark.parametrize(
    ("entry", "pointer", "expected"),
    [
        pytest.param(
            plaintext("replace", "/spec/replicas", 1), ("spec", "replicas"), 1, id="replace"
        ),
        pytest.param(
            plaintext("add", "/spec/replicas", 5),
            ("spec", "replicas"),
            5,
            id="add-overwrites-member",
        ),
        pytest.param(
            plaintext("add", "/spec/paused", True), ("spec", "paused"), True, id="add-new-member"
        ),
        pytest.param(
            plaintext("add", "/metadata/annotations/foo", "bar"),
            ("metadata", "annotations"),
            {"a": "1", "foo": "bar"},
            id="add-into-map",
        ),
        pytest.param(
            plaintext("add", "/metadata/annotations", {"foo": "bar"}),
            ("metadata", "annotations"),
            {"foo": "bar"},
            id="add-replaces-whole-map",
        ),
        pytest.param(
            plaintext("remove", "/metadata/annotations/a"),
            ("metadata", "annotations"),
            {},
            id="remove-key",
        ),
        pytest.param(
            plaintext("add", "/metadata/labels~1x", "y"),
            ("metadata", "labels/x"),
            "y",
            id="escaped-slash-in-key",
        ),
        pytest.param(
            plaintext("add", f"{CONTAINERS}/0", {"name": "first", "image": "first:1"}),
            ("spec", "template", "spec", "containers", 0, "name"),
            "first",
            id="add-inserts-into-list",
        ),
        pytest.param(
            plaintext("add", f"{CONTAINERS}/-", {"name": "last", "image": "last:1"}),
            ("spec", "template", "spec", "containers", 2, "name"),
            "last",
            id="add-appends-with-dash",
        ),
        pytest.param(
            plaintext("replace", f"{CONTAINERS}/-1/image", "proxy:2"),
            ("spec", "template", "spec", "containers", 1, "image"),
            "proxy:2",
            id="negative-index-counts-from-the-end",
        ),
        pytest.param(
            plaintext("add", f"{CONTAINERS}/-1", {"name": "mid", "image": "mid:1"}),
            ("spec", "template", "spec", "containers", 2, "name"),
            "mid",
            id="negative-add-index-counts-from-the-new-end",
        ),
        pytest.param(
            plaintext("remove", f"{CONTAINERS}/-2"),
            ("spec", "template", "spec", "containers", 0, "name"),
            "sidecar",
            id="negative-remove",
        ),
        pytest.param(
            plaintext("add", "/spec/strategy", {"type": "Recreate"}),
            ("spec", "strategy", "type"),
            "Recreate",
            id="add-object-value",
        ),
        pytest.param(
            plaintext("add", "/spec/minReadySeconds"),
            ("spec", "minReadySeconds"),
            None,
            id="add-without-value-writes-null",
        ),
    ],
)
def test_plaintext_operations(
    entry: PlaintextOverrider, pointer: tuple[str | int, ...], expected: Any
) -> None:
    current: Any = render(entry)
    for step in pointer:
        current = current[step]
    assert current == expected


def test_entries_apply_in_declared_order() -> None:
    rendered = render(
        plaintext("add", "/metadata/annotations/step", "1"),
        plaintext("replace", "/metadata/annotations/step", "2"),
        plaintext("remove", "/metadata/annotations/a"),
    )
    assert rendered["metadata"]["annotations"] == {"step": "2"}


def test_template_and_policy_values_are_never_shared() -> None:
    before = copy.deepcopy(DEPLOYMENT)
    entry = plaintext("add", "/spec/strategy", {"type": "Recreate"})
    first = render(entry)
    first["spec"]["strategy"]["type"] = "RollingUpdate"
    assert render(entry)["spec"]["strategy"] == {"type": "Recreate"}
    assert entry.value == {"type": "Recreate"}
    assert before == DEPLOYMENT


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        pytest.param(
            plaintext("replace", "/spec/paused", True),
            "replace operation does not apply",
            id="replace-missing-member",
        ),
        pytest.param(
            plaintext("remove", "/metadata/labels"),
            "remove operation does not apply",
            id="remove-missing",
        ),
        pytest.param(
            plaintext("add", "/spec/selector/matchLabels/app", "x"),
            "add operation does not apply",
            id="add-under-missing-parent",
        ),
        pytest.param(
            plaintext("add", f"{CONTAINERS}/5", {"name": "x"}),
            "add operation does not apply",
            id="add-past-the-end",
        ),
        pytest.param(
            plaintext("replace", f"{CONTAINERS}/-3/image", "x:1"),
            "replace operation does not apply",
            id="negative-index-out-of-range",
        ),
        pytest.param(
            plaintext("replace", f"{CONTAINERS}/first/image", "x:1"),
            "replace operation does not apply",
            id="non-numeric-index",
        ),
        pytest.param(
            plaintext("add", "/spec/replicas/x", 1),
            "add operation does not apply",
            id="add-under-a-scalar",
        ),
        pytest.param(
            plaintext("replace", "spec/replicas", 1),
            "replace operation does not apply",
            id="path-without-leading-slash",
        ),
        pytest.param(
            plaintext("add", "", 7),
            "the result is not a JSON object",
            id="root-replaced-by-a-scalar",
        ),
    ],
)
def test_plaintext_errors_name_overrider_and_path(entry: PlaintextOverrider, reason: str) -> None:
    with pytest.raises(OverrideError, match=reason) as caught:
        render(plaintext("add", "/metadata/annotations/ok", "1"), entry)
    assert caught.value.overrider == "plaintext[1]"
    assert caught.value.path == entry.path


def test_replace_of_the_root_needs_an_object() -> None:
    with pytest.raises(OverrideError, match="replace operation value must be object or array"):
        apply_patches({"a": 1}, [{"op": "replace", "path": "", "value": 3}])
    assert apply_patches({"a": 1}, [{"op": "replace", "path": "", "value": {"b": 2}}]) == {"b": 2}


def test_the_error_message_does_not_dump_the_document() -> None:
    with pytest.raises(OverrideError) as caught:
        render(plaintext("add", "/spec/selector/matchLabels/app", "x"))
    assert "containers" not in str(caught.value)
    assert "/spec/selector/matchLabels/app" in str(caught.value)
