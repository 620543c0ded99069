"""Server-side printing: `meta.k8s.io/v1 Table` answers for `kubectl get`'s Accept header.

kubectl asks for Tables and prints their cells as they are, so the columns users expect
(READY, STATUS, AGE, a CRD's additionalPrinterColumns) come from here.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from shared.api.kind_table import Kind, PrinterColumn

Object = dict[str, Any]
Cell = Callable[[Object], Any]


def wants_table(accept: str) -> bool:
    return "as=Table" in accept.replace(" ", "") and "g=meta.k8s.io" in accept


def human_duration(seconds: float) -> str:
    """Kubernetes' `duration.HumanDuration`: 45s, 3m12s, 7h, 5d3h, 2y10d."""
    seconds = max(int(seconds), 0)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 120:
        return f"{seconds}s"
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 192:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 730:
        return f"{days}d"
    years, rest = divmod(days, 365)
    return f"{years}y{rest}d" if years < 8 and rest else f"{years}y"


def _age(obj: Object) -> str:
    created = (obj.get("metadata") or {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    then = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return human_duration((datetime.now(UTC) - then).total_seconds())


def _get(obj: Object, path: str, default: Any = None) -> Any:
    node: Any = obj
    for part in path.strip(".").split("."):
        if not isinstance(node, dict):
            return default
        node = node.get(part)
    return default if node is None else node


def _ready(ready_path: str, want_path: str) -> Cell:
    return lambda obj: f"{_get(obj, ready_path, 0)}/{_get(obj, want_path, 0)}"


def _pod_ready(obj: Object) -> str:
    statuses = _get(obj, "status.containerStatuses", [])
    containers = _get(obj, "spec.containers", [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{len(containers)}"


def _restarts(obj: Object) -> int:
    return sum(s.get("restartCount", 0) for s in _get(obj, "status.containerStatuses", []))


def _node_status(obj: Object) -> str:
    ready = next((c for c in _get(obj, "status.conditions", []) if c.get("type") == "Ready"), None)
    status = "Ready" if ready and ready.get("status") == "True" else "NotReady"
    if _get(obj, "spec.unschedulable"):
        status += ",SchedulingDisabled"
    return status


_BUILTIN_COLUMNS: dict[tuple[str, str], list[tuple[str, str, Cell]]] = {
    ("", "pods"): [
        ("Ready", "string", _pod_ready),
        ("Status", "string", lambda o: _get(o, "status.phase", "Pending")),
        ("Restarts", "integer", _restarts),
    ],
    ("", "namespaces"): [("Status", "string", lambda o: _get(o, "status.phase", "Active"))],
    ("", "nodes"): [("Status", "string", _node_status)],
    ("", "services"): [
        ("Type", "string", lambda o: _get(o, "spec.type", "ClusterIP")),
        ("Cluster-IP", "string", lambda o: _get(o, "spec.clusterIP", "<none>")),
    ],
    ("", "configmaps"): [("Data", "integer", lambda o: len(o.get("data") or {}))],
    ("", "secrets"): [
        ("Type", "string", lambda o: o.get("type", "Opaque")),
        ("Data", "integer", lambda o: len(o.get("data") or {})),
    ],
    ("apps", "deployments"): [
        ("Ready", "string", _ready("status.readyReplicas", "spec.replicas")),
        ("Up-to-date", "integer", lambda o: _get(o, "status.updatedReplicas", 0)),
        ("Available", "integer", lambda o: _get(o, "status.availableReplicas", 0)),
    ],
    ("apps", "statefulsets"): [
        ("Ready", "string", _ready("status.readyReplicas", "spec.replicas"))
    ],
    ("apps", "replicasets"): [
        ("Desired", "integer", lambda o: _get(o, "spec.replicas", 0)),
        ("Current", "integer", lambda o: _get(o, "status.replicas", 0)),
        ("Ready", "integer", lambda o: _get(o, "status.readyReplicas", 0)),
    ],
    ("batch", "jobs"): [
        ("Completions", "string", _ready("status.succeeded", "spec.completions")),
    ],
}


def _custom(column: PrinterColumn) -> Cell:
    return lambda obj: _get(obj, column.json_path.lstrip("."), "")


def _columns(kind: Kind) -> list[tuple[Object, Cell]]:
    name_col = {
        "name": "Name",
        "type": "string",
        "format": "name",
        "description": "Name",
        "priority": 0,
    }
    columns: list[tuple[Object, Cell]] = [(name_col, lambda o: o["metadata"].get("name", ""))]
    extra: list[tuple[str, str, Cell, int]] = [
        (n, t, c, 0) for n, t, c in _BUILTIN_COLUMNS.get((kind.group, kind.plural), [])
    ]
    extra += [(c.name, c.type, _custom(c), c.priority) for c in kind.printer_columns]
    for name, type_, cell, priority in extra:
        if name.lower() == "age":
            continue
        definition = {
            "name": name,
            "type": type_,
            "format": "",
            "description": "",
            "priority": priority,
        }
        columns.append((definition, cell))
    age = {
        "name": "Age",
        "type": "string",
        "format": "",
        "description": "CreationTimestamp",
        "priority": 0,
    }
    columns.append((age, _age))
    return columns


def _partial(obj: Object) -> Object:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def table(
    kind: Kind, items: list[Object], *, list_meta: Object, include_object: str = "Metadata"
) -> Object:
    """A Table of `items`; rows carry the object as kubectl's `includeObject` asks."""
    columns = _columns(kind)
    rows = []
    for item in items:
        cells = [cell(item) for _, cell in columns]
        row: Object = {"cells": cells}
        if include_object == "Object":
            row["object"] = item
        elif include_object != "None":
            row["object"] = _partial(item)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": [definition for definition, _ in columns],
        "rows": rows,
    }
