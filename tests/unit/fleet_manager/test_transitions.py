"""A log line per Ready change, an Event per Ready transition, in Kubernetes' words."""

import logging
from datetime import UTC, datetime

import orjson
import pytest

from services.fleet_manager.transitions import (
    cluster_reference,
    health_message,
    is_ready_transition,
    report_health_change,
)
from shared.api.kinds import EVENTS
from shared.api.meta import Condition
from shared.events.recording import EventRecorder
from shared.store.memory import MemoryBackend
from shared.store.objects import ObjectStore

READY = Condition(type="Ready", status="True", reason="ClusterReady", message="ok")
DOWN = Condition(type="Ready", status="False", reason="ClusterNotReachable", message="gone")
SICK = Condition(type="Ready", status="False", reason="ClusterNotReady", message="sick")


@pytest.mark.parametrize(
    ("previous", "condition", "transition"),
    [
        (None, READY, False),
        (None, DOWN, True),
        (READY, DOWN, True),
        (DOWN, READY, True),
        (DOWN, SICK, False),
    ],
)
def test_which_changes_are_ready_transitions(
    previous: Condition | None, condition: Condition, transition: bool
) -> None:
    assert is_ready_transition(previous, condition) is transition


async def test_a_transition_logs_and_records_an_event(caplog: pytest.LogCaptureFixture) -> None:
    store = ObjectStore(MemoryBackend())
    recorder = EventRecorder(
        store, component="fleet-manager", clock=lambda: datetime(2026, 1, 1, tzinfo=UTC)
    )
    recorder.start()
    cluster = cluster_reference("east", uid="u-1")
    with caplog.at_level(logging.INFO, logger="services.fleet_manager.transitions"):
        report_health_change(recorder, cluster, previous=READY, condition=DOWN)
        report_health_change(recorder, cluster, previous=DOWN, condition=SICK)
    await recorder.flush()
    await recorder.stop()
    records = [r for r in caplog.records if r.getMessage() == "cluster health changed"]
    assert [(r.cluster, r.reason, r.previous_reason) for r in records] == [
        ("east", "ClusterNotReachable", "ClusterReady"),
        ("east", "ClusterNotReady", "ClusterNotReachable"),
    ]
    [event] = (await store.list(EVENTS, namespace="default")).items
    assert event["reason"] == "ClusterNotReachable"
    assert event["message"] == "Cluster east status is now: ClusterNotReachable"
    assert event["involvedObject"]["kind"] == "Cluster"
    assert event["involvedObject"]["uid"] == "u-1"


def test_the_health_message_names_the_cluster_and_carries_the_condition() -> None:
    condition = DOWN.model_copy(update={"last_transition_time": "2026-01-01T00:00:00Z"})
    assert orjson.loads(health_message("east", condition)) == {
        "cluster": "east",
        "type": "Ready",
        "status": "False",
        "reason": "ClusterNotReachable",
        "message": "gone",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }
