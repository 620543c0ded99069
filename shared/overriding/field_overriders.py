"""Karmada's fieldOverrider: a string field holding JSON or YAML is parsed, patched by
`subPath` and written back serialised (`overridemanager/fieldoverride.go`). The YAML is
user text, so it is read with the bounded loader."""

import json
from collections.abc import Sequence
from typing import Any

import jsonpointer
import yaml

from shared.api.overrides import FieldOverrider, FieldPatchOperation
from shared.overriding.errors import OverrideError
from shared.overriding.gojson import go_json
from shared.overriding.plaintext_overriders import Patch, apply_patches, short_reason
from shared.safeyaml import BoundedLoader


class _YamlLoader(BoundedLoader):
    """YAML 1.1 like go-yaml v2, but timestamps stay strings as in sigs.k8s.io/yaml; alias
    expansion bounded as go-yaml bounds it (a field's YAML text comes from users)."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _json_key(key: Any) -> str:
    """sigs.k8s.io/yaml YAMLToJSON turns non-string keys into their JSON spelling."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {_json_key(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def _field_patches(operations: Sequence[FieldPatchOperation]) -> list[Patch]:
    patches: list[Patch] = []
    for operation in operations:
        patch: Patch = {"op": operation.operator, "path": operation.sub_path}
        if operation.operator != "remove":
            patch["value"] = operation.value
        patches.append(patch)
    return patches


def _patched_text(text: str, overrider: FieldOverrider) -> str:
    """YAML wins when both are set; neither set yields an empty string (Karmada writes its
    nil result back; validation refuses such policies)."""
    if overrider.yaml_ops:
        try:
            data = _jsonable(yaml.load(text, Loader=_YamlLoader))
        except yaml.YAMLError as error:
            raise OverrideError(f"invalid YAML: {error}") from error
        patched = apply_patches(data, _field_patches(overrider.yaml_ops))
        text = yaml.safe_dump(patched, default_flow_style=False, sort_keys=True, allow_unicode=True)
        return text.removesuffix("...\n")
    if overrider.json_ops:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise OverrideError(f"invalid JSON: {error}") from error
        return go_json(apply_patches(data, _field_patches(overrider.json_ops)))
    return ""


def apply_field_overrider(manifest: dict[str, Any], overrider: FieldOverrider) -> None:
    """Parse the string at `fieldPath`, patch it by `subPath`, write it back serialised."""
    try:
        pointer = jsonpointer.JsonPointer(overrider.field_path)
        text = pointer.resolve(manifest)
    except jsonpointer.JsonPointerException as error:
        raise OverrideError(
            f"Get value by overrider's path err: {short_reason(error)}", path=overrider.field_path
        ) from error
    if not isinstance(text, str):
        raise OverrideError(
            f"Get object's value by overrider's path({overrider.field_path}) is not string",
            path=overrider.field_path,
        )
    try:
        patched = _patched_text(text, overrider)
    except OverrideError as error:
        raise OverrideError(
            error.reason, path=f"{overrider.field_path} ({error.path or '/'})"
        ) from error
    pointer.set(manifest, patched)
