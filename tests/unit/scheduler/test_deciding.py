"""One scheduling pass as a pure function: new bindings, nothing to do, failover, rechecks."""

from datetime import UTC, datetime, timedelta
from typing import Any

from services.scheduler.binding_sync import TemplateKey
from services.scheduler.deciding import (
    RECHECK_MARGIN_S,
    BindingDecision,
    BindingTarget,
    SchedulingOptions,
    decide_binding,
    effective_placement,
)
from services.scheduler.detecting import parse_policy
from services.scheduler.failover import TaintSightings
from services.scheduler.resources import PROPAGATION_POLICIES, RESOURCE_BINDINGS
from shared.api.cluster import TAINT_NOT_READY, Cluster
from shared.runtime.clock import format_timestamp
from tests.seed_fleet import ENABLED

NOW = datetime(2026, 12, 3, 14, 0, 0, tzinfo=UTC)
KEY = TemplateKey("apps/v1", "Deployment", "default", "web")
TARGET = BindingTarget(RESOURCE_BINDINGS, "web-deployment", "default")
OPTIONS = SchedulingOptions(
    default_toleration_seconds=0.0,
    graceful_eviction_timeout_seconds=600.0,
    empty_workload_propagation=False,
)
TEMPLATE = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default", "uid": "t-uid", "resourceVersion": "3"},
    "spec": {"replicas": 4, "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}},
}


def policy(tolerations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    placement: dict[str, Any] = {
        "clusterAffinity": {"clusterNames": ["a", "b"]},
        "replicaScheduling": {
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
        },
    }
    if tolerations:
        placement["clusterTolerations"] = tolerations
    return {
        "metadata": {"name": "web", "namespace": "default", "uid": "p-uid"},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
            "placement": placement,
        },
    }


def cluster(name: str, *, tainted_at: datetime | None = None) -> Cluster:
    taints = []
    if tainted_at is not None:
        taints = [
            {
                "key": TAINT_NOT_READY,
                "effect": "NoExecute",
                "timeAdded": format_timestamp(tainted_at),
            }
        ]
    return Cluster.model_validate(
        {
            "metadata": {"name": name},
            "spec": {"taints": taints},
            "status": {
                "conditions": [{"type": "Ready", "status": "True"}],
                "apiEnablements": ENABLED,
                "resourceSummary": {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}},
            },
        }
    )


def decide(
    existing: dict[str, Any] | None,
    clusters: list[Cluster],
    *,
    tolerations: list[dict[str, Any]] | None = None,
    now: datetime = NOW,
    permanent_id: str = "rb-id-1",
) -> BindingDecision:
    entry = parse_policy(PROPAGATION_POLICIES, policy(tolerations))
    return decide_binding(
        key=KEY,
        template=TEMPLATE,
        entry=entry,
        placement=effective_placement(KEY, entry, None),
        target=TARGET,
        existing=existing,
        clusters={c.name: c for c in clusters},
        schedulable=clusters,
        added_at=TaintSightings(lambda: now).added_at,
        now=now,
        options=OPTIONS,
        permanent_id=permanent_id,
    )


def stored(decision: BindingDecision, *, revision: int = 7) -> dict[str, Any]:
    """The binding as the store would answer the create."""
    created = decision.created()
    metadata = {**created["metadata"], "resourceVersion": str(revision), "generation": 1}
    return {**created, "metadata": metadata}


def targets(decision: BindingDecision) -> dict[str, int]:
    return {t.name: t.replicas for t in decision.spec.clusters}


def test_a_new_binding_is_placed_and_created_with_its_status() -> None:
    decision = decide(None, [cluster("a"), cluster("b")])
    assert decision.trigger == "New"
    assert targets(decision) == {"a": 2, "b": 2}
    assert decision.decision_changed and decision.recheck_after is None
    created = decision.created()
    assert created["kind"] == "ResourceBinding"
    assert created["spec"]["resource"]["uid"] == "t-uid"
    [condition] = created["status"]["conditions"]
    assert (condition["type"], condition["status"]) == ("Scheduled", "True")
    assert created["status"]["lastScheduledTime"] == format_timestamp(NOW)


def test_a_second_pass_over_the_same_inputs_writes_nothing() -> None:
    clusters = [cluster("a"), cluster("b")]
    binding = stored(decide(None, clusters))
    assert binding["metadata"]["labels"]["resourcebinding.karmada.io/permanent-id"] == "rb-id-1"
    again = decide(binding, clusters, now=NOW + timedelta(seconds=30), permanent_id="rb-id-2")
    assert again.metadata["labels"]["resourcebinding.karmada.io/permanent-id"] == "rb-id-1"
    assert again.trigger is None
    assert not again.decision_changed
    assert not again.spec_differs(binding)
    assert again.with_status(binding) is None


def test_an_untolerated_taint_evicts_at_once_into_a_graceful_task() -> None:
    binding = stored(decide(None, [cluster("a"), cluster("b")]))
    decision = decide(binding, [cluster("a"), cluster("b", tainted_at=NOW)])
    assert decision.trigger == "Failover"
    assert decision.evicted == ["b"]
    assert targets(decision) == {"a": 4}
    [task] = decision.spec.graceful_eviction_tasks
    assert (task.from_cluster, task.replicas) == ("b", 2)
    assert task.creation_timestamp == format_timestamp(NOW)
    assert decision.recheck_after == 600.0 + RECHECK_MARGIN_S, "the task's timeout"
    assert decision.spec_differs(binding)


def test_a_tolerated_taint_asks_to_look_again_when_the_toleration_ends() -> None:
    tolerations = [
        {
            "key": TAINT_NOT_READY,
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 30,
        }
    ]
    binding = stored(decide(None, [cluster("a"), cluster("b")], tolerations=tolerations))
    tainted = [cluster("a"), cluster("b", tainted_at=NOW)]
    waiting = decide(binding, tainted, tolerations=tolerations, now=NOW + timedelta(seconds=10))
    assert waiting.evicted == []
    assert waiting.recheck_after == 20.0 + RECHECK_MARGIN_S
    due = decide(binding, tainted, tolerations=tolerations, now=NOW + timedelta(seconds=30))
    assert due.evicted == ["b"]


def test_the_status_reports_the_stored_generation() -> None:
    clusters = [cluster("a"), cluster("b")]
    binding = stored(decide(None, clusters))
    binding["metadata"]["generation"] = 3
    decision = decide(binding, clusters)
    written = decision.with_status(binding)
    assert written is not None
    assert written["status"]["schedulerObservedGeneration"] == 3
