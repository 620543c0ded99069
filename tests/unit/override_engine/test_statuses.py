"""Status writes: coalesced in time, written only when they change something."""

import pytest

from services.override_engine.statuses import (
    status_clusters,
    status_delay,
    with_aggregated_status,
    with_template_status,
)
from shared.api.binding import ResourceBindingSpec


@pytest.mark.parametrize(
    ("last_written", "now", "expected"),
    [
        (None, 100.0, 0.1),  # never written: the coalescing delay
        (99.0, 100.0, 0.1),  # written long ago
        (99.8, 100.0, 0.3),  # written 0.2 s ago: wait out the 0.5 s interval
        (100.0, 100.0, 0.5),
    ],
)
def test_status_delay(last_written: float | None, now: float, expected: float) -> None:
    delay = status_delay(delay=0.1, interval=0.5, last_written=last_written, now=now)
    assert delay == pytest.approx(expected)


def test_targets_come_first_then_the_clusters_being_evicted() -> None:
    spec = ResourceBindingSpec.model_validate(
        {
            "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "clusters": [{"name": "west"}, {"name": "east"}],
            "gracefulEvictionTasks": [
                {"fromCluster": "south", "reason": "r", "producer": "p"},
                {"fromCluster": "north", "reason": "r", "producer": "p"},
                {"fromCluster": "east", "reason": "r", "producer": "p"},
            ],
        }
    )
    assert status_clusters(spec) == ["west", "east", "north", "south"]


ITEMS = [{"clusterName": "east", "status": {"replicas": 2, "readyReplicas": 2}, "applied": True}]


def binding(**metadata: object) -> dict:
    return {"metadata": {"name": "b", **metadata}, "spec": {}, "status": {"conditions": ["c"]}}


def test_the_aggregated_status_is_set_beside_the_other_status_fields() -> None:
    changed = with_aggregated_status(binding(), items=ITEMS)
    assert changed is not None
    assert changed["status"] == {"conditions": ["c"], "aggregatedStatus": ITEMS}
    assert with_aggregated_status(changed, items=ITEMS) is None, "already so: no write"
    assert with_aggregated_status(binding(deletionTimestamp="t"), items=ITEMS) is None


def test_the_template_gets_the_fleet_wide_sums() -> None:
    template = {"metadata": {"name": "web"}, "spec": {"replicas": 2}, "status": {}}
    summed = with_template_status(template, kind="Deployment", items=ITEMS)
    assert summed is not None and summed["status"]["readyReplicas"] == 2
    assert with_template_status(summed, kind="Deployment", items=ITEMS) is None
    assert with_template_status(template, kind="ConfigMap", items=ITEMS) is None, "no sums"
    deleting = dict(template, metadata={"name": "web", "deletionTimestamp": "t"})
    assert with_template_status(deleting, kind="Deployment", items=ITEMS) is None
