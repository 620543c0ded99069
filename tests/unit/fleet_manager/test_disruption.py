"""The fleet-wide disruption guard as a table: Kubernetes' ComputeZoneState for the fleet."""

import pytest

from services.fleet_manager.disruption import (
    ClusterHealth,
    FleetHealth,
    FleetHealthState,
    disruption_message,
    fleet_health,
)
from services.fleet_manager.health import health_taints
from shared.api.meta import Condition

READY = ClusterHealth(ready=True)
NOT_READY = ClusterHealth(ready=False, probe_failing=True)
FAILING = ClusterHealth(ready=True, probe_failing=True)
"""Still Ready, but its latest probe failed: on its way to NotReady."""
UNKNOWN = ClusterHealth(ready=None)
NORMAL, PARTIAL, FULL = (
    FleetHealthState.NORMAL,
    FleetHealthState.PARTIAL_DISRUPTION,
    FleetHealthState.FULL_DISRUPTION,
)


@pytest.mark.parametrize(
    ("clusters", "state"),
    [
        ([], NORMAL),
        ([READY] * 4, NORMAL),
        ([NOT_READY] + [READY] * 3, NORMAL),
        ([NOT_READY] * 2 + [READY] * 2, NORMAL),
        ([NOT_READY] * 3 + [READY], PARTIAL),
        ([NOT_READY] + [FAILING] * 2 + [READY], PARTIAL),
        ([FAILING] * 3 + [READY], NORMAL),
        ([NOT_READY] * 4, FULL),
        ([NOT_READY] + [FAILING] * 3, FULL),
        ([NOT_READY], FULL),
        ([NOT_READY, NOT_READY, READY], NORMAL),
        ([NOT_READY] * 11 + [READY] * 9, PARTIAL),
        ([NOT_READY] * 10 + [READY] * 10, NORMAL),
        ([NOT_READY] * 3 + [READY] + [UNKNOWN] * 5, PARTIAL),
    ],
    ids=[
        "empty",
        "all-ready",
        "one-of-four",
        "half-below-threshold",
        "three-of-four",
        "one-down-two-failing",
        "failing-only-is-not-news",
        "all-down",
        "one-down-rest-failing",
        "single-cluster-fleet",
        "two-below-the-minimum",
        "55-percent",
        "50-percent",
        "unknown-not-counted",
    ],
)
def test_fleet_health_state(clusters: list[ClusterHealth], state: FleetHealthState) -> None:
    health = fleet_health(clusters, unhealthy_threshold=0.55, minimum_unhealthy=3)
    assert health.state is state
    assert health.evictions_paused == (state is not NORMAL)


def test_threshold_and_minimum_are_settings() -> None:
    clusters = [NOT_READY] * 2 + [READY] * 2
    assert fleet_health(clusters, unhealthy_threshold=0.5, minimum_unhealthy=2).state is PARTIAL
    assert fleet_health(clusters, unhealthy_threshold=0.5, minimum_unhealthy=3).state is NORMAL
    assert fleet_health(clusters, unhealthy_threshold=0.6, minimum_unhealthy=2).state is NORMAL


def test_paused_evictions_keep_no_schedule_and_withhold_no_execute() -> None:
    down = Condition(type="Ready", status="False", reason="ClusterNotReachable", message="x")
    keys = [(t.key, t.effect) for t in health_taints(down, now="t", evictions_paused=True)]
    assert keys == [("cluster.karmada.io/unreachable", "NoSchedule")]
    keys = [(t.key, t.effect) for t in health_taints(down, now="t")]
    assert keys == [
        ("cluster.karmada.io/unreachable", "NoSchedule"),
        ("cluster.karmada.io/unreachable", "NoExecute"),
    ]


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        (
            NORMAL,
            FleetHealth(state=FULL, unhealthy=4, total=4),
            "Controller detected that all Clusters are not-Ready. "
            "Entering master disruption mode: evictions paused",
        ),
        (
            NORMAL,
            FleetHealth(state=PARTIAL, unhealthy=3, total=4),
            "Controller detected that 3 of 4 Clusters are not-Ready (threshold 0.55). "
            "Entering disruption mode: evictions paused",
        ),
        (
            FULL,
            FleetHealth(state=NORMAL, unhealthy=1, total=4),
            "Controller detected that some Clusters are Ready. "
            "Exiting master disruption mode: evictions resumed",
        ),
        (
            PARTIAL,
            FleetHealth(state=NORMAL, unhealthy=0, total=4),
            "Controller detected that 0 of 4 Clusters are not-Ready. "
            "Exiting disruption mode: evictions resumed",
        ),
    ],
)
def test_messages_follow_the_node_lifecycle_controller(
    before: FleetHealthState, after: FleetHealth, message: str
) -> None:
    assert disruption_message(before=before, after=after, threshold=0.55) == message
