"""Probe outcomes become Ready transitions after the failure threshold, with Karmada's words."""

from services.fleet_manager.health import (
    HealthTracker,
    ProbeOutcome,
    health_taints,
    merge_taints,
)
from shared.api.meta import Taint

UP = ProbeOutcome(online=True, healthy=True)
DOWN = ProbeOutcome(online=False, healthy=False, detail="connection refused")
SICK = ProbeOutcome(online=True, healthy=False)


def test_first_success_marks_ready_and_repeats_are_silent() -> None:
    tracker = HealthTracker(failure_threshold=3)
    condition = tracker.observe(UP, now="t0")
    assert condition is not None
    assert (condition.status, condition.reason) == ("True", "ClusterReady")
    assert tracker.observe(UP, now="t1") is None


def test_failures_count_up_to_the_threshold() -> None:
    tracker = HealthTracker(failure_threshold=3)
    tracker.observe(UP, now="t0")
    assert tracker.observe(DOWN, now="t1") is None
    assert tracker.observe(DOWN, now="t2") is None
    condition = tracker.observe(DOWN, now="t3")
    assert condition is not None
    assert (condition.status, condition.reason) == ("False", "ClusterNotReachable")
    assert condition.message == "cluster is not reachable: connection refused"
    assert condition.last_transition_time == "t3"
    assert tracker.observe(DOWN, now="t4") is None


def test_a_success_resets_the_count() -> None:
    tracker = HealthTracker(failure_threshold=3)
    tracker.observe(UP, now="t0")
    tracker.observe(DOWN, now="t1")
    tracker.observe(DOWN, now="t2")
    assert tracker.observe(UP, now="t3") is None
    assert tracker.observe(DOWN, now="t4") is None


def test_unhealthy_differs_from_unreachable_and_recovery_is_immediate() -> None:
    tracker = HealthTracker(failure_threshold=1)
    sick = tracker.observe(SICK, now="t0")
    assert sick is not None and sick.reason == "ClusterNotReady"
    down = tracker.observe(DOWN, now="t1")
    assert down is not None and down.reason == "ClusterNotReachable"
    back = tracker.observe(UP, now="t2")
    assert back is not None and back.status == "True"


def test_health_taints_and_merging_keep_user_taints() -> None:
    tracker = HealthTracker(failure_threshold=1)
    down = tracker.observe(DOWN, now="t1")
    taints = health_taints(down, now="t1")
    assert [(t.key, t.effect) for t in taints] == [
        ("cluster.karmada.io/unreachable", "NoSchedule"),
        ("cluster.karmada.io/unreachable", "NoExecute"),
    ]
    user = Taint(key="dedicated", value="special", effect="NoSchedule")
    merged = merge_taints([user], taints)
    assert merged[0] == user and len(merged) == 3
    again = merge_taints(merged, health_taints(down, now="t9"))
    assert [t.time_added for t in again[1:]] == ["t1", "t1"], "unchanged taints keep timeAdded"
    assert merge_taints(again, health_taints(tracker.observe(UP, now="t2"), now="t2")) == [user]
