"""Server-side apply ownership: field sets, conflicts, force, removal of dropped fields."""

import pytest

from shared.kubeapi.managedfields import (
    ApplyConflictError,
    WriteContext,
    apply,
    field_paths,
    from_fields_v1,
    record_update,
    to_fields_v1,
)
from shared.kubeapi.patching import builtin_strategy

STRATEGY = builtin_strategy("Deployment")


def context(manager: str) -> WriteContext:
    return WriteContext(
        manager=manager, api_version="apps/v1", time="2025-01-01T00:00:00Z", strategy=STRATEGY
    )


def config(replicas: int, *, image: str = "nginx", labels: dict | None = None) -> dict:
    metadata: dict = {"name": "web"}
    if labels:
        metadata["labels"] = labels
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "web", "image": image}]}},
        },
    }


def test_fields_v1_round_trip_with_keyed_items() -> None:
    paths = field_paths(config(1)["spec"] and {"spec": config(1)["spec"]}, strategy=STRATEGY)
    fields = to_fields_v1(paths)
    container = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}']
    assert container == {".": {}, "f:image": {}, "f:name": {}}
    assert from_fields_v1(fields) == paths


def test_apply_creates_and_records_ownership() -> None:
    obj = apply(None, config(1), context=context("a"), force=False)
    assert obj["spec"]["replicas"] == 1
    [entry] = obj["metadata"]["managedFields"]
    assert entry["manager"] == "a" and entry["operation"] == "Apply"
    assert "f:replicas" in entry["fieldsV1"]["f:spec"]


def test_conflict_then_force_moves_ownership() -> None:
    live = apply(None, config(1), context=context("a"), force=False)
    with pytest.raises(ApplyConflictError) as conflict:
        apply(live, config(2), context=context("b"), force=False)
    assert conflict.value.conflicts[0].manager == "a"
    assert conflict.value.conflicts[0].field == ".spec.replicas"
    assert 'conflict with "a" using apps/v1: .spec.replicas' in conflict.value.message()
    forced = apply(live, config(2), context=context("b"), force=True)
    owners = {e["manager"]: e["fieldsV1"] for e in forced["metadata"]["managedFields"]}
    assert "f:replicas" in owners["b"]["f:spec"] and "f:replicas" not in owners["a"]["f:spec"]


def test_same_value_is_shared_not_a_conflict() -> None:
    live = apply(None, config(1), context=context("a"), force=False)
    shared = apply(live, config(1), context=context("b"), force=False)
    assert len(shared["metadata"]["managedFields"]) == 2


def test_dropped_fields_are_removed_unless_someone_else_owns_them() -> None:
    live = apply(None, config(1, labels={"x": "1", "y": "2"}), context=context("a"), force=False)
    live = apply(live, config(1, labels={"y": "2"}), context=context("b"), force=False)
    after = apply(live, config(1), context=context("a"), force=False)
    assert after["metadata"]["labels"] == {"y": "2"}


def test_update_takes_ownership_of_changed_fields() -> None:
    live = apply(None, config(1), context=context("a"), force=False)
    new = {**live, "spec": {**live["spec"], "replicas": 3}}
    record_update(live, new, context=context("kubectl-scale"))
    owners = {e["manager"]: e for e in new["metadata"]["managedFields"]}
    assert owners["kubectl-scale"]["operation"] == "Update"
    assert "f:replicas" not in owners["a"]["fieldsV1"]["f:spec"]
    with pytest.raises(ApplyConflictError):
        apply(new, config(1), context=context("a"), force=False)
