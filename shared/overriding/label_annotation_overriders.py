"""Karmada's labelsOverrider and annotationsOverrider: patches on the resource's own
metadata maps (`overridemanager/labelannotationoverride.go`)."""

from collections.abc import Mapping
from typing import Any, Literal

from shared.api.overrides import LabelAnnotationOverrider
from shared.overriding.plaintext_overriders import Patch, escape_token

MetadataMapTarget = Literal["labels", "annotations"]


def _string_map(value: Any) -> dict[str, str] | None:
    """apimachinery NestedStringMap: a map whose values are all strings, else nothing."""
    if isinstance(value, dict) and all(isinstance(item, str) for item in value.values()):
        return value
    return None


def build_label_annotation_patches(
    *,
    target: MetadataMapTarget,
    manifest: Mapping[str, Any],
    overrider: LabelAnnotationOverrider,
) -> list[Patch]:
    """Patches on the resource's own metadata map. add creates the map (replacing one that
    is not a string map, like Karmada's SetNestedStringMap) and sets every key; replace and
    remove touch only keys that exist."""
    metadata = manifest.get("metadata")
    existing = _string_map(metadata.get(target)) if isinstance(metadata, dict) else None
    patches: list[Patch] = []
    if overrider.operator == "add" and overrider.value and existing is None:
        if metadata is None:
            patches.append({"op": "add", "path": "/metadata", "value": {}})
        elif not isinstance(metadata, dict):
            return []
        patches.append({"op": "add", "path": f"/metadata/{target}", "value": {}})
    for key in sorted(overrider.value):
        if overrider.operator != "add" and (existing is None or key not in existing):
            continue
        patch: Patch = {
            "op": overrider.operator,
            "path": f"/metadata/{target}/{escape_token(key)}",
        }
        if overrider.operator != "remove":
            patch["value"] = overrider.value[key]
        patches.append(patch)
    return patches
