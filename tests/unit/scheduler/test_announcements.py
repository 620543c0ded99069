"""What the scheduler publishes after a write: subjects and payloads."""

from services.scheduler.announcements import binding_subject, decision_payload, eviction_payload
from shared import subjects
from shared.api.binding import ResourceBindingSpec

BINDING = {
    "kind": "ResourceBinding",
    "metadata": {"name": "web-deployment", "namespace": "default", "resourceVersion": "9"},
    "spec": {
        "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "clusters": [{"name": "a", "replicas": 4}],
        "gracefulEvictionTasks": [
            {"fromCluster": "b", "reason": "TaintUntolerated", "producer": "TaintManager"}
        ],
    },
}


def test_subjects_name_the_binding_and_cluster_scope_has_a_token() -> None:
    assert binding_subject(subjects.BINDING_SCHEDULED, BINDING) == subjects.subject(
        subjects.BINDING_SCHEDULED, "default", "web-deployment"
    )
    cluster_scoped = {**BINDING, "metadata": {"name": "crb"}}
    assert binding_subject(subjects.BINDING_EVICTED, cluster_scoped).endswith("._cluster.crb")


def test_a_decision_names_the_new_and_previous_targets() -> None:
    previous = ResourceBindingSpec.model_validate(
        {
            **BINDING["spec"],
            "clusters": [{"name": "a", "replicas": 2}, {"name": "b", "replicas": 2}],
        }
    )
    payload = decision_payload(BINDING, old_spec=previous, trigger="Failover", result=None)
    assert payload["clusters"] == [{"name": "a", "replicas": 4}]
    assert payload["previous"] == [{"name": "a", "replicas": 2}, {"name": "b", "replicas": 2}]
    assert payload["gracefulEvictionTasks"] == ["b"]
    assert (payload["trigger"], payload["scheduled"], payload["resourceVersion"]) == (
        "Failover",
        True,
        "9",
    )
    assert decision_payload(BINDING, old_spec=None, trigger="New", result=None)["previous"] == []


def test_an_eviction_names_cluster_replicas_and_karmadas_reason() -> None:
    assert eviction_payload(BINDING, cluster="b", replicas=2) == {
        "namespace": "default",
        "name": "web-deployment",
        "cluster": "b",
        "replicas": 2,
        "reason": "TaintUntolerated",
    }
