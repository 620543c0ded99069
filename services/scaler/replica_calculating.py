"""Kubernetes' HPA replica calculator (`pkg/controller/podautoscaler/replica_calculator.go`).

`desired = ceil(ready pods * current / target)`, skipped within the tolerance; pods being
deleted or failed are ignored, pending and (for CPU) not-yet-ready pods are set aside, and
pods without metrics are assumed to use 100 % (scale-down) or 0 % (scale-up) of their request
before the ratio is recomputed, so missing data never pushes the scale further than the data
says. Karmada's FederatedHPA divides by a `calibration` (member replicas / template replicas);
it is 1.0 for a plain HPA, which leaves Kubernetes' numbers untouched.

Values are milli-units as plain ints, times are epoch seconds; nothing here does I/O.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

PodPhase = Literal["Pending", "Running", "Succeeded", "Failed", "Unknown"]
ReadyStatus = Literal["True", "False", "Unknown"]
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
GO_ZERO_TIME = -62135596800.0
"""`time.Time{}` in epoch seconds: what an unset condition transition time compares as."""


class MetricComputationError(Exception):
    """A metric that gives no replica count; the text is the HPA controller's own error."""


@dataclass(frozen=True, slots=True)
class Tolerances:
    """How far the usage ratio may drift from 1.0 before the HPA acts, per direction."""

    scale_down: float = 0.1
    scale_up: float = 0.1

    def is_within(self, usage_ratio: float) -> bool:
        return (1.0 - self.scale_down) <= usage_ratio <= (1.0 + self.scale_up)


@dataclass(frozen=True, slots=True)
class CalculatorSettings:
    """kube-controller-manager's `--horizontal-pod-autoscaler-*` flags, with their defaults."""

    tolerance: float = 0.1
    cpu_initialization_period: float = 300.0
    initial_readiness_delay: float = 30.0
    downscale_stabilization_window: float = 300.0


@dataclass(frozen=True, slots=True)
class ContainerRequests:
    """One container's requests in milli-units.

    A pod lists its containers, then its restartable (sidecar) init containers, as the
    controller counts them; plain init containers are left out.
    """

    name: str
    requests: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PodSample:
    """What the calculator needs to know about one pod matched by the target's selector."""

    name: str
    containers: tuple[ContainerRequests, ...] = ()
    phase: PodPhase = "Running"
    ready: ReadyStatus | None = "True"
    ready_transition_time: float = GO_ZERO_TIME
    start_time: float | None = GO_ZERO_TIME
    deleting: bool = False
    pod_requests: Mapping[str, int] | None = None


@dataclass(slots=True)
class PodMetric:
    """One pod's metric value (milli-units) and the sample's timestamp and window."""

    value: int
    timestamp: float = 0.0
    window: float = 60.0


@dataclass(frozen=True, slots=True)
class ContainerUsage:
    """A resource-metrics sample of one pod: usage per container, in milli-units."""

    containers: Mapping[str, int]
    timestamp: float = 0.0
    window: float = 60.0


@dataclass(slots=True)
class ResourceProposal:
    replicas: int
    utilization: int
    raw_average: int
    timestamp: float


@dataclass(slots=True)
class PodGroups:
    ready_count: int
    unready: set[str]
    missing: set[str]
    ignored: set[str]


def resource_pod_metrics(
    usage: Mapping[str, ContainerUsage], *, container: str = ""
) -> tuple[dict[str, PodMetric], float]:
    """Per-pod values as the metrics client reports them: the container's, or the pod's sum."""
    metrics: dict[str, PodMetric] = {}
    timestamp = 0.0
    first = True
    for pod_name, sample in usage.items():
        if first:
            timestamp, first = sample.timestamp, False
        if container:
            if container not in sample.containers:
                continue
            value = sample.containers[container]
        else:
            value = sum(sample.containers.values())
        metrics[pod_name] = PodMetric(value, sample.timestamp, sample.window)
    return metrics, timestamp


def group_pods(
    pods: Iterable[PodSample],
    metrics: Mapping[str, PodMetric],
    *,
    resource: str,
    now: float,
    settings: CalculatorSettings,
) -> PodGroups:
    """`groupPods`: CPU samples of pods still warming up are not trusted."""
    groups = PodGroups(0, set(), set(), set())
    for pod in pods:
        if pod.deleting or pod.phase == "Failed":
            groups.ignored.add(pod.name)
            continue
        if pod.phase == "Pending":
            groups.unready.add(pod.name)
            continue
        metric = metrics.get(pod.name)
        if metric is None:
            groups.missing.add(pod.name)
            continue
        if resource == "cpu" and _cpu_sample_unready(pod, metric, now=now, settings=settings):
            groups.unready.add(pod.name)
            continue
        groups.ready_count += 1
    return groups


def _cpu_sample_unready(
    pod: PodSample, metric: PodMetric, *, now: float, settings: CalculatorSettings
) -> bool:
    if pod.ready is None or pod.start_time is None:
        return True
    if pod.start_time + settings.cpu_initialization_period > now:
        return pod.ready == "False" or metric.timestamp < pod.ready_transition_time + metric.window
    return (
        pod.ready == "False"
        and pod.start_time + settings.initial_readiness_delay > pod.ready_transition_time
    )


def calculate_requests(
    pods: Iterable[PodSample], *, container: str, resource: str
) -> dict[str, int]:
    """`calculateRequests`: pod-level requests when set, else the containers' (and sidecars')."""
    requests: dict[str, int] = {}
    for pod in pods:
        if pod.pod_requests and not container:
            if resource not in pod.pod_requests:
                raise MetricComputationError(
                    f"missing pod-level request for {resource} in Pod {pod.name}"
                )
            requests[pod.name] = pod.pod_requests[resource]
            continue
        requests[pod.name] = _container_requests(pod, container=container, resource=resource)
    return requests


def _container_requests(pod: PodSample, *, container: str, resource: str) -> int:
    total = 0
    for spec in pod.containers:
        if container and spec.name != container:
            continue
        if resource not in spec.requests:
            raise MetricComputationError(
                f"missing request for {resource} in container {spec.name} of Pod {pod.name}"
            )
        total += spec.requests[resource]
        if container:
            return total
    if container:
        raise MetricComputationError(f"container {container} not found in Pod {pod.name}")
    return total


def resource_utilization_ratio(
    metrics: Mapping[str, PodMetric], requests: Mapping[str, int], target_utilization: int
) -> tuple[float, int, int]:
    """`GetResourceUtilizationRatio`: (ratio, utilization %, average raw value)."""
    metrics_total = requests_total = entries = 0
    for pod_name, metric in metrics.items():
        request = requests.get(pod_name)
        if request is None:
            continue
        metrics_total += metric.value
        requests_total += request
        entries += 1
    if requests_total == 0:
        raise MetricComputationError("no metrics returned matched known pods")
    utilization = metrics_total * 100 // requests_total
    return utilization / target_utilization, utilization, metrics_total // entries


def metric_usage_ratio(metrics: Mapping[str, PodMetric], target_usage: int) -> tuple[float, int]:
    """`GetMetricUsageRatio`: (ratio, average usage)."""
    usage = sum(metric.value for metric in metrics.values()) // len(metrics)
    return usage / target_usage, usage


def _int32(value: float) -> int:
    return INT32_MAX if value > INT32_MAX else int(value)


def resource_replicas(
    *,
    current_replicas: int,
    target_utilization: int,
    resource: str,
    pods: list[PodSample],
    metrics: Mapping[str, PodMetric],
    timestamp: float,
    tolerances: Tolerances,
    now: float,
    settings: CalculatorSettings,
    container: str = "",
    calibration: float = 1.0,
) -> ResourceProposal:
    """`GetResourceReplicas`: utilization as a percentage of the pods' requests."""
    if not pods:
        raise MetricComputationError("no pods returned by selector while calculating replica count")
    groups = group_pods(pods, metrics, resource=resource, now=now, settings=settings)
    kept = {
        name: metric
        for name, metric in metrics.items()
        if name not in groups.ignored and name not in groups.unready
    }
    if not kept:
        raise MetricComputationError(
            "did not receive metrics for targeted pods (pods might be unready)"
        )
    requests = calculate_requests(pods, container=container, resource=resource)
    ratio, utilization, raw = resource_utilization_ratio(kept, requests, target_utilization)
    scale_up_with_unready = bool(groups.unready) and ratio > 1.0
    if not scale_up_with_unready and not groups.missing:
        if tolerances.is_within(ratio):
            return ResourceProposal(current_replicas, utilization, raw, timestamp)
        replicas = _int32(math.ceil(ratio * groups.ready_count / calibration))
        return ResourceProposal(replicas, utilization, raw, timestamp)
    if groups.missing:
        if ratio < 1.0:
            fallback = max(100, target_utilization)
            for name in groups.missing:
                kept[name] = PodMetric(requests[name] * fallback // 100)
        elif ratio > 1.0:
            for name in groups.missing:
                kept[name] = PodMetric(0)
    if scale_up_with_unready:
        for name in groups.unready:
            kept[name] = PodMetric(0)
    new_ratio, _, _ = resource_utilization_ratio(kept, requests, target_utilization)
    if _direction_flips_or_within(ratio, new_ratio, tolerances):
        return ResourceProposal(current_replicas, utilization, raw, timestamp)
    replicas = _int32(math.ceil(new_ratio * len(kept) / calibration))
    if (new_ratio < 1.0 and replicas > current_replicas) or (
        new_ratio > 1.0 and replicas < current_replicas
    ):
        return ResourceProposal(current_replicas, utilization, raw, timestamp)
    return ResourceProposal(replicas, utilization, raw, timestamp)


def _direction_flips_or_within(ratio: float, new_ratio: float, tolerances: Tolerances) -> bool:
    return (
        tolerances.is_within(new_ratio)
        or (ratio < 1.0 and new_ratio > 1.0)
        or (ratio > 1.0 and new_ratio < 1.0)
    )


def plain_metric_replicas(
    *,
    current_replicas: int,
    target_usage: int,
    pods: list[PodSample],
    metrics: Mapping[str, PodMetric],
    tolerances: Tolerances,
    now: float,
    settings: CalculatorSettings,
    resource: str = "",
    calibration: float = 1.0,
) -> tuple[int, int]:
    """`calcPlainMetricReplicas`: a per-pod average value (Pods metrics, raw resource values)."""
    if not pods:
        raise MetricComputationError("no pods returned by selector while calculating replica count")
    groups = group_pods(pods, metrics, resource=resource, now=now, settings=settings)
    kept = {
        name: metric
        for name, metric in metrics.items()
        if name not in groups.ignored and name not in groups.unready
    }
    if not kept:
        raise MetricComputationError(
            "did not receive metrics for targeted pods (pods might be unready)"
        )
    ratio, usage = metric_usage_ratio(kept, target_usage)
    scale_up_with_unready = bool(groups.unready) and ratio > 1.0
    if not scale_up_with_unready and not groups.missing:
        if tolerances.is_within(ratio):
            return current_replicas, usage
        return _int32(math.ceil(ratio * groups.ready_count / calibration)), usage
    if groups.missing:
        if ratio < 1.0:
            for name in groups.missing:
                kept[name] = PodMetric(target_usage)
        elif ratio > 1.0:
            for name in groups.missing:
                kept[name] = PodMetric(0)
    if scale_up_with_unready:
        for name in groups.unready:
            kept[name] = PodMetric(0)
    new_ratio, _ = metric_usage_ratio(kept, target_usage)
    if _direction_flips_or_within(ratio, new_ratio, tolerances):
        return current_replicas, usage
    replicas = _int32(math.ceil(new_ratio * len(kept) / calibration))
    if (new_ratio < 1.0 and replicas > current_replicas) or (
        new_ratio > 1.0 and replicas < current_replicas
    ):
        return current_replicas, usage
    return replicas, usage


def ready_pod_count(pods: list[PodSample]) -> int:
    """`getReadyPodsCount`: running pods whose Ready condition is True."""
    if not pods:
        raise MetricComputationError("no pods returned by selector while calculating replica count")
    return sum(1 for pod in pods if pod.phase == "Running" and pod.ready == "True")


def usage_ratio_replicas(
    *,
    current_replicas: int,
    usage_ratio: float,
    pods: list[PodSample],
    tolerances: Tolerances,
    calibration: float = 1.0,
) -> int:
    """`getUsageRatioReplicaCount`: from zero replicas the tolerance and pods don't apply."""
    if current_replicas == 0:
        return _int32(math.ceil(usage_ratio))
    if tolerances.is_within(usage_ratio):
        return current_replicas
    try:
        ready = ready_pod_count(pods)
    except MetricComputationError as error:
        raise MetricComputationError(f"unable to calculate ready pods: {error}") from error
    return _int32(math.ceil(usage_ratio * ready / calibration))


def per_pod_replicas(
    *, status_replicas: int, usage: int, target_per_pod: int, tolerances: Tolerances
) -> tuple[int, int]:
    """`GetObjectPerPodMetricReplicas`/`GetExternalPerPodMetricReplicas`: total ÷ per-pod target."""
    replicas = status_replicas
    ratio = usage / (target_per_pod * replicas) if replicas else math.inf
    if not tolerances.is_within(ratio):
        replicas = _int32(math.ceil(usage / target_per_pod))
    if usage >= INT64_MAX:
        return replicas, INT64_MAX
    average = math.ceil(usage / status_replicas) if status_replicas else INT64_MAX
    return replicas, average


def external_total(values: Iterable[int]) -> int:
    """Sum of an external metric's series, capped at MaxInt64 like the controller."""
    total = 0
    for value in values:
        if value > 0 and total > INT64_MAX - value:
            return INT64_MAX
        total += value
    return total
