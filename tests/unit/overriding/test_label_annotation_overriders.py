"""labelsOverrider / annotationsOverrider, ported from Karmada's
pkg/util/overridemanager/labelannotationoverrider_test.go."""

from typing import Any

import pytest

from shared.api.overrides import LabelAnnotationOverrider, Overriders
from shared.overriding.rendering import apply_overriders, build_label_annotation_patches


def deployment(
    *, labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "test", "namespace": "default"}
    if labels is not None:
        metadata["labels"] = labels
    if annotations is not None:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": 1,
            "template": {
                "metadata": {"labels": {"app": "test"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


def change(operator: str, **value: str) -> LabelAnnotationOverrider:
    return LabelAnnotationOverrider.model_validate({"operator": operator, "value": value})


FOO_BAR = {"foo": "foo", "bar": "bar"}
COMPOSED = "testannotation/projectId"

CASES = [
    pytest.param(None, change("add", test2="test2"), {"test2": "test2"}, id="add-creates-the-map"),
    pytest.param(
        FOO_BAR,
        change("replace", foo="exist", **{"non-exist": "non-exist"}),
        {"foo": "exist", "bar": "bar"},
        id="replace-only-existing-keys",
    ),
    pytest.param(
        FOO_BAR, change("add", test="test"), {"test": "test", **FOO_BAR}, id="add-a-new-key"
    ),
    pytest.param(
        FOO_BAR, change("add", foo="changed"), {"foo": "changed", "bar": "bar"}, id="add-overwrites"
    ),
    pytest.param(
        FOO_BAR,
        change("remove", foo="foo", **{"non-exist": "non-exist"}),
        {"bar": "bar"},
        id="remove-only-existing-keys",
    ),
    pytest.param(FOO_BAR, change("remove"), FOO_BAR, id="remove-nothing"),
    pytest.param(FOO_BAR, change("replace", test="test"), FOO_BAR, id="replace-missing-is-no-op"),
    pytest.param(FOO_BAR, change("remove", test="test"), FOO_BAR, id="remove-missing-is-no-op"),
    pytest.param(
        FOO_BAR,
        change("remove", foo="any value"),
        {"bar": "bar"},
        id="remove-ignores-the-value",
    ),
    pytest.param(None, change("remove", foo="foo"), None, id="remove-on-absent-map"),
    pytest.param(None, change("replace", foo="foo"), None, id="replace-on-absent-map"),
    pytest.param(None, change("add"), None, id="add-nothing-leaves-no-map"),
    pytest.param(
        FOO_BAR,
        change("add", **{COMPOSED: "c-m-lfx9lk92:p-v86cf"}),
        {**FOO_BAR, COMPOSED: "c-m-lfx9lk92:p-v86cf"},
        id="add-key-with-slash",
    ),
    pytest.param(
        {COMPOSED: "c-m-lfx9lk92:p-v86cf", "foo": "foo"},
        change("remove", **{COMPOSED: "c-m-lfx9lk92:p-v86cf"}),
        {"foo": "foo"},
        id="remove-key-with-slash",
    ),
    pytest.param(
        {"app.kubernetes.io/name": "old"},
        change("replace", **{"app.kubernetes.io/name": "new"}),
        {"app.kubernetes.io/name": "new"},
        id="replace-key-with-slash",
    ),
]


@pytest.mark.parametrize(("existing", "overrider", "expected"), CASES)
def test_labels_overrider(
    existing: dict[str, str] | None,
    overrider: LabelAnnotationOverrider,
    expected: dict[str, str] | None,
) -> None:
    rendered = apply_overriders(
        deployment(labels=existing), Overriders(labels_overrider=[overrider])
    )
    assert rendered["metadata"].get("labels") == expected
    assert rendered["spec"]["template"]["metadata"]["labels"] == {"app": "test"}


@pytest.mark.parametrize(("existing", "overrider", "expected"), CASES)
def test_annotations_overrider(
    existing: dict[str, str] | None,
    overrider: LabelAnnotationOverrider,
    expected: dict[str, str] | None,
) -> None:
    rendered = apply_overriders(
        deployment(annotations=existing), Overriders(annotations_overrider=[overrider])
    )
    assert rendered["metadata"].get("annotations") == expected


def test_slash_in_keys_is_escaped_in_patches() -> None:
    patches = build_label_annotation_patches(
        target="labels",
        manifest=deployment(labels={"a/b": "1"}),
        overrider=change("replace", **{"a/b": "2"}),
    )
    assert patches == [{"op": "replace", "path": "/metadata/labels/a~1b", "value": "2"}]


def test_add_without_metadata_creates_it() -> None:
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "data": {}}
    rendered = apply_overriders(manifest, Overriders(labels_overrider=[change("add", env="dr")]))
    assert rendered["metadata"] == {"labels": {"env": "dr"}}


def test_add_over_a_null_map_replaces_it() -> None:
    manifest = deployment()
    manifest["metadata"]["labels"] = None
    rendered = apply_overriders(manifest, Overriders(labels_overrider=[change("add", env="dr")]))
    assert rendered["metadata"]["labels"] == {"env": "dr"}


def test_entries_apply_in_order() -> None:
    rendered = apply_overriders(
        deployment(labels={"tier": "web"}),
        Overriders(
            labels_overrider=[
                change("add", env="staging"),
                change("replace", env="prod"),
                change("remove", tier=""),
            ]
        ),
    )
    assert rendered["metadata"]["labels"] == {"env": "prod"}
