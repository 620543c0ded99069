"""Karmada's health and status interpretation, and the hub template's fleet-wide sums."""

import pytest

from services.override_engine.aggregating import (
    aggregated_item,
    interpret_health,
    reflect_status,
    template_status,
)


def deployment(*, replicas: int, updated: int, generation: int = 2, observed: int = 2) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "generation": generation},
        "spec": {"replicas": replicas},
        "status": {
            "replicas": replicas,
            "updatedReplicas": updated,
            "readyReplicas": updated,
            "availableReplicas": updated,
            "observedGeneration": observed,
            "conditions": [{"type": "Available", "status": "True"}],
        },
    }


@pytest.mark.parametrize(
    ("obj", "health"),
    [
        (deployment(replicas=3, updated=3), "Healthy"),
        (deployment(replicas=3, updated=2), "Unhealthy"),
        (deployment(replicas=3, updated=3, observed=1), "Unhealthy"),
        (
            {"kind": "StatefulSet", "metadata": {"generation": 1}, "spec": {"replicas": 2},
             "status": {"updatedReplicas": 2, "observedGeneration": 1}},
            "Healthy",
        ),
        ({"kind": "Job", "status": {"conditions": [{"type": "Failed", "status": "True"}]}},
         "Unhealthy"),
        ({"kind": "Job", "status": {"active": 1}}, "Healthy"),
        ({"kind": "Pod", "status": {"phase": "Running",
                                    "conditions": [{"type": "Ready", "status": "True"}]}},
         "Healthy"),
        ({"kind": "Pod", "status": {"phase": "Pending"}}, "Unhealthy"),
        ({"kind": "PersistentVolumeClaim", "status": {"phase": "Bound"}}, "Healthy"),
        ({"kind": "Service", "spec": {"type": "ClusterIP"}}, "Healthy"),
        ({"kind": "Service", "spec": {"type": "LoadBalancer"}, "status": {}}, "Unhealthy"),
        ({"kind": "ConfigMap", "data": {}}, "Unknown"),
        (None, "Unknown"),
    ],
)  # fmt: skip
def test_health_follows_karmadas_interpreter(obj: dict | None, health: str) -> None:
    assert interpret_health(obj) == health


def test_deployment_status_reflects_counts_only() -> None:
    reflected = reflect_status(deployment(replicas=3, updated=3))
    assert reflected == {
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "observedGeneration": 2,
    }


def test_an_object_without_status_reflects_nothing() -> None:
    assert reflect_status({"kind": "Deployment", "metadata": {}}) is None


def test_aggregated_item_without_a_member_object_is_unknown() -> None:
    item = aggregated_item(cluster="c", live=None, applied=False, applied_message="unreachable")
    assert item == {
        "clusterName": "c",
        "applied": False,
        "appliedMessage": "unreachable",
        "health": "Unknown",
    }


def test_template_status_sums_the_fleet() -> None:
    items = [
        aggregated_item(
            cluster="a", live=deployment(replicas=6, updated=6), applied=True, applied_message=""
        ),
        aggregated_item(
            cluster="b", live=deployment(replicas=4, updated=1), applied=True, applied_message=""
        ),
        aggregated_item(cluster="c", live=None, applied=False, applied_message=""),
    ]
    summed = template_status("Deployment", items, current={"conditions": []})
    assert summed == {
        "conditions": [],
        "replicas": 10,
        "readyReplicas": 7,
        "availableReplicas": 7,
        "updatedReplicas": 7,
    }


def test_kinds_without_counts_keep_their_status() -> None:
    assert template_status("ConfigMap", []) is None
