"""What kube-apiserver's decoder makes of a body: type errors, unknown fields, required fields.

A built-in object is decoded into Go structs before anything else: a value of the wrong type
stops the request (400, `json: cannot unmarshal string into Go struct field
DeploymentSpec.spec.replicas of type int32`), fields the struct does not have are dropped
(reported as `unknown field "spec.foo"` under `fieldValidation` Warn or Strict), and
validation then wants the fields the schema requires. `decode` walks an object along its
schema in document order and reports all three, pruning unknown fields as it goes.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from shared.kubeapi.schemas import (
    IMPLIED_OBJECTS,
    INT_OR_STRING,
    QUANTITY,
    QUANTITY_PATTERN,
    RANGES,
    is_base64,
    ref_name,
)

Object = dict[str, Any]

QUANTITY_ERROR = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
BASE64_ALPHABET = re.compile(r"[^A-Za-z0-9+/=\r\n]")
GO_PACKAGES = {INT_OR_STRING: "intstr.IntOrString", QUANTITY: "resource.Quantity"}


@dataclass
class Decoded:
    """The decoder's verdict on one object."""

    error: str | None = None
    """The first type error, as Go's encoding/json words it (the request then fails)."""
    unknown: list[str] = field(default_factory=list)
    """Paths of fields the kind does not have, in document order (already pruned)."""
    required: list[str] = field(default_factory=list)
    """Paths of required fields that are missing, outside `status`."""


def go_type_name(definition: str) -> str:
    """`io.k8s.api.apps.v1.DeploymentSpec` -> `v1.DeploymentSpec`."""
    if definition in GO_PACKAGES:
        return GO_PACKAGES[definition]
    parts = definition.split(".")
    return ".".join(parts[-2:])


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "string"


def _types(node: Object) -> set[str]:
    declared = node.get("type", [])
    names = [declared] if isinstance(declared, str) else declared
    return {name for name in names if isinstance(name, str) and name != "null"}


def _number_text(value: int | float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _base64_error(value: str) -> str | None:
    bad = BASE64_ALPHABET.search(value)
    if bad is not None:
        return f"illegal base64 data at input byte {bad.start()}"
    return None if is_base64(value) else f"illegal base64 data at input byte {len(value)}"


class _Walk:
    def __init__(self, defs: dict[str, Object], result: Decoded) -> None:
        self.defs = defs
        self.result = result

    def resolve(self, node: Object) -> tuple[Object, str | None]:
        name = None
        while (ref := ref_name(node)) is not None:
            name = ref
            node = self.defs[ref]
        return node, name

    def go_type(self, node: Object) -> str:
        node, name = self.resolve(node)
        if name is not None and (name in GO_PACKAGES or "properties" in node):
            return go_type_name(name)
        types = _types(node)
        fmt = node.get("format")
        if "string" in types:
            return "[]uint8" if fmt == "byte" else (go_type_name(name) if name else "string")
        if "integer" in types:
            return fmt if fmt in RANGES else "int"
        if "number" in types:
            return "float64"
        if "boolean" in types:
            return "bool"
        if "array" in types:
            return "[]" + self.go_type(node.get("items") or {})
        if isinstance(node.get("additionalProperties"), dict):
            return "map[string]" + self.go_type(node["additionalProperties"])
        return "interface {}"

    def mismatch(self, value_text: str, node: Object, struct: str, go_path: str) -> None:
        if self.result.error is None:
            self.result.error = (
                f"json: cannot unmarshal {value_text} into Go struct field {struct}.{go_path} "
                f"of type {self.go_type(node)}"
            )

    def fail(self, message: str) -> None:
        if self.result.error is None:
            self.result.error = message

    def value(
        self, value: Any, node: Object, *, path: str, go_path: str, struct: str, checked: bool
    ) -> None:
        """Check `value` against `node`; `checked` says whether required fields count here."""
        if value is None:
            return
        resolved, name = self.resolve(node)
        types = _types(resolved)
        if not types:
            return
        if name == QUANTITY and isinstance(value, str):
            if re.fullmatch(QUANTITY_PATTERN, value) is None:
                self.fail(QUANTITY_ERROR)
            return
        kind = _json_kind(value)
        if kind == "number" and "integer" in types:
            self.integer(value, resolved, node=node, struct=struct, go_path=go_path)
        elif kind == "number" and "number" in types:
            return
        elif kind == "bool" and "boolean" in types:
            return
        elif kind == "string" and "string" in types:
            if resolved.get("format") == "byte" and (error := _base64_error(value)):
                self.fail(error)
        elif kind == "array" and "array" in types:
            items = resolved.get("items") or {}
            for index, item in enumerate(value):
                self.value(
                    item,
                    items,
                    path=f"{path}[{index}]",
                    go_path=go_path,
                    struct=struct,
                    checked=checked,
                )
        elif kind == "object" and "object" in types:
            self.object(value, resolved, name=name, path=path, go_path=go_path, struct=struct,
                        checked=checked)  # fmt: skip
        else:
            self.mismatch(kind, node, struct, go_path)

    def integer(
        self, value: int | float, resolved: Object, *, node: Object, struct: str, go_path: str
    ) -> None:
        low, high = RANGES.get(resolved.get("format", ""), RANGES["int64"])
        if isinstance(value, float) and not value.is_integer():
            self.mismatch(f"number {value}", node, struct, go_path)
        elif not low <= value <= high:
            self.mismatch(f"number {_number_text(value)}", node, struct, go_path)

    def object(
        self,
        value: Object,
        node: Object,
        *,
        name: str | None,
        path: str,
        go_path: str,
        struct: str,
        checked: bool,
    ) -> None:
        properties: Object = node.get("properties") or {}
        extra = node.get("additionalProperties")
        if not properties and extra is not False:
            if isinstance(extra, dict):
                for key, item in value.items():
                    self.value(item, extra, path=f"{path}[{key}]", go_path=go_path,
                               struct=struct, checked=checked)  # fmt: skip
            return
        inner = go_type_name(name).split(".")[-1] if name else struct
        if checked:
            self.missing(value, node, path=path)
        for key in list(value):
            child_path = f"{path}.{key}" if path else key
            if key not in properties:
                self.result.unknown.append(child_path)
                del value[key]
                continue
            self.value(
                value[key],
                properties[key],
                path=child_path,
                go_path=f"{go_path}.{key}" if go_path else key,
                struct=inner,
                checked=checked and child_path != "status",
            )

    def missing(self, value: Object, node: Object, *, path: str) -> None:
        for key in node.get("required") or []:
            if value.get(key) is not None:
                continue
            child_path = f"{path}.{key}" if path else key
            if key in IMPLIED_OBJECTS:
                implied, _ = self.resolve((node.get("properties") or {}).get(key) or {})
                self.missing({}, implied, path=child_path)
            elif key != "metadata":
                self.result.required.append(child_path)


def decode(
    obj: Object, *, definition: str, defs: dict[str, Object], at: str = "", parent: str = ""
) -> Decoded:
    """Walk `obj` as `definition`: report what the decoder and validation would, and remove
    unknown fields from `obj` (Kubernetes drops them from built-in kinds in every mode).

    `at` is where `obj` sits in its object (`metadata` for the ObjectMeta of a custom kind),
    `parent` the Go struct holding it there."""
    result = Decoded()
    _Walk(defs, result).object(
        obj,
        defs[definition],
        name=definition,
        path=at,
        go_path=at,
        struct=parent or go_type_name(definition).split(".")[-1],
        checked=True,
    )
    return result
