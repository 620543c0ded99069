"""Patch semantics as tables: merge patch (RFC 7386), JSON patch and strategic merge."""

from typing import Any

import pytest

from shared.kubeapi.patching import (
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
    builtin_strategy,
    schema_strategy,
)

POD_SPEC = {
    "containers": [
        {
            "name": "web",
            "image": "nginx:1",
            "env": [{"name": "A", "value": "1"}],
            "ports": [{"containerPort": 80}],
        },
        {"name": "side", "image": "busybox"},
    ],
    "tolerations": [{"key": "a", "operator": "Exists"}],
}


@pytest.mark.parametrize(
    ("original", "patch", "expected"),
    [
        ({"a": 1, "b": {"c": 2}}, {"b": {"d": 3}}, {"a": 1, "b": {"c": 2, "d": 3}}),
        ({"a": 1, "b": 2}, {"a": None}, {"b": 2}),
        ({"l": [1, 2]}, {"l": [3]}, {"l": [3]}),
        ({"a": {"b": 1}}, {"a": "x"}, {"a": "x"}),
        ({}, {"a": {"b": None}}, {"a": {}}),
    ],
)
def test_merge_patch(original: dict, patch: dict, expected: dict) -> None:
    assert apply_merge_patch(original, patch) == expected


def test_json_patch_ops_and_failures() -> None:
    obj = {"metadata": {"labels": {"a": "1"}}, "spec": {"replicas": 1}}
    patched = apply_json_patch(
        obj,
        [
            {"op": "add", "path": "/metadata/labels/b", "value": "2"},
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "test", "path": "/spec/replicas", "value": 3},
        ],
    )
    assert (
        patched["metadata"]["labels"] == {"a": "1", "b": "2"} and patched["spec"]["replicas"] == 3
    )
    with pytest.raises(PatchError) as failed:
        apply_json_patch(obj, [{"op": "test", "path": "/spec/replicas", "value": 9}])
    assert failed.value.code == 422
    with pytest.raises(PatchError) as malformed:
        apply_json_patch(obj, {"op": "add"})
    assert malformed.value.code == 400


def smp(patch: dict[str, Any], original: dict[str, Any] | None = None, kind: str = "Pod") -> dict:
    return apply_strategic_merge_patch(
        {"spec": original if original is not None else POD_SPEC},
        {"spec": patch},
        strategy=builtin_strategy(kind),
    )["spec"]


def test_containers_merge_by_name_and_env_by_name() -> None:
    out = smp(
        {"containers": [{"name": "web", "image": "nginx:2", "env": [{"name": "B", "value": "2"}]}]}
    )
    web = out["containers"][0]
    assert [c["name"] for c in out["containers"]] == ["web", "side"]
    assert web["image"] == "nginx:2" and [e["name"] for e in web["env"]] == ["A", "B"]


def test_ports_merge_by_container_port() -> None:
    out = smp(
        {
            "containers": [
                {
                    "name": "web",
                    "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443}],
                }
            ]
        }
    )
    assert out["containers"][0]["ports"] == [
        {"containerPort": 80, "name": "http"},
        {"containerPort": 443},
    ]


def test_tolerations_are_replaced_whole() -> None:
    out = smp({"tolerations": [{"key": "b", "operator": "Exists"}]})
    assert out["tolerations"] == [{"key": "b", "operator": "Exists"}]


def test_delete_and_replace_directives() -> None:
    out = smp({"containers": [{"name": "side", "$patch": "delete"}]})
    assert [c["name"] for c in out["containers"]] == ["web"]
    out = smp({"containers": [{"name": "only", "image": "x"}, {"$patch": "replace"}]})
    assert out["containers"] == [{"name": "only", "image": "x"}]
    out = smp({"$patch": "replace", "containers": [{"name": "z", "image": "z"}]})
    assert out == {"containers": [{"name": "z", "image": "z"}]}


def test_set_element_order_and_primitive_deletes() -> None:
    out = smp(
        {
            "$setElementOrder/containers": [{"name": "side"}, {"name": "web"}],
            "containers": [{"name": "web", "image": "n:3"}],
        }
    )
    assert [c["name"] for c in out["containers"]] == ["side", "web"]
    merged = apply_strategic_merge_patch(
        {"metadata": {"finalizers": ["a", "b"]}},
        {"metadata": {"finalizers": ["c"], "$deleteFromPrimitiveList/finalizers": ["a"]}},
        strategy=builtin_strategy("ConfigMap"),
    )
    assert merged["metadata"]["finalizers"] == ["b", "c"]


def test_service_ports_merge_by_port() -> None:
    out = smp(
        {"ports": [{"port": 80, "targetPort": 8080}]},
        {"ports": [{"port": 80, "protocol": "TCP"}, {"port": 81}]},
        "Service",
    )
    assert out["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 8080}, {"port": 81}]


def test_missing_merge_key_is_rejected() -> None:
    with pytest.raises(PatchError):
        smp({"containers": [{"image": "no-name"}]})


def test_crd_schema_list_types() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "items": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["id"],
                    },
                    "tags": {"type": "array", "x-kubernetes-list-type": "set"},
                    "args": {"type": "array"},
                },
            }
        },
    }
    lookup = schema_strategy(schema)
    assert lookup(("spec", "items")) is not None and lookup(("spec", "items")).keys == ("id",)  # type: ignore[union-attr]
    assert lookup(("spec", "tags")).is_set  # type: ignore[union-attr]
    assert lookup(("spec", "args")) is None
