"""Karmada's record of what was applied: the applied-(cluster-)overrides annotations, one
item per rule with its overriders as Go prints Karmada's struct."""

from collections.abc import Sequence
from typing import Any

from shared.api.overrides import FieldPatchOperation, Overriders
from shared.overriding.gojson import go_json, sorted_json
from shared.overriding.ordering import MatchedRule

APPLIED_OVERRIDES_ANNOTATION = "policy.karmada.io/applied-overrides"
APPLIED_CLUSTER_OVERRIDES_ANNOTATION = "policy.karmada.io/applied-cluster-overrides"


def _patch_operation_wire(operation: FieldPatchOperation) -> dict[str, Any]:
    return {
        "subPath": operation.sub_path,
        "operator": operation.operator,
        "value": sorted_json(operation.value),
    }


def overriders_wire(overriders: Overriders) -> dict[str, Any]:
    """Overriders as Go's encoding/json prints Karmada's struct: declared field order,
    empty lists omitted, free-form values with sorted keys."""
    wire: dict[str, Any] = {}
    if overriders.plaintext:
        wire["plaintext"] = [
            {"path": p.path, "operator": p.operator, "value": sorted_json(p.value)}
            for p in overriders.plaintext
        ]
    if overriders.image_overrider:
        images: list[dict[str, Any]] = []
        for image in overriders.image_overrider:
            item: dict[str, Any] = {}
            if image.predicate is not None:
                item["predicate"] = {"path": image.predicate.path}
            item["component"] = image.component
            item["operator"] = image.operator
            if image.value:
                item["value"] = image.value
            images.append(item)
        wire["imageOverrider"] = images
    for key, command_args in (
        ("commandOverrider", overriders.command_overrider),
        ("argsOverrider", overriders.args_overrider),
    ):
        if command_args:
            wire[key] = [
                {"containerName": c.container_name, "operator": c.operator}
                | ({"value": list(c.value)} if c.value else {})
                for c in command_args
            ]
    for key, label_annotation in (
        ("labelsOverrider", overriders.labels_overrider),
        ("annotationsOverrider", overriders.annotations_overrider),
    ):
        if label_annotation:
            wire[key] = [
                {"operator": item.operator, "value": dict(sorted(item.value.items()))}
                for item in label_annotation
            ]
    if overriders.field_overrider:
        fields: list[dict[str, Any]] = []
        for field in overriders.field_overrider:
            entry: dict[str, Any] = {"fieldPath": field.field_path}
            if field.json_ops:
                entry["json"] = [_patch_operation_wire(op) for op in field.json_ops]
            if field.yaml_ops:
                entry["yaml"] = [_patch_operation_wire(op) for op in field.yaml_ops]
            fields.append(entry)
        wire["fieldOverrider"] = fields
    return wire


def applied_overrides_annotation(rules: Sequence[MatchedRule]) -> str | None:
    """Karmada's AppliedOverrides JSON: one item per applied rule, ordered by policy name;
    None when nothing applied (Karmada then writes no annotation)."""
    if not rules:
        return None
    items = [
        {"policyName": rule.policy.metadata.name, "overriders": overriders_wire(rule.overriders)}
        for rule in rules
    ]
    return go_json(sorted(items, key=lambda item: item["policyName"]))
