"""Behavior and stabilization cases of Kubernetes' horizontal_test.go, ported as tables."""

import pytest

from services.scaler.behaviors import (
    DEFAULT_SCALE_DOWN,
    DEFAULT_SCALE_UP,
    Recommendation,
    ScaleEvent,
    ScalingPolicy,
    ScalingRules,
    convert_with_behavior_rate,
    convert_with_rules,
    legacy_scale_up_limit,
    replicas_change_per_period,
    resolve_rules,
    scale_down_limit,
    scale_up_limit,
    stabilize_recommendation,
    stabilize_with_behaviors,
    store_scale_event,
)
from services.scaler.models import HPAScalingPolicy, HPAScalingRules

NOW = 1_700_000_000.0


def rules(pods: int, pods_period: int, percent: int, percent_period: int, window: int):
    """`generateScalingRules`: select Max, a Pods and/or a Percent policy."""
    policies = []
    if pods:
        policies.append(HPAScalingPolicy(type="Pods", value=pods, period_seconds=pods_period))
    if percent:
        policies.append(
            HPAScalingPolicy(type="Percent", value=percent, period_seconds=percent_period)
        )
    return HPAScalingRules(
        stabilization_window_seconds=window, select_policy="Max", policies=policies or None
    )


def uniform(changes: list[int], period: int) -> list[ScaleEvent]:
    """`generateEventsUniformDistribution`: each event in the middle of its segment."""
    segment = period / len(changes)
    return [
        ScaleEvent(change, NOW - int(period - segment * (index + 1) + segment / 2))
        for index, change in enumerate(changes)
    ]


E = uniform
# TestScalingWithRules: (name, up events, down events, min, max, up rules, down rules,
#                        current, desired, expected, condition)
SCALING_WITH_RULES = [
    ("prenormalized desired replicas within range", [], [], 3, 8, None, None, 5, 7, 7,
     "DesiredWithinRange"),
    ("prenormalized desired replicas < minReplicas", [], [], 2, 8, None, None, 3, 1, 2,
     "TooFewReplicas"),
    ("within range when minReplicas is 0", [], [], 0, 10, None, None, 1, 0, 0,
     "DesiredWithinRange"),
    ("maxReplicas is the limit because maxReplicas < scaleUpLimit", [], [], 1, 10, None, None,
     20, 1000, 10, "TooManyReplicas"),
    ("desired replica count is more than the maximum replica count", [], [], 100, 150, None,
     None, 100, 1000, 150, "TooManyReplicas"),
    ("scaleUpLimit < maxReplicas with user policies", [], [], 1, 2000, rules(0, 0, 1, 60, 0),
     None, 3, 1000, 4, "ScaleUpLimit"),
    ("scaleUp with default behavior", [], [], 1, 1000, None, None, 10, 50, 20, "ScaleUpLimit"),
    ("scaleUp with pods policy larger than percent policy", [], [], 1, 1000,
     rules(100, 60, 100, 60, 0), None, 10, 500, 110, "ScaleUpLimit"),
    ("scaleUp with percent policy larger than pods policy", [], [], 1, 1000,
     rules(2, 60, 100, 60, 0), None, 10, 500, 20, "ScaleUpLimit"),
    ("scaleUp with spec MaxReplicas limitation with large pod policy", [], [], 1, 1000,
     rules(100, 60, 0, 0, 0), None, 10, 50, 50, "DesiredWithinRange"),
    ("scaleUp with spec MaxReplicas limitation with large percent policy", [], [], 1, 1000,
     rules(10000, 60, 0, 0, 0), None, 10, 50, 50, "DesiredWithinRange"),
    ("scaleUp with pod policy limitation", [], [], 1, 1000, rules(30, 60, 0, 0, 0), None, 10, 50,
     40, "ScaleUpLimit"),
    ("scaleUp with percent policy limitation", [], [], 1, 1000, rules(0, 0, 200, 60, 0), None,
     10, 50, 30, "ScaleUpLimit"),
    ("scaleDown with percent policy larger than pod policy", [], [], 1, 1000, None,
     rules(20, 60, 1, 60, 300), 100, 2, 80, "ScaleDownLimit"),
    ("scaleDown with pod policy larger than percent policy", [], [], 1, 1000, None,
     rules(2, 60, 1, 60, 300), 100, 2, 98, "ScaleDownLimit"),
    ("scaleDown with spec MinReplicas=nil limitation with large pod policy", [], [], 1, 1000,
     None, rules(100, 60, 0, 0, 300), 10, 0, 1, "TooFewReplicas"),
    ("scaleDown with spec MinReplicas limitation with large percent policy", [], [], 5, 1000,
     None, rules(0, 0, 100, 60, 300), 10, 2, 5, "TooFewReplicas"),
    ("scaleDown with pod policy limitation", [], [], 1, 1000, None, rules(5, 60, 0, 0, 300), 10,
     2, 5, "ScaleDownLimit"),
    ("scaleDown with percent policy limitation", [], [], 1, 1000, None,
     rules(0, 0, 50, 60, 300), 10, 5, 5, "DesiredWithinRange"),
    ("scaleUp with spec MaxReplicas limitation with large pod policy and events",
     E([1, 5, 9], 120), [], 1, 200, rules(300, 60, 0, 0, 0), None, 100, 500, 200,
     "TooManyReplicas"),
    ("scaleUp with spec MaxReplicas limitation with large percent policy and events",
     E([1, 5, 9], 120), [], 1, 200, rules(0, 0, 10000, 60, 0), None, 100, 500, 200,
     "TooManyReplicas"),
    ("scaleUp with currentReplicas limitation with a lot of recent scale up events",
     E([1, 5, 9], 120), [], 1, 1000, rules(5, 120, 0, 0, 0), None, 100, 500, 100,
     "ScaleUpLimit"),
    ("scaleUp with pod policy and previous scale up events", E([1, 5, 9], 120), [], 1, 1000,
     rules(150, 120, 0, 0, 0), None, 100, 500, 235, "ScaleUpLimit"),
    ("scaleUp with percent policy and previous scale up events", E([1, 5, 9], 120), [], 1, 1000,
     rules(0, 0, 200, 120, 0), None, 100, 500, 255, "ScaleUpLimit"),
    ("scaleDown with default policy and previous events", [], E([1, 5, 9], 120), 1, 1000, None,
     None, 10, 5, 5, "DesiredWithinRange"),
    ("scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events",
     [], E([1, 5, 9], 120), 1, 1000, None, rules(115, 120, 0, 0, 300), 100, 0, 1,
     "TooFewReplicas"),
    ("scaleDown with spec MinReplicas limitation with large pod policy and previous events", [],
     E([1, 5, 9], 120), 5, 1000, None, rules(130, 120, 0, 0, 300), 100, 0, 5, "TooFewReplicas"),
    ("scaleDown with MinReplicas limitation with large percent policy and previous events", [],
     E([1, 5, 9], 120), 5, 1000, None, rules(0, 0, 100, 120, 300), 100, 2, 5, "TooFewReplicas"),
    ("scaleDown with pod policy limitation and previous events", [], E([1, 5, 9], 120), 1, 1000,
     None, rules(5, 120, 0, 0, 300), 100, 2, 100, "ScaleDownLimit"),
    ("scaleDown with percent policy limitation and previous events", [], E([2, 4, 6], 120), 1,
     1000, None, rules(0, 0, 50, 120, 300), 100, 0, 56, "ScaleDownLimit"),
    ("scaleDown with previous events preventing further scale down", [], E([10, 10, 10], 120), 1,
     1000, None, rules(0, 0, 10, 120, 300), 100, 0, 100, "ScaleDownLimit"),
    ("scaleDown with with previous events still allowing more scale down", [],
     E([10, 10, 10], 120), 1, 1000, None, rules(0, 0, 1000, 120, 300), 10, 5, 5,
     "DesiredWithinRange"),
    ("check 'outdated' flag for events for one behavior for up", E([8, 12, 9, 11], 120), [], 1,
     1000, rules(1000, 60, 0, 0, 0), None, 100, 200, 200, "DesiredWithinRange"),
    ("events not marked 'outdated' for two different policies for up", E([8, 12, 9, 11], 120),
     [], 1, 1000, rules(1000, 120, 100, 60, 0), None, 100, 200, 200, "DesiredWithinRange"),
    ("events marked 'outdated' for two different policies for up", E([8, 12, 9, 11], 120), [], 1,
     1000, rules(1000, 30, 100, 60, 0), None, 100, 200, 200, "DesiredWithinRange"),
    ("check 'outdated' flag for events for one behavior for down", [], E([8, 12, 9, 11], 120), 1,
     1000, None, rules(1000, 60, 0, 0, 300), 100, 5, 5, "DesiredWithinRange"),
    ("events not marked 'outdated' for two different policies for down", [],
     E([8, 12, 9, 11], 120), 1, 1000, None, rules(1000, 120, 100, 60, 300), 100, 5, 5,
     "DesiredWithinRange"),
    ("events marked 'outdated' for two different policies for down", [], E([8, 12, 9, 11], 120),
     1, 1000, None, rules(1000, 30, 100, 60, 300), 100, 5, 5, "DesiredWithinRange"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("up_events", "down_events", "low", "high", "up", "down", "current", "desired", "expected",
     "condition"),
    [case[1:] for case in SCALING_WITH_RULES],
    ids=[case[0] for case in SCALING_WITH_RULES],
)  # fmt: skip
def test_scaling_with_rules(
    up_events, down_events, low, high, up, down, current, desired, expected, condition
) -> None:
    replicas, reason, _ = convert_with_behavior_rate(
        current=current,
        desired=desired,
        min_replicas=low,
        max_replicas=high,
        up_rules=resolve_rules(up, DEFAULT_SCALE_UP),
        down_rules=resolve_rules(down, DEFAULT_SCALE_DOWN),
        up_events=up_events,
        down_events=down_events,
        now=NOW,
    )
    assert (replicas, reason) == (expected, condition)


# TestConvertDesiredReplicasWithRules: (current, desired, min, max, expected, condition)
@pytest.mark.parametrize(
    ("current", "desired", "low", "high", "expected", "condition"),
    [
        (5, 7, 3, 8, 7, "DesiredWithinRange"),
        (3, 1, 2, 8, 2, "TooFewReplicas"),
        (1, 0, 0, 10, 0, "DesiredWithinRange"),
        (20, 1000, 1, 10, 10, "TooManyReplicas"),
        (3, 1000, 1, 2000, legacy_scale_up_limit(3), "ScaleUpLimit"),
    ],
)
def test_convert_with_rules(current, desired, low, high, expected, condition) -> None:
    replicas, reason, _ = convert_with_rules(
        current=current, desired=desired, min_replicas=low, max_replicas=high
    )
    assert (replicas, reason) == (expected, condition)
    assert legacy_scale_up_limit(3) == 6


MIN_RULES = ScalingRules(
    stabilization_window_seconds=300,
    select_policy="Min",
    policies=(ScalingPolicy("Pods", 2, 60), ScalingPolicy("Percent", 50, 60)),
)


def test_scale_limits_with_min_select_policy() -> None:
    """TestCalculateScaleUpLimitWithScalingRules and TestCalculateScaleDownLimitWithBehaviors."""
    assert scale_up_limit(1, up_events=[], down_events=[], rules=MIN_RULES, now=NOW) == 2
    assert scale_down_limit(5, up_events=[], down_events=[], rules=MIN_RULES, now=NOW) == 3


def test_disabled_select_policy_keeps_current() -> None:
    disabled = ScalingRules(0, "Disabled", (ScalingPolicy("Pods", 4, 15),))
    replicas, reason, _ = convert_with_behavior_rate(
        current=5,
        desired=50,
        min_replicas=1,
        max_replicas=100,
        up_rules=disabled,
        down_rules=DEFAULT_SCALE_DOWN,
        up_events=[],
        down_events=[],
        now=NOW,
    )
    assert (replicas, reason) == (5, "ScaleUpLimit")


def recs(*entries: tuple[int, float]) -> list[Recommendation]:
    return [Recommendation(replicas, NOW - ago) for replicas, ago in entries]


# TestNormalizeDesiredReplicas: (name, recommendations, desired, stabilized, log length)
@pytest.mark.parametrize(
    ("history", "desired", "stabilized", "length"),
    [
        pytest.param([], 5, 5, 1, id="empty log"),
        pytest.param(recs((4, 120), (5, 60)), 3, 5, 3, id="stabilize"),
        pytest.param(recs((1, 120), (2, 60)), 3, 3, 3, id="no stabilize"),
        pytest.param(recs((10, 600), (9, 540)), 3, 3, 2, id="no stabilize - old recommendations"),
        pytest.param(recs((10, 600), (4, 60), (5, 120), (9, 540)), 3, 5, 4, id="stabilize - old"),
    ],
)
def test_stabilize_recommendation(history, desired, stabilized, length) -> None:
    result, log = stabilize_recommendation(history, desired=desired, window=300, now=NOW)
    assert (result, len(log)) == (stabilized, length)


# TestNormalizeDesiredReplicasWithBehavior:
# (name, recommendations, current, desired, stabilized, stored, up window, down window)
WITH_BEHAVIOR = [
    ("empty recommendations for scaling down", [], 100, 5, 5, [5], 0, 0),
    ("simple scale down stabilization", recs((4, 120), (5, 60)), 100, 3, 5, [4, 5, 3], 0, 180),
    ("simple scale up stabilization", recs((4, 120), (5, 60)), 1, 7, 4, [4, 5, 7], 300, 0),
    ("no scale down stabilization", recs((1, 120), (2, 60)), 100, 3, 3, [1, 2, 3], 300, 0),
    ("no scale up stabilization", recs((4, 120), (5, 60)), 1, 3, 3, [4, 5, 3], 0, 300),
    ("no scale down stabilization, reuse recommendation element", recs((10, 600), (9, 540)), 100,
     3, 3, [10, 3], 0, 0),
    ("no scale up stabilization, reuse recommendation element", recs((10, 600), (9, 540)), 1, 100,
     100, [10, 100], 0, 0),
    ("scale down stabilization, reuse one of obsolete recommendation element",
     recs((10, 600), (4, 60), (5, 120), (9, 540)), 100, 3, 5, [10, 4, 5, 3], 0, 180),
    ("scale up stabilization, reuse one of obsolete recommendation element",
     recs((10, 6000), (6, 60), (5, 120), (9, 180)), 1, 100, 5, [100, 6, 5, 9], 300, 0),
]  # fmt: skip


@pytest.mark.parametrize(
    ("history", "current", "desired", "stabilized", "stored", "up_window", "down_window"),
    [case[1:] for case in WITH_BEHAVIOR],
    ids=[case[0] for case in WITH_BEHAVIOR],
)
def test_stabilize_with_behaviors(
    history, current, desired, stabilized, stored, up_window, down_window
) -> None:
    result, _, _, log = stabilize_with_behaviors(
        history,
        current=current,
        desired=desired,
        up_window=up_window,
        down_window=down_window,
        now=NOW,
    )
    assert result == stabilized
    assert [entry.replicas for entry in log] == stored


def events(*entries: tuple[int, float]) -> list[ScaleEvent]:
    return [ScaleEvent(change, NOW - ago) for change, ago in entries]


# TestStoreScaleEvents: (name, previous, stored (change, outdated), rules, change in 60 s)
STORE_CASES = [
    ("one outdated entry to be replaced with behavior", events((7, 61)), [(5, False)],
     rules(10, 60, 100, 60, 0), 0),
    ("one actual entry to be not touched with behavior", events((7, 58)), [(7, False), (5, False)],
     rules(10, 60, 100, 60, 0), 7),
    ("two entries, one of them to be replaced", events((7, 61), (6, 59)),
     [(5, False), (6, False)], rules(10, 60, 0, 0, 0), 6),
    ("replace one entry, use policies with different periods",
     events((8, 29), (6, 59), (7, 61), (9, 61)), [(8, False), (6, False), (7, True), (5, False)],
     rules(10, 60, 100, 30, 0), 14),
    ("two entries, both actual", events((7, 58), (6, 59)), [(7, False), (6, False), (5, False)],
     rules(10, 120, 100, 30, 0), 13),
    ("empty entries with two-policy-behavior", [], [(5, False)], rules(10, 60, 100, 60, 0), 0),
]  # fmt: skip


@pytest.mark.parametrize(
    ("previous", "stored", "scaling_rules", "change"),
    [case[1:] for case in STORE_CASES],
    ids=[case[0] for case in STORE_CASES],
)
def test_store_scale_event(previous, stored, scaling_rules, change) -> None:
    assert replicas_change_per_period(60, previous, NOW) == change
    for defaults in (DEFAULT_SCALE_UP, DEFAULT_SCALE_DOWN):
        updated = store_scale_event(
            previous, rules=resolve_rules(scaling_rules, defaults), change=5, now=NOW
        )
        assert [(event.change, event.outdated) for event in updated] == stored


def test_tolerance_quantity_is_read_per_direction() -> None:
    resolved = resolve_rules(HPAScalingRules(tolerance="50m"), DEFAULT_SCALE_UP)
    assert resolved.tolerance == 0.05
    assert resolved.policies == DEFAULT_SCALE_UP.policies
