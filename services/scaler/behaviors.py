"""HPA stabilization windows and scaling policies (`horizontal.go`, `autoscaling/v2` defaults).

The recommendation history and the scale events are values the caller keeps (and may persist),
so the same inputs always give the same decision: each function returns the new lists instead
of mutating a controller's maps. Times are epoch seconds.
"""

import math
from dataclasses import dataclass

from services.scaler.models import HorizontalPodAutoscalerBehavior, HPAScalingRules, milli_quantity

SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4.0
INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)


@dataclass(slots=True)
class Recommendation:
    """An unstabilized recommendation and when it was made (`timestampedRecommendation`)."""

    replicas: int
    timestamp: float


@dataclass(frozen=True, slots=True)
class ScaleEvent:
    """A rescale by `change` replicas (`timestampedScaleEvent`); outdated ones get reused."""

    change: int
    timestamp: float
    outdated: bool = False


@dataclass(frozen=True, slots=True)
class ScalingPolicy:
    type: str
    value: int
    period_seconds: int


@dataclass(frozen=True, slots=True)
class ScalingRules:
    """HPAScalingRules with every default filled in (`GenerateHPAScale{Up,Down}Rules`)."""

    stabilization_window_seconds: int | None
    select_policy: str
    policies: tuple[ScalingPolicy, ...]
    tolerance: float | None = None


DEFAULT_SCALE_UP = ScalingRules(
    stabilization_window_seconds=0,
    select_policy="Max",
    policies=(ScalingPolicy("Pods", 4, 15), ScalingPolicy("Percent", 100, 15)),
)
DEFAULT_SCALE_DOWN = ScalingRules(
    stabilization_window_seconds=None,
    select_policy="Max",
    policies=(ScalingPolicy("Percent", 100, 15),),
)
"""The scale-down window stays unset: the controller's `--horizontal-pod-autoscaler-downscale-
stabilization` (300 s) fills it, as `maybeInitScaleDownStabilizationWindow` does."""


def resolve_rules(rules: HPAScalingRules | None, defaults: ScalingRules) -> ScalingRules:
    """`copyHPAScalingRules`: the user's non-nil fields over the defaults."""
    if rules is None:
        return defaults
    policies = defaults.policies
    if rules.policies is not None:
        policies = tuple(
            ScalingPolicy(policy.type, policy.value, policy.period_seconds)
            for policy in rules.policies
        )
    return ScalingRules(
        stabilization_window_seconds=(
            rules.stabilization_window_seconds
            if rules.stabilization_window_seconds is not None
            else defaults.stabilization_window_seconds
        ),
        select_policy=rules.select_policy or defaults.select_policy,
        policies=policies,
        tolerance=milli_quantity(rules.tolerance) / 1000 if rules.tolerance is not None else None,
    )


def resolve_behavior(
    behavior: HorizontalPodAutoscalerBehavior | None,
) -> tuple[ScalingRules, ScalingRules]:
    if behavior is None:
        return DEFAULT_SCALE_UP, DEFAULT_SCALE_DOWN
    return (
        resolve_rules(behavior.scale_up, DEFAULT_SCALE_UP),
        resolve_rules(behavior.scale_down, DEFAULT_SCALE_DOWN),
    )


def _record(
    recommendations: list[Recommendation], old_index: int | None, entry: Recommendation
) -> list[Recommendation]:
    updated = list(recommendations)
    if old_index is None:
        updated.append(entry)
    else:
        updated[old_index] = entry
    return updated


def stabilize_recommendation(
    recommendations: list[Recommendation], *, desired: int, window: float, now: float
) -> tuple[int, list[Recommendation]]:
    """`stabilizeRecommendation` (no behavior): the highest recommendation of the window."""
    cutoff = now - window
    highest = desired
    old_index: int | None = None
    for index, recommendation in enumerate(recommendations):
        if recommendation.timestamp < cutoff:
            old_index = index
        elif recommendation.replicas > highest:
            highest = recommendation.replicas
    return highest, _record(recommendations, old_index, Recommendation(desired, now))


def stabilize_with_behaviors(
    recommendations: list[Recommendation],
    *,
    current: int,
    desired: int,
    up_window: float,
    down_window: float,
    now: float,
) -> tuple[int, str, str, list[Recommendation]]:
    """`stabilizeRecommendationWithBehaviors`: clamp between the windows' min and max."""
    up_cutoff = now - up_window
    down_cutoff = now - down_window
    up_recommendation = down_recommendation = desired
    old_index: int | None = None
    for index, recommendation in enumerate(recommendations):
        if recommendation.timestamp > up_cutoff:
            up_recommendation = min(recommendation.replicas, up_recommendation)
        if recommendation.timestamp > down_cutoff:
            down_recommendation = max(recommendation.replicas, down_recommendation)
        if recommendation.timestamp < up_cutoff and recommendation.timestamp < down_cutoff:
            old_index = index
    stabilized = min(max(current, up_recommendation), down_recommendation)
    updated = _record(recommendations, old_index, Recommendation(desired, now))
    if desired >= current:
        return (
            stabilized,
            "ScaleUpStabilized",
            "recent recommendations were lower than current one, applying the lowest recent "
            "recommendation",
            updated,
        )
    return (
        stabilized,
        "ScaleDownStabilized",
        "recent recommendations were higher than current one, applying the highest recent "
        "recommendation",
        updated,
    )


def replicas_change_per_period(period_seconds: int, events: list[ScaleEvent], now: float) -> int:
    """`getReplicasChangePerPeriod`: replicas changed within the last period."""
    cutoff = now - period_seconds
    return sum(event.change for event in events if event.timestamp > cutoff)


def scale_up_limit(
    current: int,
    *,
    up_events: list[ScaleEvent],
    down_events: list[ScaleEvent],
    rules: ScalingRules,
    now: float,
) -> int:
    """`calculateScaleUpLimitWithScalingRules`; a Percent proposal rounds up."""
    if rules.select_policy == "Disabled":
        return current
    pick_min = rules.select_policy == "Min"
    result = INT32_MAX if pick_min else INT32_MIN
    for policy in rules.policies:
        added = replicas_change_per_period(policy.period_seconds, up_events, now)
        deleted = replicas_change_per_period(policy.period_seconds, down_events, now)
        start = current - added + deleted
        if policy.type == "Pods":
            proposed = start + policy.value
        else:
            proposed = math.ceil(start * (1 + policy.value / 100))
        result = min(result, proposed) if pick_min else max(result, proposed)
    return result


def scale_down_limit(
    current: int,
    *,
    up_events: list[ScaleEvent],
    down_events: list[ScaleEvent],
    rules: ScalingRules,
    now: float,
) -> int:
    """`calculateScaleDownLimitWithBehaviors`; a Percent proposal truncates what stays."""
    if rules.select_policy == "Disabled":
        return current
    pick_min = rules.select_policy == "Min"
    result = INT32_MIN if pick_min else INT32_MAX
    for policy in rules.policies:
        added = replicas_change_per_period(policy.period_seconds, up_events, now)
        deleted = replicas_change_per_period(policy.period_seconds, down_events, now)
        start = current - added + deleted
        if policy.type == "Pods":
            proposed = start - policy.value
        else:
            proposed = int(start * (1 - policy.value / 100))
        result = max(result, proposed) if pick_min else min(result, proposed)
    return result


def convert_with_behavior_rate(
    *,
    current: int,
    desired: int,
    min_replicas: int,
    max_replicas: int,
    up_rules: ScalingRules,
    down_rules: ScalingRules,
    up_events: list[ScaleEvent],
    down_events: list[ScaleEvent],
    now: float,
) -> tuple[int, str, str]:
    """`convertDesiredReplicasWithBehaviorRate`: the rate limits, then min/max."""
    if desired > current:
        limit = max(
            scale_up_limit(
                current, up_events=up_events, down_events=down_events, rules=up_rules, now=now
            ),
            current,
        )
        if max_replicas > limit:
            allowed, reason = limit, "ScaleUpLimit"
            message = "the desired replica count is increasing faster than the maximum scale rate"
        else:
            allowed, reason = max_replicas, "TooManyReplicas"
            message = "the desired replica count is more than the maximum replica count"
        if desired > allowed:
            return allowed, reason, message
    elif desired < current:
        limit = min(
            scale_down_limit(
                current, up_events=up_events, down_events=down_events, rules=down_rules, now=now
            ),
            current,
        )
        if min_replicas < limit:
            allowed, reason = limit, "ScaleDownLimit"
            message = "the desired replica count is decreasing faster than the maximum scale rate"
        else:
            allowed, reason = min_replicas, "TooFewReplicas"
            message = "the desired replica count is less than the minimum replica count"
        if desired < allowed:
            return allowed, reason, message
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


def legacy_scale_up_limit(current: int) -> int:
    """`calculateScaleUpLimit`: without a behavior, at most double (or 4) per evaluation."""
    return int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))


def convert_with_rules(
    *, current: int, desired: int, min_replicas: int, max_replicas: int
) -> tuple[int, str, str]:
    """`convertDesiredReplicasWithRules`: the no-behavior clamp."""
    limit = legacy_scale_up_limit(current)
    if max_replicas > limit:
        allowed, reason = limit, "ScaleUpLimit"
        message = "the desired replica count is increasing faster than the maximum scale rate"
    else:
        allowed, reason = max_replicas, "TooManyReplicas"
        message = "the desired replica count is more than the maximum replica count"
    if desired < min_replicas:
        return (
            min_replicas,
            "TooFewReplicas",
            "the desired replica count is less than the minimum replica count",
        )
    if desired > allowed:
        return allowed, reason, message
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


def longest_policy_period(rules: ScalingRules) -> int:
    return max((policy.period_seconds for policy in rules.policies), default=0)


def store_scale_event(
    events: list[ScaleEvent], *, rules: ScalingRules, change: int, now: float
) -> list[ScaleEvent]:
    """`storeScaleEvent`: mark events older than the longest period, reuse the last of them."""
    cutoff = now - longest_policy_period(rules)
    updated = [
        ScaleEvent(event.change, event.timestamp, True)
        if event.timestamp < cutoff and not event.outdated
        else event
        for event in events
    ]
    reuse: int | None = None
    for index, event in enumerate(updated):
        if event.outdated:
            reuse = index
    fresh = ScaleEvent(change, now)
    if reuse is None:
        updated.append(fresh)
    else:
        updated[reuse] = fresh
    return updated
