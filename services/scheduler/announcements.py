"""What the scheduler tells the bus after a write: a decision, or an eviction.

`navarch.binding.scheduled.<namespace>.<name>` carries the new targets with the previous
ones and the trigger; `navarch.binding.evicted.<namespace>.<name>` one evicted cluster.
Cluster-scoped bindings use the `_cluster` namespace token. Payloads are built here, pure;
the reconcile publishes them once the write has landed.
"""

from typing import Any

from services.scheduler.binding_sync import targets_of
from services.scheduler.failover import REASON_TAINT_UNTOLERATED
from shared import subjects
from shared.api.binding import ResourceBindingSpec
from shared.placement.placing import PlacementResult
from shared.store.objects import Object

CLUSTER_SCOPE_TOKEN = "_cluster"
"""Namespace token of cluster-scoped bindings in `navarch.binding.*` subjects."""


def binding_subject(base: str, binding: Object) -> str:
    metadata = binding["metadata"]
    return subjects.subject(
        base, metadata.get("namespace") or CLUSTER_SCOPE_TOKEN, metadata["name"]
    )


def decision_payload(
    binding: Object,
    *,
    old_spec: ResourceBindingSpec | None,
    trigger: str | None,
    result: PlacementResult | None,
) -> dict[str, Any]:
    spec = binding["spec"]
    return {
        "kind": binding["kind"],
        "namespace": binding["metadata"].get("namespace") or "",
        "name": binding["metadata"]["name"],
        "resourceVersion": binding["metadata"].get("resourceVersion"),
        "resource": spec["resource"],
        "clusters": spec.get("clusters") or [],
        "previous": targets_of(old_spec) if old_spec else [],
        "gracefulEvictionTasks": [
            t["fromCluster"] for t in spec.get("gracefulEvictionTasks") or []
        ],
        "trigger": trigger,
        "scheduled": result.scheduled if result else True,
        "message": result.condition().message if result else "",
    }


def eviction_payload(binding: Object, *, cluster: str, replicas: int) -> dict[str, Any]:
    return {
        "namespace": binding["metadata"].get("namespace") or "",
        "name": binding["metadata"]["name"],
        "cluster": cluster,
        "replicas": replicas,
        "reason": REASON_TAINT_UNTOLERATED,
    }
