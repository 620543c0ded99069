"""Member object status → the binding's `status.aggregatedStatus[]` and the template's status.

Pure functions, as Karmada's default resource interpreter does it (`ReflectStatus`,
`InterpretHealth`, `AggregateStatus` in `pkg/resourceinterpreter/default/native`): the
reconcile loop reads the member caches, this module decides what the hub shows.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Literal

Object = Mapping[str, Any]
Health = Literal["Healthy", "Unhealthy", "Unknown"]

# Fields each kind's ReflectStatus keeps; kinds not listed reflect their whole status.
_REFLECTED_FIELDS: dict[str, tuple[str, ...]] = {
    "Deployment": (
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
        "unavailableReplicas",
        "observedGeneration",
    ),
    "StatefulSet": (
        "replicas",
        "readyReplicas",
        "currentReplicas",
        "updatedReplicas",
        "availableReplicas",
        "observedGeneration",
    ),
    "ReplicaSet": ("replicas", "readyReplicas", "availableReplicas", "observedGeneration"),
    "DaemonSet": (
        "currentNumberScheduled",
        "desiredNumberScheduled",
        "numberAvailable",
        "numberMisscheduled",
        "numberReady",
        "updatedNumberScheduled",
        "numberUnavailable",
        "observedGeneration",
    ),
    "Job": ("active", "succeeded", "failed", "startTime", "completionTime", "conditions"),
}
# What the hub template's status sums over the fleet, per kind.
_SUMMED_FIELDS: dict[str, tuple[str, ...]] = {
    "Deployment": ("replicas", "readyReplicas", "availableReplicas", "updatedReplicas"),
    "StatefulSet": ("replicas", "readyReplicas", "availableReplicas", "updatedReplicas"),
    "ReplicaSet": ("replicas", "readyReplicas", "availableReplicas"),
    "Job": ("active", "succeeded", "failed"),
}


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _status(obj: Object) -> Mapping[str, Any]:
    status = obj.get("status")
    return status if isinstance(status, Mapping) else {}


def _spec(obj: Object) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _generation_observed(obj: Object) -> bool:
    metadata = obj.get("metadata") or {}
    return _int(metadata.get("generation"), 0) == _int(_status(obj).get("observedGeneration"), -1)


def reflect_status(obj: Object) -> dict[str, Any] | None:
    """The part of a member object's status the binding records (None: no status yet)."""
    status = _status(obj)
    if not status:
        return None
    fields = _REFLECTED_FIELDS.get(str(obj.get("kind")))
    if fields is None:
        return dict(status)
    return {field: status[field] for field in fields if field in status}


def _condition_true(conditions: Any, condition_type: str) -> bool:
    return isinstance(conditions, list) and any(
        isinstance(c, Mapping) and c.get("type") == condition_type and c.get("status") == "True"
        for c in conditions
    )


def interpret_health(obj: Object | None) -> Health:
    """Karmada's InterpretHealth for the kinds it knows; Unknown for any other kind or no object."""
    if obj is None:
        return "Unknown"
    kind = obj.get("kind")
    status = _status(obj)
    spec = _spec(obj)
    healthy: bool
    if kind in ("Deployment", "StatefulSet"):
        healthy = _int(status.get("updatedReplicas")) == _int(
            spec.get("replicas"), 1
        ) and _generation_observed(obj)
    elif kind == "ReplicaSet":
        healthy = _int(status.get("availableReplicas")) == _int(
            spec.get("replicas"), 1
        ) and _generation_observed(obj)
    elif kind == "DaemonSet":
        healthy = _int(status.get("updatedNumberScheduled")) == _int(
            status.get("desiredNumberScheduled")
        ) and _generation_observed(obj)
    elif kind == "Job":
        healthy = not _condition_true(status.get("conditions"), "Failed")
    elif kind == "Pod":
        phase = status.get("phase")
        healthy = phase == "Succeeded" or (
            phase == "Running" and _condition_true(status.get("conditions"), "Ready")
        )
    elif kind == "PersistentVolumeClaim":
        healthy = status.get("phase") == "Bound"
    elif kind in ("Service", "Ingress"):
        if kind == "Service" and spec.get("type") != "LoadBalancer":
            return "Healthy"
        ingress = (status.get("loadBalancer") or {}).get("ingress")
        healthy = bool(ingress)
    else:
        return "Unknown"
    return "Healthy" if healthy else "Unhealthy"


def aggregated_item(
    *,
    cluster: str,
    live: Object | None,
    applied: bool,
    applied_message: str,
) -> dict[str, Any]:
    """One `aggregatedStatus[]` entry in Karmada's wire shape."""
    item: dict[str, Any] = {"clusterName": cluster}
    reflected = reflect_status(live) if live is not None else None
    if reflected is not None:
        item["status"] = reflected
    item["applied"] = applied
    if applied_message:
        item["appliedMessage"] = applied_message
    item["health"] = interpret_health(live) if live is not None else "Unknown"
    return item


def template_status(
    kind: str, items: Sequence[Mapping[str, Any]], *, current: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """The hub template's status: fleet-wide sums of the members' counts (None: a kind
    without summed fields keeps whatever status it has). Other fields of `current` stay."""
    fields = _SUMMED_FIELDS.get(kind)
    if fields is None:
        return None
    summed = dict(current or {})
    for field in fields:
        summed[field] = sum(_int((item.get("status") or {}).get(field)) for item in items)
    return summed
