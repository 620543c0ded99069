"""PATCH bodies: JSON patch (RFC 6902), merge patch (RFC 7386) and strategic merge patch.

Strategic merge needs each list's merge key. Kubernetes reads it from Go struct tags; here a
small table covers the built-in lists that have one (everything else is replaced whole,
as Kubernetes does for lists without a patch strategy, e.g. `tolerations`, `args`).
Server-side apply reuses the same list knowledge (see `managedfields.py`).
"""

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jsonpatch
import jsonpointer

Object = dict[str, Any]
FieldNames = tuple[str, ...]
"""A field path without list positions, e.g. ("spec", "template", "spec", "containers")."""


class PatchError(ValueError):
    """A patch that cannot be applied; `code` is the HTTP status Kubernetes answers with."""

    def __init__(self, message: str, *, code: int = 422) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ListStrategy:
    """How a list merges: by key fields (`keys`) or as a set of primitives (`keys == ()`)."""

    keys: tuple[str, ...] = ()

    @property
    def is_set(self) -> bool:
        return not self.keys


SET = ListStrategy()
StrategyLookup = Callable[[FieldNames], ListStrategy | None]

_CONTAINER_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers"})
_MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}


def builtin_strategy(kind: str) -> StrategyLookup:
    """The patchMergeKey table of Kubernetes' built-in types, for objects of `kind`."""

    def lookup(names: FieldNames) -> ListStrategy | None:
        if not names:
            return None
        last = names[-1]
        if names == ("metadata", "finalizers"):
            return SET
        if last == "ports":
            if len(names) >= 2 and names[-2] in _CONTAINER_LISTS:
                return ListStrategy(("containerPort",))
            if kind == "Service" and names == ("spec", "ports"):
                return ListStrategy(("port",))
            return None
        key = _MERGE_KEYS.get(last)
        return ListStrategy((key,)) if key else None

    return lookup


def schema_strategy(schema: Object | None) -> StrategyLookup:
    """List strategies of a CRD from `x-kubernetes-list-type` in its openAPIV3Schema."""

    def lookup(names: FieldNames) -> ListStrategy | None:
        if names == ("metadata", "finalizers"):
            return SET
        if names and names[-1] == "ownerReferences" and names[0] == "metadata":
            return ListStrategy(("uid",))
        node = schema
        for name in names:
            if not isinstance(node, dict):
                return None
            if node.get("type") == "array":
                node = node.get("items")
                if not isinstance(node, dict):
                    return None
            node = (node.get("properties") or {}).get(name)
        if not isinstance(node, dict):
            return None
        list_type = node.get("x-kubernetes-list-type")
        if list_type == "set":
            return SET
        if list_type == "map":
            return ListStrategy(tuple(node.get("x-kubernetes-list-map-keys") or ()))
        return None

    return lookup


def apply_json_patch(obj: Object, operations: Any) -> Object:
    if not isinstance(operations, list):
        raise PatchError("json patch must be a list of operations", code=400)
    try:
        patched = jsonpatch.apply_patch(obj, operations)
    except jsonpatch.InvalidJsonPatch as error:
        raise PatchError(str(error), code=400) from error
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
        raise PatchError(str(error)) from error
    if not isinstance(patched, dict):
        raise PatchError("the patch replaced the whole object with a non-object")
    return patched


def apply_merge_patch(obj: Any, patch: Any) -> Any:
    """RFC 7386: maps merge recursively, `null` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(obj) if isinstance(obj, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result


_DELETE = object()
_ORDER = "$setElementOrder/"
_DELETE_FROM = "$deleteFromPrimitiveList/"


def strip_directives(value: Any) -> Any:
    """A patch fragment as plain data: `$patch`, `$retainKeys`, ... removed everywhere."""
    if isinstance(value, dict):
        return {
            key: strip_directives(item)
            for key, item in value.items()
            if not key.startswith("$") and item is not None
        }
    if isinstance(value, list):
        return [
            strip_directives(item)
            for item in value
            if not (isinstance(item, dict) and item.get("$patch") in ("delete", "replace"))
        ]
    return value


def apply_strategic_merge_patch(obj: Object, patch: Any, *, strategy: StrategyLookup) -> Object:
    if not isinstance(patch, dict):
        raise PatchError("strategic merge patch must be a JSON object", code=400)
    merged = _merge_map(obj, patch, names=(), strategy=strategy)
    if merged is _DELETE:
        raise PatchError("the patch deleted the whole object")
    return merged


def _merge_map(original: Any, patch: Object, *, names: FieldNames, strategy: StrategyLookup) -> Any:
    directive = patch.get("$patch")
    if directive == "delete":
        return _DELETE
    if directive == "replace":
        return strip_directives(patch)
    if directive not in (None, "merge"):
        raise PatchError(f"unknown patch type: {directive}", code=400)
    result: Object = dict(original) if isinstance(original, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
            continue
        child = (*names, key)
        if isinstance(value, list):
            order = patch.get(_ORDER + key)
            result[key] = _merge_list(
                result.get(key), value, names=child, strategy=strategy, order=order
            )
        elif isinstance(value, dict):
            merged = _merge_map(result.get(key), value, names=child, strategy=strategy)
            if merged is _DELETE:
                result.pop(key, None)
            else:
                result[key] = merged
        else:
            result[key] = value
    for key, value in patch.items():
        if key.startswith(_DELETE_FROM) and isinstance(value, list):
            field = key[len(_DELETE_FROM) :]
            if isinstance(result.get(field), list):
                result[field] = [item for item in result[field] if item not in value]
        elif key.startswith(_ORDER) and key[len(_ORDER) :] not in patch:
            field = key[len(_ORDER) :]
            if isinstance(result.get(field), list) and isinstance(value, list):
                result[field] = _reorder(result[field], value, strategy=strategy((*names, field)))
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {key: value for key, value in result.items() if key in retain}
    return result


def _identity(item: Any, keys: Sequence[str]) -> Any:
    if isinstance(item, dict):
        return tuple(item.get(key) for key in keys)
    return None


def _merge_list(
    original: Any,
    patch: list[Any],
    *,
    names: FieldNames,
    strategy: StrategyLookup,
    order: Any,
) -> list[Any]:
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return strip_directives(patch)
    list_strategy = strategy(names)
    if list_strategy is None:
        return strip_directives(patch)
    current = list(original) if isinstance(original, list) else []
    if list_strategy.is_set:
        merged = current + [item for item in patch if item not in current]
        return (
            _reorder(merged, order, strategy=list_strategy) if isinstance(order, list) else merged
        )
    keys = list_strategy.keys
    result = [copy.deepcopy(item) for item in current]
    for item in patch:
        if not isinstance(item, dict) or any(key not in item for key in keys):
            raise PatchError(f"map: {item!r} does not contain declared merge key: {keys[0]}")
        identity = _identity(item, keys)
        index = next(
            (i for i, existing in enumerate(result) if _identity(existing, keys) == identity),
            None,
        )
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
            continue
        merged = _merge_map(
            result[index] if index is not None else {}, item, names=names, strategy=strategy
        )
        if merged is _DELETE:
            if index is not None:
                del result[index]
        elif index is None:
            result.append(merged)
        else:
            result[index] = merged
    if isinstance(order, list):
        result = _reorder(result, order, strategy=list_strategy)
    return result


def _reorder(items: list[Any], order: list[Any], *, strategy: ListStrategy | None) -> list[Any]:
    """`$setElementOrder`: listed elements first, in that order; the server's others after."""
    if strategy is None:
        return items
    if strategy.is_set:
        ranked = {repr(value): position for position, value in enumerate(order)}
        identity: Callable[[Any], Any] = repr
    else:
        ranked = {repr(_identity(entry, strategy.keys)): i for i, entry in enumerate(order)}

        def identity(item: Any) -> Any:
            return repr(_identity(item, strategy.keys))

    listed = sorted(
        (item for item in items if identity(item) in ranked),
        key=lambda item: ranked[identity(item)],
    )
    return listed + [item for item in items if identity(item) not in ranked]
