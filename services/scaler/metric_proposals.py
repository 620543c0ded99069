"""One replica proposal per metric spec, with its `status.currentMetrics` entry and wording.

Mirrors `computeReplicasForMetric(s)` and `computeStatusFor*Metric` in `horizontal.go`: the
highest proposal wins; if every metric fails, or some fail and the rest would scale down, the
HPA does not scale and reports the first failure.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from services.scaler.models import (
    ContainerResourceMetricStatus,
    CrossVersionObjectReference,
    ExternalMetricStatus,
    MetricIdentifier,
    MetricSpec,
    MetricStatus,
    MetricTarget,
    MetricValueStatus,
    ObjectMetricStatus,
    PodsMetricStatus,
    ResourceMetricStatus,
    build,
    milli_quantity,
)
from services.scaler.replica_calculating import (
    CalculatorSettings,
    ContainerUsage,
    MetricComputationError,
    PodMetric,
    PodSample,
    Tolerances,
    external_total,
    per_pod_replicas,
    plain_metric_replicas,
    resource_pod_metrics,
    resource_replicas,
    usage_ratio_replicas,
)
from shared.api.meta import LabelSelector
from shared.quantity import format_quantity


@dataclass(frozen=True, slots=True)
class MetricObservation:
    """What the service fetched for the metric spec at the same index.

    `error` is the metrics API's error text; otherwise the field for the metric's type is set:
    `usage` (Resource, ContainerResource), `pod_values` (Pods), `value` (Object) or
    `values` (External series), all in milli-units.
    """

    usage: Mapping[str, ContainerUsage] | None = None
    pod_values: Mapping[str, PodMetric] | None = None
    value: int | None = None
    values: tuple[int, ...] | None = None
    timestamp: float = 0.0
    error: str | None = None


@dataclass(slots=True)
class MetricContext:
    """Everything the proposals share within one evaluation."""

    namespace: str
    spec_replicas: int
    status_replicas: int
    pods: list[PodSample]
    tolerances: Tolerances
    settings: CalculatorSettings
    now: float
    calibration: float = 1.0


@dataclass(slots=True)
class MetricFailure:
    reason: str
    message: str
    error: str


@dataclass(slots=True)
class MetricsOutcome:
    """`replicas` is -1 when the HPA must not act on the metrics (then `failure` says why)."""

    replicas: int
    metric_name: str
    statuses: list[MetricStatus]
    failure: MetricFailure | None
    invalid_count: int


@lru_cache(maxsize=4096)
def milli_text(milli: int) -> str:
    """`resource.NewMilliQuantity(v, DecimalSI).String()`."""
    return format_quantity(Decimal(milli).scaleb(-3))


def go_selector_text(selector: LabelSelector | None) -> str:
    """How Go's `%+v` prints a `*metav1.LabelSelector` inside the controller's metric names."""
    if selector is None:
        return "<nil>"
    labels = "".join(
        f"{key}: {selector.match_labels[key]}," for key in sorted(selector.match_labels)
    )
    expressions = "".join(
        f"LabelSelectorRequirement{{Key:{item.key},Operator:{item.operator},"
        f"Values:[{' '.join(item.values)}],}},"
        for item in selector.match_expressions
    )
    return (
        f"&LabelSelector{{MatchLabels:map[string]string{{{labels}}},"
        f"MatchExpressions:[]LabelSelectorRequirement{{{expressions}}},}}"
    )


def _unable(reason: str, error: str, wrapped: str) -> MetricFailure:
    return MetricFailure(
        reason, f"the HPA was unable to compute the replica count: {error}", wrapped
    )


class MetricProposalError(Exception):
    """A metric gave no proposal; `failure` holds the condition and the controller's error."""

    def __init__(self, failure: MetricFailure):
        super().__init__(failure.error)
        self.failure = failure


_EMPTY = build(MetricStatus, type="")


def _resource_generic(
    *,
    name: str,
    target: MetricTarget,
    container: str,
    observation: MetricObservation,
    context: MetricContext,
    container_metric: bool,
) -> tuple[int, MetricValueStatus, str]:
    """`computeStatusForResourceMetricGeneric`."""
    if target.average_value is None and target.average_utilization is None:
        raise MetricComputationError(
            "invalid resource metric source: neither an average utilization target nor an "
            "average value (usage) target was set"
        )
    try:
        if observation.error is not None:
            raise MetricComputationError(
                f"unable to get metrics for resource {name}: {observation.error}"
            )
        if not observation.usage:
            raise MetricComputationError(
                f"unable to get metrics for resource {name}: "
                "no metrics returned from resource metrics API"
            )
        metrics, timestamp = resource_pod_metrics(observation.usage, container=container)
    except MetricComputationError as error:
        kind = "usage" if target.average_value is not None else "utilization"
        raise MetricComputationError(f"failed to get {name} {kind}: {error}") from error
    if target.average_value is not None:
        try:
            replicas, usage = plain_metric_replicas(
                current_replicas=context.spec_replicas,
                target_usage=milli_quantity(target.average_value),
                pods=context.pods,
                metrics=metrics,
                tolerances=context.tolerances,
                now=context.now,
                settings=context.settings,
                resource=name,
                calibration=context.calibration,
            )
        except MetricComputationError as error:
            raise MetricComputationError(f"failed to get {name} usage: {error}") from error
        current = build(MetricValueStatus, average_value=milli_text(usage))
        return replicas, current, f"{name} resource"
    try:
        proposal = resource_replicas(
            current_replicas=context.spec_replicas,
            target_utilization=target.average_utilization or 0,
            resource=name,
            pods=context.pods,
            metrics=metrics,
            timestamp=timestamp,
            tolerances=context.tolerances,
            now=context.now,
            settings=context.settings,
            container=container,
            calibration=context.calibration,
        )
    except MetricComputationError as error:
        raise MetricComputationError(f"failed to get {name} utilization: {error}") from error
    current = build(
        MetricValueStatus,
        average_utilization=proposal.utilization,
        average_value=milli_text(proposal.raw_average),
    )
    kind = "container resource" if container_metric else "resource"
    return proposal.replicas, current, f"{name} {kind} utilization (percentage of request)"


class _Failed(Exception):
    """A custom-metric failure: the condition quotes `condition_error`, the error wraps more."""

    def __init__(self, condition_error: str, error: str):
        super().__init__(error)
        self.condition_error = condition_error


def _object_metric(
    spec: MetricSpec, observation: MetricObservation, context: MetricContext
) -> tuple[int, MetricStatus, str]:
    source = spec.object
    assert source is not None
    described: CrossVersionObjectReference = source.described_object
    identifier = build(MetricIdentifier, name=source.metric.name, selector=source.metric.selector)
    target = source.target
    if not (
        (target.type == "Value" and target.value is not None)
        or (target.type == "AverageValue" and target.average_value is not None)
    ):
        text = (
            "invalid object metric source: neither a value target nor an average value target "
            "was set"
        )
        raise _Failed(text, text)
    if observation.error is not None or observation.value is None:
        # The controller's own argument order: kind and namespace before the object name.
        text = (
            f"unable to get metric {source.metric.name}: {described.kind} on {context.namespace} "
            f"{described.name}/{observation.error or 'no metric value'}"
        )
        if target.type == "Value":
            raise _Failed(text, text)
        raise _Failed(text, f"failed to get {source.metric.name} object metric: {text}")
    usage = observation.value
    if target.type == "Value":
        try:
            replicas = usage_ratio_replicas(
                current_replicas=context.spec_replicas,
                usage_ratio=usage / milli_quantity(target.value or "0"),
                pods=context.pods,
                tolerances=context.tolerances,
                calibration=context.calibration,
            )
        except MetricComputationError as error:
            raise _Failed(str(error), str(error)) from error
        current = build(MetricValueStatus, value=milli_text(usage))
        status = build(
            ObjectMetricStatus, described_object=described, metric=identifier, current=current
        )
        name = f"{described.kind} metric {source.metric.name}"
        return replicas, build(MetricStatus, type="Object", object=status), name
    replicas, average = per_pod_replicas(
        status_replicas=context.status_replicas,
        usage=usage,
        target_per_pod=milli_quantity(target.average_value or "0"),
        tolerances=context.tolerances,
    )
    current = build(MetricValueStatus, average_value=milli_text(average))
    status = build(ObjectMetricStatus, metric=identifier, current=current)
    name = f"external metric {source.metric.name}({go_selector_text(source.metric.selector)})"
    return replicas, build(MetricStatus, type="Object", object=status), name


def _external_metric(
    spec: MetricSpec, observation: MetricObservation, context: MetricContext
) -> tuple[int, MetricStatus, str]:
    source = spec.external
    assert source is not None
    metric_name = source.metric.name
    identifier = build(MetricIdentifier, name=metric_name, selector=source.metric.selector)
    name = f"external metric {metric_name}({go_selector_text(source.metric.selector)})"
    target = source.target
    if target.average_value is None and target.value is None:
        text = (
            "invalid external metric source: neither a value target nor an average value target "
            "was set"
        )
        raise _Failed(text, text)
    fetch_error = None
    if observation.error is not None or observation.values is None:
        fetch_error = (
            f"unable to get external metric {context.namespace}/{metric_name}/"
            f"{go_selector_text(source.metric.selector)}: {observation.error or 'no metric values'}"
        )
    if target.average_value is not None:
        if fetch_error is not None:
            raise _Failed(
                fetch_error, f"failed to get {metric_name} external metric: {fetch_error}"
            )
        replicas, average = per_pod_replicas(
            status_replicas=context.status_replicas,
            usage=external_total(observation.values or ()),
            target_per_pod=milli_quantity(target.average_value),
            tolerances=context.tolerances,
        )
        current = build(MetricValueStatus, average_value=milli_text(average))
    else:
        try:
            if fetch_error is not None:
                raise MetricComputationError(fetch_error)
            usage = external_total(observation.values or ())
            replicas = usage_ratio_replicas(
                current_replicas=context.spec_replicas,
                usage_ratio=usage / milli_quantity(target.value or "0"),
                pods=context.pods,
                tolerances=context.tolerances,
            )
        except MetricComputationError as error:
            raise _Failed(
                str(error), f"failed to get external metric {metric_name}: {error}"
            ) from error
        current = build(MetricValueStatus, value=milli_text(usage))
    status = build(ExternalMetricStatus, metric=identifier, current=current)
    return replicas, build(MetricStatus, type="External", external=status), name


def _pods_metric(
    spec: MetricSpec, observation: MetricObservation, context: MetricContext
) -> tuple[int, MetricStatus, str]:
    source = spec.pods
    assert source is not None
    try:
        if observation.error is not None or observation.pod_values is None:
            raise MetricComputationError(
                f"unable to get metric {source.metric.name}: {observation.error or 'no metrics'}"
            )
        replicas, usage = plain_metric_replicas(
            current_replicas=context.spec_replicas,
            target_usage=milli_quantity(source.target.average_value or "0"),
            pods=context.pods,
            metrics=observation.pod_values,
            tolerances=context.tolerances,
            now=context.now,
            settings=context.settings,
            calibration=context.calibration,
        )
    except MetricComputationError as error:
        raise _Failed(str(error), str(error)) from error
    identifier = build(MetricIdentifier, name=source.metric.name, selector=source.metric.selector)
    current = build(MetricValueStatus, average_value=milli_text(usage))
    status = build(PodsMetricStatus, metric=identifier, current=current)
    name = f"pods metric {source.metric.name}"
    return replicas, build(MetricStatus, type="Pods", pods=status), name


def compute_replicas_for_metric(
    spec: MetricSpec, observation: MetricObservation, context: MetricContext
) -> tuple[int, MetricStatus, str]:
    """One metric's proposal; raises `MetricProposalError` worded like the controller."""
    if spec.type == "Resource" and spec.resource is not None:
        source = spec.resource
        try:
            replicas, current, name = _resource_generic(
                name=source.name,
                target=source.target,
                container="",
                observation=observation,
                context=context,
                container_metric=False,
            )
        except MetricComputationError as error:
            raise MetricProposalError(
                _unable(
                    "FailedGetResourceMetric",
                    str(error),
                    f"failed to get {source.name} resource metric value: {error}",
                )
            ) from error
        status = build(ResourceMetricStatus, name=source.name, current=current)
        return replicas, build(MetricStatus, type="Resource", resource=status), name
    if spec.type == "ContainerResource" and spec.container_resource is not None:
        container_source = spec.container_resource
        try:
            replicas, current, name = _resource_generic(
                name=container_source.name,
                target=container_source.target,
                container=container_source.container,
                observation=observation,
                context=context,
                container_metric=True,
            )
        except MetricComputationError as error:
            raise MetricProposalError(
                _unable(
                    "FailedGetContainerResourceMetric",
                    str(error),
                    f"failed to get {container_source.container} container metric value: {error}",
                )
            ) from error
        container_status = build(
            ContainerResourceMetricStatus,
            name=container_source.name,
            container=container_source.container,
            current=current,
        )
        return (
            replicas,
            build(MetricStatus, type="ContainerResource", container_resource=container_status),
            name,
        )
    return _custom_metric(spec, observation, context)


def _custom_metric(
    spec: MetricSpec, observation: MetricObservation, context: MetricContext
) -> tuple[int, MetricStatus, str]:
    if spec.type == "Pods" and spec.pods is not None:
        reason, compute, outer = (
            "FailedGetPodsMetric",
            _pods_metric,
            "failed to get pods metric value",
        )
    elif spec.type == "Object" and spec.object is not None:
        reason, compute = "FailedGetObjectMetric", _object_metric
        outer = "failed to get object metric value"
    elif spec.type == "External" and spec.external is not None:
        reason, compute = "FailedGetExternalMetric", _external_metric
        outer = f"failed to get {spec.external.metric.name} external metric value"
    else:
        error = f'unknown metric source type "{spec.type}"'
        raise MetricProposalError(_unable("InvalidMetricSourceType", error, error))
    try:
        return compute(spec, observation, context)
    except _Failed as failed:
        raise MetricProposalError(
            _unable(reason, failed.condition_error, f"{outer}: {failed}")
        ) from failed


def compute_replicas_for_metrics(
    specs: Sequence[MetricSpec],
    observations: Sequence[MetricObservation],
    context: MetricContext,
) -> MetricsOutcome:
    """`computeReplicasForMetrics`: the maximum proposal, failures counted."""
    replicas = 0
    metric_name = ""
    statuses: list[MetricStatus] = []
    first_failure: MetricFailure | None = None
    invalid = 0
    missing = MetricObservation(error="no metrics observed")
    for index, spec in enumerate(specs):
        observation = observations[index] if index < len(observations) else missing
        try:
            proposal, status, name = compute_replicas_for_metric(spec, observation, context)
        except MetricProposalError as error:
            statuses.append(_EMPTY)
            if first_failure is None:
                first_failure = error.failure
            invalid += 1
            continue
        statuses.append(status)
        if replicas == 0 or proposal > replicas:
            replicas, metric_name = proposal, name
    failure = None
    if first_failure is not None:
        failure = MetricFailure(
            first_failure.reason,
            first_failure.message,
            f"invalid metrics ({invalid} invalid out of {len(specs)}), first error is: "
            f"{first_failure.error}",
        )
    if invalid >= len(specs) or (invalid > 0 and replicas < context.spec_replicas):
        return MetricsOutcome(-1, "", statuses, failure, invalid)
    return MetricsOutcome(replicas, metric_name, statuses, failure, invalid)
