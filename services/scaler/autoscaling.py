"""One HPA evaluation, `reconcileAutoscaler` without the I/O: scale in, decision out.

The service reads the target's scale, the pods and the metrics, calls `evaluate`, writes
`spec.replicas` when `decision.rescale`, then keeps `decision.status` and `decision.history`
(or, if the write failed, `rescale_failed(decision, ...)`'s). The same core serves plain HPAs
and Karmada's FederatedHPA (whose spec has the same fields; `calibration` is Karmada's).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from services.scaler.behaviors import (
    Recommendation,
    ScaleEvent,
    ScalingRules,
    convert_with_behavior_rate,
    convert_with_rules,
    resolve_behavior,
    stabilize_recommendation,
    stabilize_with_behaviors,
    store_scale_event,
)
from services.scaler.conditions import (
    ABLE_TO_SCALE,
    SCALING_ACTIVE,
    SCALING_LIMITED,
    ConditionBook,
)
from services.scaler.metric_proposals import (
    MetricContext,
    MetricObservation,
    compute_replicas_for_metrics,
)
from services.scaler.models import (
    FederatedHPASpec,
    HorizontalPodAutoscalerSpec,
    HorizontalPodAutoscalerStatus,
    MetricStatus,
    build,
)
from services.scaler.replica_calculating import CalculatorSettings, PodSample, Tolerances


@dataclass(frozen=True, slots=True)
class ScaleObservation:
    """The target's scale subresource: `spec.replicas` and `status.replicas`."""

    spec_replicas: int
    status_replicas: int
    calibration: float = 1.0


@dataclass(slots=True)
class ScalingHistory:
    """What the controller keeps between evaluations, per HPA (recommendations, scale events).

    `recommendations` is None for an HPA never evaluated: the first evaluation seeds it with
    the current replica count, as `recordInitialRecommendation` does.
    """

    recommendations: list[Recommendation] | None = None
    scale_up_events: list[ScaleEvent] = field(default_factory=list)
    scale_down_events: list[ScaleEvent] = field(default_factory=list)


@dataclass(slots=True)
class ScalingEvent:
    """A Kubernetes Event the controller would record (type, reason, message)."""

    type: str
    reason: str
    message: str


@dataclass(slots=True)
class ScalingDecision:
    """`status` and `history` assume the rescale (if any) succeeds; see `rescale_failed`."""

    current_replicas: int
    desired_replicas: int
    rescale: bool
    rescale_reason: str
    status: HorizontalPodAutoscalerStatus
    history: ScalingHistory
    events: tuple[ScalingEvent, ...]
    error: str | None
    previous_status: HorizontalPodAutoscalerStatus
    previous_history: ScalingHistory
    metric_statuses: list[MetricStatus]
    now: float
    reference: str


def rfc3339(epoch: float) -> str:
    """metav1.Time on the wire: UTC, whole seconds."""
    return _rfc3339_seconds(int(epoch))


@lru_cache(maxsize=8)
def _rfc3339_seconds(seconds: int) -> str:
    """One sync period evaluates many HPAs at the same `now`: format it once."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=256)
def _tolerance_pair(scale_down: float, scale_up: float) -> Tolerances:
    return Tolerances(scale_down=scale_down, scale_up=scale_up)


def _tolerances(up: ScalingRules, down: ScalingRules, settings: CalculatorSettings) -> Tolerances:
    return _tolerance_pair(
        settings.tolerance if down.tolerance is None else down.tolerance,
        settings.tolerance if up.tolerance is None else up.tolerance,
    )


def evaluate(
    *,
    spec: HorizontalPodAutoscalerSpec | FederatedHPASpec,
    status: HorizontalPodAutoscalerStatus,
    namespace: str,
    scale: ScaleObservation,
    pods: list[PodSample],
    observations: Sequence[MetricObservation],
    history: ScalingHistory,
    now: float,
    settings: CalculatorSettings,
) -> ScalingDecision:
    """The HPA controller's decision for one sync period; `spec` must already be defaulted."""
    now_text = rfc3339(now)
    book = ConditionBook(status.conditions, now_text=now_text)
    book.set(
        ABLE_TO_SCALE,
        "True",
        "SucceededGetScale",
        "the HPA controller was able to get the target's current scale",
    )
    current = scale.spec_replicas
    recommendations = (
        [Recommendation(current, now)]
        if history.recommendations is None
        else history.recommendations
    )
    min_replicas = 1 if spec.min_replicas is None else spec.min_replicas
    up_rules, down_rules = resolve_behavior(spec.behavior)
    reference = f"{spec.scale_target_ref.kind}/{namespace}/{spec.scale_target_ref.name}"
    events: list[ScalingEvent] = []
    statuses: list[MetricStatus] = []
    error: str | None = None
    reason = ""
    if current == 0 and min_replicas != 0:
        desired, rescale = 0, False
        book.set(
            SCALING_ACTIVE,
            "False",
            "ScalingDisabled",
            "scaling is disabled since the replica count of the target is zero",
        )
    elif current > spec.max_replicas:
        desired, rescale, reason = (
            spec.max_replicas,
            True,
            ("Current number of replicas above Spec.MaxReplicas"),
        )
    elif current < min_replicas:
        desired, rescale, reason = (
            min_replicas,
            True,
            ("Current number of replicas below Spec.MinReplicas"),
        )
    else:
        context = MetricContext(
            namespace=namespace,
            spec_replicas=current,
            status_replicas=scale.status_replicas,
            pods=pods,
            tolerances=_tolerances(up_rules, down_rules, settings),
            settings=settings,
            now=now,
            calibration=scale.calibration,
        )
        outcome = compute_replicas_for_metrics(spec.metrics, observations, context)
        statuses = outcome.statuses
        if outcome.failure is not None:
            events.append(ScalingEvent("Warning", outcome.failure.reason, outcome.failure.message))
        if outcome.replicas == -1:
            assert outcome.failure is not None
            book.set(SCALING_ACTIVE, "False", outcome.failure.reason, outcome.failure.message)
            failed = (
                "failed to compute desired number of replicas based on listed metrics for "
                f"{reference}: {outcome.failure.error}"
            )
            events.append(
                ScalingEvent("Warning", "FailedComputeMetricsReplicas", outcome.failure.error)
            )
            kept = build(
                HorizontalPodAutoscalerStatus,
                observed_generation=status.observed_generation,
                last_scale_time=status.last_scale_time,
                current_replicas=current,
                desired_replicas=status.desired_replicas,
                current_metrics=statuses,
                conditions=book.to_models(),
            )
            kept_history = ScalingHistory(
                recommendations, history.scale_up_events, history.scale_down_events
            )
            return ScalingDecision(
                current_replicas=current,
                desired_replicas=status.desired_replicas,
                rescale=False,
                rescale_reason="",
                status=kept,
                history=kept_history,
                events=tuple(events),
                error=failed,
                previous_status=status,
                previous_history=kept_history,
                metric_statuses=statuses,
                now=now,
                reference=reference,
            )
        if outcome.failure is not None:
            error = outcome.failure.error
        book.set(
            SCALING_ACTIVE,
            "True",
            "ValidMetricFound",
            "the HPA was able to successfully calculate a replica count from "
            f"{outcome.metric_name}",
        )
        desired = max(outcome.replicas, 0)
        if desired > current:
            reason = f"{outcome.metric_name} above target"
        if desired < current:
            reason = "All metrics below target"
        if spec.behavior is None:
            desired, recommendations = _normalize(
                book,
                recommendations,
                current=current,
                desired=desired,
                min_replicas=min_replicas,
                max_replicas=spec.max_replicas,
                settings=settings,
                now=now,
            )
        else:
            desired, recommendations = _normalize_with_behaviors(
                book,
                recommendations,
                history,
                current=current,
                desired=desired,
                min_replicas=min_replicas,
                max_replicas=spec.max_replicas,
                rules=(up_rules, down_rules),
                settings=settings,
                now=now,
            )
        rescale = desired != current
    before = ScalingHistory(recommendations, history.scale_up_events, history.scale_down_events)
    after = before
    if rescale:
        book.set(
            ABLE_TO_SCALE,
            "True",
            "SucceededRescale",
            f"the HPA controller was able to update the target scale to {desired}",
        )
        events.append(
            ScalingEvent("Normal", "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
        )
        after = _with_scale_event(before, spec, up_rules, down_rules, current, desired, now)
    else:
        desired = current
    decided = build(
        HorizontalPodAutoscalerStatus,
        observed_generation=status.observed_generation,
        last_scale_time=now_text if rescale else status.last_scale_time,
        current_replicas=current,
        desired_replicas=desired,
        current_metrics=statuses,
        conditions=book.to_models(),
    )
    return ScalingDecision(
        current_replicas=current,
        desired_replicas=desired,
        rescale=rescale,
        rescale_reason=reason,
        status=decided,
        history=after,
        events=tuple(events),
        error=error,
        previous_status=status,
        previous_history=before,
        metric_statuses=statuses,
        now=now,
        reference=reference,
    )


def _normalize(
    book: ConditionBook,
    recommendations: list[Recommendation],
    *,
    current: int,
    desired: int,
    min_replicas: int,
    max_replicas: int,
    settings: CalculatorSettings,
    now: float,
) -> tuple[int, list[Recommendation]]:
    """`normalizeDesiredReplicas`: the downscale window, then at most double per period."""
    stabilized, recommendations = stabilize_recommendation(
        recommendations, desired=desired, window=settings.downscale_stabilization_window, now=now
    )
    if stabilized != desired:
        book.set(
            ABLE_TO_SCALE,
            "True",
            "ScaleDownStabilized",
            "recent recommendations were higher than current one, applying the highest recent "
            "recommendation",
        )
    else:
        book.set(ABLE_TO_SCALE, "True", "ReadyForNewScale", "recommended size matches current size")
    normalized, reason, message = convert_with_rules(
        current=current, desired=stabilized, min_replicas=min_replicas, max_replicas=max_replicas
    )
    book.set(SCALING_LIMITED, "False" if normalized == stabilized else "True", reason, message)
    return normalized, recommendations


def _normalize_with_behaviors(
    book: ConditionBook,
    recommendations: list[Recommendation],
    history: ScalingHistory,
    *,
    current: int,
    desired: int,
    min_replicas: int,
    max_replicas: int,
    rules: tuple[ScalingRules, ScalingRules],
    settings: CalculatorSettings,
    now: float,
) -> tuple[int, list[Recommendation]]:
    """`normalizeDesiredReplicasWithBehaviors`: windows, then policies, then min/max."""
    up_rules, down_rules = rules
    down_window = down_rules.stabilization_window_seconds
    stabilized, reason, message, recommendations = stabilize_with_behaviors(
        recommendations,
        current=current,
        desired=desired,
        up_window=up_rules.stabilization_window_seconds or 0,
        down_window=(
            settings.downscale_stabilization_window if down_window is None else down_window
        ),
        now=now,
    )
    if stabilized != desired:
        book.set(ABLE_TO_SCALE, "True", reason, message)
    else:
        book.set(ABLE_TO_SCALE, "True", "ReadyForNewScale", "recommended size matches current size")
    normalized, reason, message = convert_with_behavior_rate(
        current=current,
        desired=stabilized,
        min_replicas=min_replicas,
        max_replicas=max_replicas,
        up_rules=up_rules,
        down_rules=down_rules,
        up_events=history.scale_up_events,
        down_events=history.scale_down_events,
        now=now,
    )
    book.set(SCALING_LIMITED, "False" if normalized == stabilized else "True", reason, message)
    return normalized, recommendations


def _with_scale_event(
    history: ScalingHistory,
    spec: HorizontalPodAutoscalerSpec | FederatedHPASpec,
    up_rules: ScalingRules,
    down_rules: ScalingRules,
    current: int,
    desired: int,
    now: float,
) -> ScalingHistory:
    """`storeScaleEvent`: only HPAs with a behavior keep events (nothing else reads them)."""
    if spec.behavior is None:
        return history
    if desired > current:
        up = store_scale_event(
            history.scale_up_events, rules=up_rules, change=desired - current, now=now
        )
        return ScalingHistory(history.recommendations, up, history.scale_down_events)
    down = store_scale_event(
        history.scale_down_events, rules=down_rules, change=current - desired, now=now
    )
    return ScalingHistory(history.recommendations, history.scale_up_events, down)


def rescale_failed(decision: ScalingDecision, *, error: str) -> ScalingDecision:
    """The scale update failed: AbleToScale False, no scale event, last desired count kept."""
    previous = decision.previous_status
    book = ConditionBook(decision.status.conditions, now_text=rfc3339(decision.now))
    book.set(
        ABLE_TO_SCALE,
        "False",
        "FailedUpdateScale",
        f"the HPA controller was unable to update the target scale: {error}",
    )
    status = build(
        HorizontalPodAutoscalerStatus,
        observed_generation=previous.observed_generation,
        last_scale_time=previous.last_scale_time,
        current_replicas=decision.current_replicas,
        desired_replicas=previous.desired_replicas,
        current_metrics=decision.metric_statuses,
        conditions=book.to_models(),
    )
    failed_event = ScalingEvent(
        "Warning",
        "FailedRescale",
        f"New size: {decision.desired_replicas}; reason: {decision.rescale_reason}; error: {error}",
    )
    events = tuple(event for event in decision.events if event.reason != "SuccessfulRescale")
    return ScalingDecision(
        current_replicas=decision.current_replicas,
        desired_replicas=decision.desired_replicas,
        rescale=False,
        rescale_reason=decision.rescale_reason,
        status=status,
        history=decision.previous_history,
        events=(*events, failed_event),
        error=f"failed to rescale {decision.reference}: {error}",
        previous_status=previous,
        previous_history=decision.previous_history,
        metric_statuses=decision.metric_statuses,
        now=decision.now,
        reference=decision.reference,
    )
