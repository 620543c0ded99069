"""What the fleet says, in the cores' terms: member pods as `PodSample`s, telemetry's
PodMetrics as `MetricObservation`s, one per metric spec.

Pods of several clusters can share a name, so every pod is keyed `<cluster>/<pod>` on both
sides. Only Resource and ContainerResource metrics come from `metrics.k8s.io`; the other
metric types are answered with the metrics API's error, so the HPA reports it and holds.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from services.scaler.metric_proposals import MetricObservation
from services.scaler.models import MetricSpec, milli_quantity
from services.scaler.replica_calculating import (
    GO_ZERO_TIME,
    ContainerRequests,
    ContainerUsage,
    PodPhase,
    PodSample,
    ReadyStatus,
)
from shared.api.aggregated import CLUSTER_LABEL

Object = dict[str, Any]
PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
READY_STATUSES = ("True", "False", "Unknown")
UNSUPPORTED_SOURCE = "the scaler reads only Resource and ContainerResource metrics"


def epoch(text: str | None) -> float | None:
    """An RFC 3339 timestamp in epoch seconds; None when unset or unreadable."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def duration_seconds(text: str | None, *, default: float = 60.0) -> float:
    """A Go duration as metrics-server writes `window` (`15s`, `1m0s`, `30.5s`)."""
    if not text:
        return default
    total, number = 0.0, ""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0}
    for char in text:
        if char.isdigit() or char == ".":
            number += char
        elif char in units and number:
            total += float(number) * units[char]
            number = ""
        else:
            return default
    return total if not number else default


def pod_key(cluster: str, name: str) -> str:
    return f"{cluster}/{name}"


def _milli_requests(container: Object) -> dict[str, int]:
    requests = ((container.get("resources") or {}).get("requests")) or {}
    return {name: milli_quantity(str(value)) for name, value in requests.items()}


def pod_sample(cluster: str, pod: Object) -> PodSample:
    """`PodSample` of a member pod: containers then sidecar init containers, readiness."""
    metadata, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    containers = [
        ContainerRequests(name=item["name"], requests=_milli_requests(item))
        for item in spec.get("containers") or []
    ]
    containers += [
        ContainerRequests(name=item["name"], requests=_milli_requests(item))
        for item in spec.get("initContainers") or []
        if item.get("restartPolicy") == "Always"
    ]
    ready: ReadyStatus | None = None
    transition = GO_ZERO_TIME
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready" and condition.get("status") in READY_STATUSES:
            ready = cast(ReadyStatus, condition["status"])
            transition = epoch(condition.get("lastTransitionTime")) or GO_ZERO_TIME
    phase = status.get("phase") if status.get("phase") in PHASES else "Pending"
    pod_requests = ((spec.get("resources") or {}).get("requests")) or None
    return PodSample(
        name=pod_key(cluster, metadata["name"]),
        containers=tuple(containers),
        phase=cast(PodPhase, phase),
        ready=ready,
        ready_transition_time=transition,
        start_time=epoch(status.get("startTime")),
        deleting=bool(metadata.get("deletionTimestamp")),
        pod_requests=(
            {name: milli_quantity(str(value)) for name, value in pod_requests.items()}
            if pod_requests
            else None
        ),
    )


def resource_usage(items: Sequence[Object], *, resource: str) -> dict[str, ContainerUsage]:
    """One resource's usage per pod, from PodMetrics labelled with their cluster."""
    usage: dict[str, ContainerUsage] = {}
    for item in items:
        metadata = item.get("metadata") or {}
        cluster = (metadata.get("labels") or {}).get(CLUSTER_LABEL, "")
        containers = {
            container["name"]: milli_quantity(str(container["usage"][resource]))
            for container in item.get("containers") or []
            if resource in (container.get("usage") or {})
        }
        usage[pod_key(cluster, metadata.get("name", ""))] = ContainerUsage(
            containers=containers,
            timestamp=epoch(item.get("timestamp")) or 0.0,
            window=duration_seconds(item.get("window")),
        )
    return usage


def observations(
    metrics: Sequence[MetricSpec], *, pod_metrics: Sequence[Object] | None, error: str | None
) -> list[MetricObservation]:
    """One observation per metric spec; `error` (the metrics API failed) applies to all."""
    observed: list[MetricObservation] = []
    cached: dict[str, Mapping[str, ContainerUsage]] = {}
    for metric in metrics:
        source = metric.resource or metric.container_resource
        if metric.type not in ("Resource", "ContainerResource") or source is None:
            observed.append(MetricObservation(error=UNSUPPORTED_SOURCE))
        elif error is not None or pod_metrics is None:
            observed.append(MetricObservation(error=error or "no metrics"))
        else:
            if source.name not in cached:
                cached[source.name] = resource_usage(pod_metrics, resource=source.name)
            observed.append(MetricObservation(usage=cached[source.name]))
    return observed
