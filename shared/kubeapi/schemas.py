"""The OpenAPI schemas of built-in kinds, as Kubernetes publishes them, compiled on first use.

The definitions come from the `kubernetes-validate` package (Kubernetes v1.36, "strict":
every object closed with `additionalProperties: false`). They are adapted once so that a
schema check means what the Go decoder means: int32/int64 fields get their ranges,
IntOrString and Quantity accept either form (or null), and a missing `spec`/`template` counts
where Go's non-pointer structs would be validated anyway.

Each kind's check is compiled with fastjsonschema when the kind is first written (~0.3 s for
a Deployment) and cached: a valid Deployment then costs ~25 us against ~400 us with the
`jsonschema` library, which keeps the hub's apply throughput. The check only says "valid or
not"; `decoding.py` explains a failure the way kube-apiserver does.
"""

import base64
import binascii
import copy
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema

Object = dict[str, Any]

SCHEMA_SET = "v1.36.0-local-strict"
DEFS_PREFIX = "#/$defs/"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
IMPLIED_OBJECTS = frozenset({"spec", "template", "jobTemplate", "scaleTargetRef"})
"""Non-pointer Go structs: validated as empty when absent, so their required fields count."""
QUANTITY_PATTERN = r"[+-]?[0-9.]+([eEinumkKMGTP]*[-+]?[0-9]*)"
RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _load_definitions() -> dict[str, Object]:
    package = resources.files("kubernetes_validate") / "kubernetes-json-schema" / SCHEMA_SET
    text = (package / "_definitions.json").read_text(encoding="utf-8")
    return dict(json.loads(text)["$defs"])


def ref_name(node: Object) -> str | None:
    ref = node.get("$ref")
    return ref[len(DEFS_PREFIX) :] if isinstance(ref, str) and ref.startswith(DEFS_PREFIX) else None


def _add_ranges(node: Any) -> None:
    if isinstance(node, dict):
        fmt = node.get("format")
        limits = RANGES.get(fmt) if isinstance(fmt, str) else None
        if limits is not None and "integer" in _types(node):
            node["minimum"], node["maximum"] = limits
        for key, child in node.items():
            if key != "enum":
                _add_ranges(child)
    elif isinstance(node, list):
        for child in node:
            _add_ranges(child)


def _types(node: Object) -> list[str]:
    declared = node.get("type", [])
    if isinstance(declared, str):
        return [declared]
    return (
        [name for name in declared if isinstance(name, str)] if isinstance(declared, list) else []
    )


@cache
def definitions() -> dict[str, Object]:
    """Every definition, adapted to the decoder's rules (see the module docstring)."""
    defs = copy.deepcopy(_load_definitions())
    defs[INT_OR_STRING] = {"type": ["string", "integer", "null"]}
    defs[QUANTITY] = {"type": ["string", "number", "null"], "pattern": f"^{QUANTITY_PATTERN}$"}
    _add_ranges(defs)
    for node in defs.values():
        properties = node.get("properties") or {}
        implied = [
            name
            for name in IMPLIED_OBJECTS
            if name in properties
            and (defs.get(ref_name(properties[name]) or "") or {}).get("required")
        ]
        if implied:
            node["required"] = sorted({*node.get("required", []), *implied})
    return defs


@cache
def _index() -> dict[tuple[str, str, str], str]:
    found: dict[tuple[str, str, str], str] = {}
    for name, node in definitions().items():
        for gvk in node.get("x-kubernetes-group-version-kind") or []:
            found.setdefault((gvk.get("group", ""), gvk["version"], gvk["kind"]), name)
    return found


def definition_of(group: str, version: str, kind: str) -> str | None:
    """The definition name of a built-in kind (`io.k8s.api.apps.v1.Deployment`), if published."""
    return _index().get((group, version, kind))


def _accept(_: Any) -> bool:
    return True


def is_base64(value: str) -> bool:
    """What Go's base64.StdEncoding decodes ([]byte fields; line breaks are skipped)."""
    try:
        base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


FORMATS = {name: _accept for name in ("int32", "int64", "double", "date-time")} | {
    "byte": is_base64
}
"""Ranges are compiled in as bounds; times are left to the store's own checks."""


@dataclass(frozen=True)
class KindSchema:
    definition: str
    check: Any
    """The compiled fastjsonschema function: raises JsonSchemaException when not valid."""

    def valid(self, obj: Object) -> bool:
        try:
            self.check(obj)
        except fastjsonschema.JsonSchemaException:
            return False
        return True


@cache
def kind_schema(group: str, version: str, kind: str) -> KindSchema | None:
    """The compiled schema of a built-in kind; None for kinds Kubernetes does not publish."""
    name = definition_of(group, version, kind)
    if name is None:
        return None
    document = {"$ref": DEFS_PREFIX + name, "$defs": definitions()}
    check = fastjsonschema.compile(document, formats=FORMATS, use_default=False)
    return KindSchema(definition=name, check=check)
