"""How `navarch get` shows objects: aligned tables with per-kind columns, yaml, json, name."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.quantity import parse_quantity

Object = dict[str, Any]
Cell = Callable[[Object], str]


@dataclass(frozen=True)
class Column:
    header: str
    cell: Cell
    wide_only: bool = False


def age(obj: Object, *, now: datetime | None = None) -> str:
    """kubectl's short ages: 45s, 3m12s, 5h, 2d3h, 40d."""
    created = obj.get("metadata", {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    started = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    seconds = int(((now or datetime.now(UTC)) - started).total_seconds())
    seconds = max(seconds, 0)
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    return f"{days}d{hours % 24}h" if days < 8 else f"{days}d"


def _dig(obj: Object, *path: str, default: Any = None) -> Any:
    current: Any = obj
    for key in path:
        if not isinstance(current, dict):
            return default
        current = current.get(key)
        if current is None:
            return default
    return current


def _condition(obj: Object, condition_type: str) -> str:
    for condition in _dig(obj, "status", "conditions", default=[]) or []:
        if condition.get("type") == condition_type:
            return str(condition.get("status", "Unknown"))
    return "Unknown"


def _fraction(used: Any, total: Any, *, unit: str = "") -> str:
    if total in (None, ""):
        return "-"
    used_value = parse_quantity(str(used or "0"))
    total_value = parse_quantity(str(total))
    if unit == "Gi":
        divisor = 1024**3
        return f"{used_value / divisor:.0f}/{total_value / divisor:.0f}Gi"
    return f"{_plain(used_value)}/{_plain(total_value)}"


def _plain(value: Any) -> str:
    number = float(value)
    return f"{number:.0f}" if number == int(number) else f"{number:.1f}"


def _cluster_resource(name: str, *, unit: str = "") -> Cell:
    def cell(obj: Object) -> str:
        summary = _dig(obj, "status", "resourceSummary", default={}) or {}
        allocatable = (summary.get("allocatable") or {}).get(name)
        allocated = (summary.get("allocated") or {}).get(name)
        if allocatable is None:
            return "-" if name != "nvidia.com/gpu" else "0"
        return _fraction(allocated, allocatable, unit=unit)

    return cell


def _nodes(obj: Object) -> str:
    summary = _dig(obj, "status", "nodeSummary", default={}) or {}
    if not summary:
        return "-"
    return f"{summary.get('readyNum', 0)}/{summary.get('totalNum', 0)}"


def _ready_replicas(obj: Object) -> str:
    ready = _dig(obj, "status", "readyReplicas", default=0)
    return f"{ready}/{_dig(obj, 'spec', 'replicas', default=0)}"


def _binding_clusters(obj: Object) -> str:
    targets = _dig(obj, "spec", "clusters", default=[]) or []
    rendered = [
        f"{target['name']}:{target['replicas']}" if target.get("replicas") else target["name"]
        for target in targets
    ]
    return ",".join(rendered) or "<none>"


def fully_applied(obj: Object) -> str:
    """Karmada's FullyApplied condition; without one, what the members reported: True when
    every target cluster applied the binding, False when one failed, else Unknown."""
    stated = _condition(obj, "FullyApplied")
    if stated != "Unknown":
        return stated
    targets = {t.get("name") for t in _dig(obj, "spec", "clusters", default=[]) or []}
    reports = {
        item.get("clusterName"): item.get("applied")
        for item in _dig(obj, "status", "aggregatedStatus", default=[]) or []
    }
    if not targets:
        return "Unknown"
    if any(reports.get(cluster) is False for cluster in targets):
        return "False"
    return "True" if all(reports.get(cluster) is True for cluster in targets) else "Unknown"


def _pod_ready(obj: Object) -> str:
    statuses = _dig(obj, "status", "containerStatuses", default=[]) or []
    containers = _dig(obj, "spec", "containers", default=[]) or []
    return f"{sum(1 for s in statuses if s.get('ready'))}/{len(containers)}"


COLUMNS: dict[tuple[str, str], list[Column]] = {
    ("cluster.karmada.io", "Cluster"): [
        Column("READY", lambda o: _condition(o, "Ready")),
        Column("MODE", lambda o: _dig(o, "spec", "syncMode", default="Push")),
        Column("VERSION", lambda o: _dig(o, "status", "kubernetesVersion", default="-")),
        Column("PROVIDER", lambda o: _dig(o, "spec", "provider", default="-")),
        Column("REGION", lambda o: _dig(o, "spec", "region", default="-")),
        Column("NODES", _nodes),
        Column("CPU", _cluster_resource("cpu")),
        Column("MEMORY", _cluster_resource("memory", unit="Gi")),
        Column("GPUS", _cluster_resource("nvidia.com/gpu")),
        Column(
            "ZONE",
            lambda o: ",".join(_dig(o, "spec", "zones", default=[]) or []) or "-",
            wide_only=True,
        ),
    ],
    ("apps", "Deployment"): [
        Column("READY", _ready_replicas),
        Column("UP-TO-DATE", lambda o: str(_dig(o, "status", "updatedReplicas", default=0))),
        Column("AVAILABLE", lambda o: str(_dig(o, "status", "availableReplicas", default=0))),
    ],
    ("apps", "StatefulSet"): [Column("READY", _ready_replicas)],
    ("", "Pod"): [
        Column("READY", _pod_ready),
        Column("STATUS", lambda o: _dig(o, "status", "phase", default="Unknown")),
        Column("NODE", lambda o: _dig(o, "spec", "nodeName", default="<none>"), wide_only=True),
    ],
    ("", "Namespace"): [Column("STATUS", lambda o: _dig(o, "status", "phase", default="Active"))],
    ("", "Node"): [
        Column("STATUS", lambda o: "Ready" if _condition(o, "Ready") == "True" else "NotReady")
    ],
    ("work.karmada.io", "ResourceBinding"): [
        Column("SCHEDULED", lambda o: _condition(o, "Scheduled")),
        Column("FULLYAPPLIED", fully_applied),
        Column("CLUSTERS", _binding_clusters),
    ],
    ("work.karmada.io", "ClusterResourceBinding"): [
        Column("SCHEDULED", lambda o: _condition(o, "Scheduled")),
        Column("FULLYAPPLIED", fully_applied),
        Column("CLUSTERS", _binding_clusters),
    ],
    ("fleet.kurator.dev", "Fleet"): [
        Column("PHASE", lambda o: _dig(o, "status", "phase", default="Pending")),
        Column(
            "READY",
            lambda o: (
                f"{_dig(o, 'status', 'readyClusters', default=0)}/"
                f"{len(_dig(o, 'spec', 'clusters', default=[]) or [])}"
            ),
        ),
    ],
    ("cluster.kurator.dev", "AttachedCluster"): [
        Column("READY", lambda o: _condition(o, "Ready")),
    ],
}


def group_of(obj: Object) -> str:
    api_version = obj.get("apiVersion", "")
    return api_version.split("/")[0] if "/" in api_version else ""


def table(
    objects: list[Object], *, kind_group: tuple[str, str], all_namespaces: bool, wide: bool = False
) -> str:
    columns = [c for c in COLUMNS.get(kind_group, []) if wide or not c.wide_only]
    headers = (["NAMESPACE"] if all_namespaces else []) + ["NAME"] + [c.header for c in columns]
    headers.append("AGE")
    rows = []
    for obj in objects:
        metadata = obj.get("metadata", {})
        row = [metadata.get("namespace", "")] if all_namespaces else []
        row.append(metadata.get("name", ""))
        row += [str(column.cell(obj)) for column in columns]
        row.append(age(obj))
        rows.append(row)
    return render_rows(headers, rows)


def render_rows(headers: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(headers[i]), *(len(row[i]) for row in rows)) if rows else len(headers[i])
        for i in range(len(headers))
    ]
    lines = [
        "   ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [headers, *rows]
    ]
    return "\n".join(lines)


def as_yaml(obj: Object) -> str:
    import yaml

    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False)


def as_json(obj: Object) -> str:
    return json.dumps(obj, indent=4)


def as_name(obj: Object, *, group_resource: str) -> str:
    return (
        f"{group_resource.split('.')[0] if '.' not in group_resource else group_resource}/"
        f"{obj.get('metadata', {}).get('name', '')}"
    )
