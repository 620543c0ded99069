"""Server-side apply: field ownership in `metadata.managedFields` (FieldsV1) and the apply merge.

A field set is a set of paths; each path is a tuple of FieldsV1 tokens: `f:<field>` for a map
key, `k:{"name":"web"}` for an item of a keyed list, `v:<json>` for an item of a set list.
Leaves are scalars, atomic lists and empty maps; keyed/set items are members themselves.
Every write records who changed what (operation Update); apply (operation Apply) merges the
applier's config, reports conflicts with other owners, and removes fields the applier
dropped from its config when nobody else owns them.
"""

import copy
from dataclasses import dataclass
from typing import Any

import orjson

from shared.kubeapi.patching import FieldNames, StrategyLookup

Object = dict[str, Any]
Path = tuple[str, ...]

_IGNORED_METADATA = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
        "selfLink",
        "generateName",
    }
)


@dataclass(frozen=True)
class Conflict:
    manager: str
    api_version: str
    path: Path

    @property
    def field(self) -> str:
        return render_path(self.path)


class ApplyConflictError(Exception):
    """Apply would change fields other managers own; `conflicts` says which."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        super().__init__(self.message())

    def message(self) -> str:
        by_manager: dict[tuple[str, str], list[str]] = {}
        for conflict in self.conflicts:
            by_manager.setdefault((conflict.manager, conflict.api_version), []).append(
                conflict.field
            )
        parts = []
        for (manager, api_version), fields in by_manager.items():
            if len(fields) == 1:
                parts.append(f'conflict with "{manager}" using {api_version}: {fields[0]}')
            else:
                listed = "\n".join(f"- {field}" for field in fields)
                parts.append(f'conflicts with "{manager}" using {api_version}:\n{listed}')
        count = len(self.conflicts)
        plural = "conflict" if count == 1 else "conflicts"
        return f"Apply failed with {count} {plural}: " + "\n".join(parts)


def render_path(path: Path) -> str:
    """`.spec.template.spec.containers[name="web"].image`, as SSA conflict messages show."""
    out = []
    for token in path:
        kind, _, rest = token.partition(":")
        if kind == "f":
            out.append(f".{rest}")
        elif kind == "k":
            keys = orjson.loads(rest)
            out.append(
                "[" + ",".join(f"{k}={orjson.dumps(v).decode()}" for k, v in keys.items()) + "]"
            )
        else:
            out.append(f"[={rest}]")
    return "".join(out)


def managed_part(obj: Object, *, with_status: bool) -> Object:
    """What ownership is tracked for: no identity/bookkeeping metadata, status only if asked."""
    out = {
        key: value
        for key, value in obj.items()
        if key not in ("apiVersion", "kind", "metadata", "status")
    }
    metadata = {
        key: value
        for key, value in (obj.get("metadata") or {}).items()
        if key not in _IGNORED_METADATA
    }
    if metadata:
        out["metadata"] = metadata
    if with_status and "status" in obj:
        out["status"] = obj["status"]
    return out


def _key_token(item: Object, keys: tuple[str, ...]) -> str:
    return "k:" + orjson.dumps({key: item[key] for key in sorted(keys)}).decode()


def field_paths(value: Object, *, strategy: StrategyLookup) -> set[Path]:
    paths: set[Path] = set()
    _collect(value, names=(), prefix=(), strategy=strategy, out=paths)
    return paths


def _collect(
    value: Object, *, names: FieldNames, prefix: Path, strategy: StrategyLookup, out: set[Path]
) -> None:
    for key, child in value.items():
        if child is None:
            continue
        path = (*prefix, f"f:{key}")
        child_names = (*names, key)
        if isinstance(child, dict) and child:
            _collect(child, names=child_names, prefix=path, strategy=strategy, out=out)
            continue
        list_strategy = strategy(child_names) if isinstance(child, list) and child else None
        if list_strategy is None:
            out.add(path)
        elif list_strategy.is_set:
            out.update((*path, "v:" + orjson.dumps(item).decode()) for item in child)
        else:
            for item in child:
                if not isinstance(item, dict) or any(k not in item for k in list_strategy.keys):
                    out.add(path)
                    continue
                item_path = (*path, _key_token(item, list_strategy.keys))
                out.add(item_path)
                _collect(item, names=child_names, prefix=item_path, strategy=strategy, out=out)


_MISSING = object()


def value_at(obj: Any, path: Path) -> Any:
    """The value a path points at, or `_MISSING`."""
    node = obj
    for token in path:
        kind, _, rest = token.partition(":")
        if kind == "f":
            if not isinstance(node, dict) or rest not in node:
                return _MISSING
            node = node[rest]
        elif kind == "k":
            wanted = orjson.loads(rest)
            if not isinstance(node, list):
                return _MISSING
            node = next(
                (
                    item
                    for item in node
                    if isinstance(item, dict) and all(item.get(k) == v for k, v in wanted.items())
                ),
                _MISSING,
            )
            if node is _MISSING:
                return _MISSING
        else:
            wanted = orjson.loads(rest)
            if not isinstance(node, list) or wanted not in node:
                return _MISSING
            node = wanted
    return node


def _is_member(path: Path) -> bool:
    return bool(path) and path[-1][:2] in ("k:", "v:")


def remove_path(obj: Object, path: Path) -> None:
    """Delete what a path names from `obj` (in place); missing paths are ignored."""
    parent = value_at(obj, path[:-1]) if len(path) > 1 else obj
    kind, _, rest = path[-1].partition(":")
    if kind == "f" and isinstance(parent, dict):
        parent.pop(rest, None)
    elif kind in ("k", "v") and isinstance(parent, list):
        target = value_at(obj, path)
        if target is not _MISSING:
            parent[:] = [
                item
                for item in parent
                if item is not target and not (kind == "v" and item == target)
            ]


def to_fields_v1(paths: set[Path]) -> Object:
    root: Object = {}
    for path in sorted(paths):
        node = root
        for token in path:
            node = node.setdefault(token, {})
    for path in paths:
        node = root
        for token in path:
            node = node[token]
        if node and "." not in node:
            node["."] = {}
    return root


def from_fields_v1(fields: Object) -> set[Path]:
    paths: set[Path] = set()

    def walk(node: Object, prefix: Path) -> None:
        for token, child in node.items():
            if token == ".":
                paths.add(prefix)
            elif isinstance(child, dict) and child:
                walk(child, (*prefix, token))
            else:
                paths.add((*prefix, token))

    walk(fields, ())
    return paths


@dataclass
class ManagerEntry:
    manager: str
    operation: str
    api_version: str
    time: str
    fields: set[Path]
    subresource: str = ""

    def to_dict(self) -> Object:
        entry: Object = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(self.fields),
        }
        if self.subresource:
            entry["subresource"] = self.subresource
        return entry


def read_entries(obj: Object | None) -> list[ManagerEntry]:
    entries = []
    for raw in ((obj or {}).get("metadata") or {}).get("managedFields") or []:
        if not isinstance(raw, dict) or not raw.get("manager"):
            continue
        entries.append(
            ManagerEntry(
                manager=raw["manager"],
                operation=raw.get("operation", "Update"),
                api_version=raw.get("apiVersion", ""),
                time=raw.get("time", ""),
                fields=from_fields_v1(raw.get("fieldsV1") or {}),
                subresource=raw.get("subresource", ""),
            )
        )
    return entries


def write_entries(obj: Object, entries: list[ManagerEntry]) -> None:
    kept = [entry.to_dict() for entry in entries if entry.fields]
    if kept:
        obj.setdefault("metadata", {})["managedFields"] = kept
    else:
        obj.get("metadata", {}).pop("managedFields", None)


@dataclass(frozen=True)
class WriteContext:
    """Who writes, how and when: the parameters every ownership update needs."""

    manager: str
    api_version: str
    time: str
    strategy: StrategyLookup
    subresource: str = ""


def record_update(old: Object | None, new: Object, *, context: WriteContext) -> None:
    """After a non-apply write: the manager owns what it changed; others lose those fields."""
    with_status = context.subresource == "status"
    entries = read_entries(new) if _explicit(old, new) else read_entries(old)
    old_paths = (
        field_paths(managed_part(old, with_status=with_status), strategy=context.strategy)
        if old
        else set()
    )
    new_paths = field_paths(managed_part(new, with_status=with_status), strategy=context.strategy)
    changed = {
        path
        for path in new_paths
        if path not in old_paths
        or (not _is_member(path) and value_at(old, path) != value_at(new, path))
    }
    removed = old_paths - new_paths
    mine = None
    for entry in entries:
        if (
            entry.manager == context.manager
            and entry.operation == "Update"
            and entry.subresource == context.subresource
        ):
            mine = entry
        else:
            entry.fields -= changed | removed
    if mine is None:
        mine = ManagerEntry(
            context.manager, "Update", context.api_version, context.time, set(), context.subresource
        )
        entries.append(mine)
    if changed or removed:
        mine.time = context.time
        mine.api_version = context.api_version
    mine.fields = (mine.fields - removed) | changed
    write_entries(new, entries)


def _explicit(old: Object | None, new: Object) -> bool:
    """A request that sets managedFields itself (kubectl edit keeps them) replaces them."""
    if old is None:
        return False
    sent = new.get("metadata", {}).get("managedFields")
    return sent is not None and sent != old.get("metadata", {}).get("managedFields")


def apply(live: Object | None, config: Object, *, context: WriteContext, force: bool) -> Object:
    """Merge an applier's configuration into the live object; ApplyConflictError on conflicts."""
    with_status = context.subresource == "status"
    applied = managed_part(_without_nulls(config), with_status=with_status)
    new_paths = field_paths(applied, strategy=context.strategy)
    entries = read_entries(live)
    mine = next(
        (
            e
            for e in entries
            if e.manager == context.manager
            and e.operation == "Apply"
            and e.subresource == context.subresource
        ),
        None,
    )
    others = [entry for entry in entries if entry is not mine]
    conflicts = []
    for entry in others:
        for path in sorted(new_paths & entry.fields):
            if _is_member(path):
                continue
            if value_at(live, path) != value_at(applied, path):
                conflicts.append(Conflict(entry.manager, entry.api_version, path))
    if conflicts and not force:
        raise ApplyConflictError(conflicts)
    for conflict in conflicts:
        for entry in others:
            if entry.manager == conflict.manager:
                entry.fields.discard(conflict.path)
    merged = copy.deepcopy(live) if live is not None else {}
    owned_by_others = set().union(*(entry.fields for entry in others)) if others else set()
    kept = owned_by_others | new_paths
    dropped = (mine.fields if mine else set()) - kept
    for path in sorted(dropped, key=len, reverse=True):
        if any(other[: len(path)] == path for other in kept):
            continue
        remove_path(merged, path)
    merged = _overlay(merged, applied, names=(), strategy=context.strategy)
    for key in ("apiVersion", "kind"):
        if key in config:
            merged[key] = config[key]
    if mine is None:
        mine = ManagerEntry(
            context.manager, "Apply", context.api_version, context.time, set(), context.subresource
        )
        entries.append(mine)
    mine.fields = new_paths
    mine.time = context.time
    mine.api_version = context.api_version
    write_entries(merged, entries)
    return merged


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _overlay(live: Any, config: Any, *, names: FieldNames, strategy: StrategyLookup) -> Any:
    if isinstance(config, dict):
        out = dict(live) if isinstance(live, dict) else {}
        for key, value in config.items():
            out[key] = _overlay(out.get(key), value, names=(*names, key), strategy=strategy)
        return out
    if isinstance(config, list):
        list_strategy = strategy(names) if config else None
        if list_strategy is None or not isinstance(live, list):
            return copy.deepcopy(config)
        if list_strategy.is_set:
            return live + [item for item in config if item not in live]
        keys = list_strategy.keys
        out = [copy.deepcopy(item) for item in live]
        for item in config:
            if not isinstance(item, dict):
                return copy.deepcopy(config)
            index = next(
                (
                    i
                    for i, existing in enumerate(out)
                    if isinstance(existing, dict)
                    and all(existing.get(k) == item.get(k) for k in keys)
                ),
                None,
            )
            if index is None:
                out.append(copy.deepcopy(item))
            else:
                out[index] = _overlay(out[index], item, names=names, strategy=strategy)
        return out
    return config
