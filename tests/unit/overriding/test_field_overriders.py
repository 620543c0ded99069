"""fieldOverrider: patch JSON or YAML held in a string field, ported from Karmada's
overridemanager_test.go (ApplyFieldOverriderPolicies_YAML / ApplyJSONOverridePolicies_JSON)."""

from typing import Any

import pytest

from shared.api.overrides import FieldOverrider, Overriders
from shared.overriding.rendering import OverrideError, apply_overriders


def config_map(**data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "test1", "namespace": "default"},
        "data": data,
    }


def field(path: str, form: str, *operations: dict[str, Any]) -> FieldOverrider:
    return FieldOverrider.model_validate({"fieldPath": path, form: list(operations)})


def op(operator: str, sub_path: str, value: Any = None) -> dict[str, Any]:
    return {"subPath": sub_path, "operator": operator} | (
        {"value": value} if value is not None else {}
    )


def render(manifest: dict[str, Any], *fields: FieldOverrider) -> dict[str, Any]:
    return apply_overriders(manifest, Overriders(field_overrider=list(fields)))


def test_yaml_replace_from_karmada() -> None:
    manifest = config_map(**{"test.yaml": "\nkey: \n  key1: value\n"})
    rendered = render(
        manifest, field("/data/test.yaml", "yaml", op("replace", "/key/key1", "updated_value"))
    )
    assert rendered["data"] == {"test.yaml": "key:\n  key1: updated_value\n"}


def test_json_replace_from_karmada() -> None:
    manifest = config_map(**{"test.json": '{"key":{"key1":"value"}}'})
    rendered = render(
        manifest, field("/data/test.json", "json", op("replace", "/key/key1", "updated_value"))
    )
    assert rendered["data"] == {"test.json": '{"key":{"key1":"updated_value"}}'}


@pytest.mark.parametrize(
    ("document", "operations", "expected"),
    [
        pytest.param(
            '{"b": 1, "a": {"x": [1, 2]}}',
            [op("add", "/a/x/-", 3), op("add", "/c", "new")],
            '{"b":1,"a":{"x":[1,2,3]},"c":"new"}',
            id="keeps-key-order-and-appends",
        ),
        pytest.param(
            '{"keep": true, "drop": null}',
            [op("remove", "/drop")],
            '{"keep":true}',
            id="remove",
        ),
        pytest.param(
            '{"html": "a"}',
            [op("replace", "/html", "<b>&</b>")],
            '{"html":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e"}',
            id="escapes-like-go",
        ),
        pytest.param(
            '{"name": "a"}',
            [op("replace", "/name", "δ")],
            '{"name":"δ"}',
            id="utf8-stays-utf8",
        ),
        pytest.param(
            '{"a": 1}',
            [op("replace", "", {"whole": "new"})],
            '{"whole":"new"}',
            id="empty-subpath-is-the-document",
        ),
    ],
)
def test_json_documents(document: str, operations: list[dict[str, Any]], expected: str) -> None:
    rendered = render(config_map(doc=document), field("/data/doc", "json", *operations))
    assert rendered["data"]["doc"] == expected


@pytest.mark.parametrize(
    ("document", "operations", "expected"),
    [
        pytest.param(
            "zeta: 1\nalpha:\n  list:\n  - a\n",
            [op("add", "/alpha/list/-", "b")],
            "alpha:\n  list:\n  - a\n  - b\nzeta: 1\n",
            id="keys-sorted-like-sigs-yaml",
        ),
        pytest.param(
            "created: 2024-01-02T03:04:05Z\n",
            [op("add", "/by", "ci")],
            "by: ci\ncreated: '2024-01-02T03:04:05Z'\n",
            id="timestamps-stay-strings",
        ),
        pytest.param(
            "2: two\ntrue: yes\n",
            [op("remove", "/2")],
            "'true': true\n",
            id="non-string-keys-become-json-keys",
        ),
    ],
)
def test_yaml_documents(document: str, operations: list[dict[str, Any]], expected: str) -> None:
    rendered = render(config_map(doc=document), field("/data/doc", "yaml", *operations))
    assert rendered["data"]["doc"] == expected


def test_yaml_wins_when_both_forms_are_given() -> None:
    overrider = FieldOverrider.model_validate(
        {
            "fieldPath": "/data/doc",
            "yaml": [op("replace", "/a", 2)],
            "json": [op("replace", "/a", 3)],
        }
    )
    assert render(config_map(doc="a: 1\n"), overrider)["data"]["doc"] == "a: 2\n"


def test_neither_form_writes_an_empty_string_as_karmada_does() -> None:
    overrider = FieldOverrider.model_validate({"fieldPath": "/data/doc"})
    assert render(config_map(doc="a: 1\n"), overrider)["data"]["doc"] == ""


def test_escaped_field_path() -> None:
    manifest = config_map()
    manifest["data"] = {"conf/app.json": '{"a":1}'}
    rendered = render(manifest, field("/data/conf~1app.json", "json", op("replace", "/a", 2)))
    assert rendered["data"]["conf/app.json"] == '{"a":2}'


@pytest.mark.parametrize(
    ("manifest", "overrider", "reason"),
    [
        pytest.param(
            config_map(doc="a: 1\n"),
            field("/data/missing", "yaml", op("replace", "/a", 2)),
            "Get value by overrider's path err",
            id="missing-field",
        ),
        pytest.param(
            config_map(doc="a: 1\n"),
            field("/data", "yaml", op("replace", "/a", 2)),
            "is not string",
            id="field-not-a-string",
        ),
        pytest.param(
            config_map(doc="{not json"),
            field("/data/doc", "json", op("replace", "/a", 2)),
            "invalid JSON",
            id="invalid-json",
        ),
        pytest.param(
            config_map(doc="a: [1\n"),
            field("/data/doc", "yaml", op("replace", "/a", 2)),
            "invalid YAML",
            id="invalid-yaml",
        ),
        pytest.param(
            config_map(doc='{"a": 1}'),
            field("/data/doc", "json", op("replace", "/b", 2)),
            "replace operation does not apply",
            id="sub-path-missing",
        ),
    ],
)
def test_field_overrider_errors(
    manifest: dict[str, Any], overrider: FieldOverrider, reason: str
) -> None:
    with pytest.raises(OverrideError, match=reason) as caught:
        render(manifest, overrider)
    assert caught.value.overrider == "fieldOverrider[0]"
    assert caught.value.path.startswith(overrider.field_path)


BILLION_LAUGHS = "\n".join(
    ["a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']"]
    + [
        f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]"
        for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    + ["key: {key1: value}"]
)


def test_yaml_in_a_field_with_excessive_aliasing_is_refused_quickly() -> None:
    """A member manifest's YAML text comes from users: its aliases are bounded like the
    API's bodies (before, this expanded 9^9 nodes and hung the override-engine)."""
    manifest = config_map(**{"test.yaml": BILLION_LAUGHS})
    with pytest.raises(OverrideError, match="excessive aliasing"):
        render(manifest, field("/data/test.yaml", "yaml", op("replace", "/key/key1", "x")))
