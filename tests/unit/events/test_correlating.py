"""client-go's Event de-duplication as a table: same key within the window counts up."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.events.correlating import Seen, correlate, event_key, event_name, unix_nanoseconds
from shared.events.models import EventSource, InvolvedObject

T0 = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
CLUSTER = InvolvedObject(api_version="cluster.karmada.io/v1alpha1", kind="Cluster", name="east")
SOURCE = EventSource(component="fleet-manager")


def first() -> Seen:
    event = correlate(
        None,
        involved=CLUSTER,
        source=SOURCE,
        type="Normal",
        reason="ClusterNotReady",
        message="Cluster east status is now: ClusterNotReady",
        now=T0,
        window_seconds=600,
    )
    return Seen(event=event, at=T0)


def test_a_first_event_is_new_named_like_client_go_and_in_default_for_cluster_scope() -> None:
    event = first().event
    assert event.count == 1
    assert event.metadata.name == f"east.{int(T0.timestamp()) * 10**9 + 123456000:x}"
    assert event.metadata.namespace == "default"
    assert event.first_timestamp == event.last_timestamp == "2026-01-01T12:00:00Z"
    assert event.source.component == event.reporting_component == "fleet-manager"


@pytest.mark.parametrize(
    ("after_seconds", "same_event"),
    [(0, True), (59, True), (600, True), (601, False), (3600, False)],
)
def test_a_repeat_within_the_window_counts_up_else_starts_anew(
    after_seconds: int, same_event: bool
) -> None:
    seen = first()
    later = T0 + timedelta(seconds=after_seconds)
    event = correlate(
        seen,
        involved=CLUSTER,
        source=SOURCE,
        type="Normal",
        reason="ClusterNotReady",
        message="Cluster east status is now: ClusterNotReady",
        now=later,
        window_seconds=600,
    )
    if same_event:
        assert event.metadata.name == seen.event.metadata.name
        assert event.count == 2
        assert event.first_timestamp == "2026-01-01T12:00:00Z"
        assert event.last_timestamp == later.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        assert event.metadata.name == event_name(CLUSTER, unix_nanoseconds(later))
        assert event.count == 1
        assert event.first_timestamp == event.last_timestamp


@pytest.mark.parametrize(
    "change",
    [
        {"reason": "ClusterReady"},
        {"message": "Cluster east status is now: ClusterReady"},
        {"type": "Warning"},
        {"source": EventSource(component="scheduler")},
        {"involved": CLUSTER.model_copy(update={"uid": "other"})},
        {"involved": CLUSTER.model_copy(update={"name": "west"})},
    ],
)
def test_the_key_is_object_type_reason_message_and_source(change: dict) -> None:
    base = {
        "involved": CLUSTER,
        "source": SOURCE,
        "type": "Normal",
        "reason": "ClusterNotReady",
        "message": "Cluster east status is now: ClusterNotReady",
    }
    assert event_key(**base) == event_key(**base)
    assert event_key(**base) != event_key(**{**base, **change})


def test_namespaced_objects_keep_their_namespace() -> None:
    binding = InvolvedObject(
        api_version="work.karmada.io/v1alpha2",
        kind="ResourceBinding",
        name="web-deployment",
        namespace="shop",
    )
    event = correlate(
        None,
        involved=binding,
        source=SOURCE,
        type="Normal",
        reason="EvictWorkloadFromClusterSucceed",
        message="Evict from cluster east succeed.",
        now=T0,
        window_seconds=600,
    )
    assert event.metadata.namespace == "shop"
    assert event.involved_object.namespace == "shop"
