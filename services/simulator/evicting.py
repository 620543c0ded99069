"""The `pods/eviction` subresource: delete a pod unless a PodDisruptionBudget forbids it.

The decision is a pure function over the pod, the namespace's PDBs and its pods, with the
API server's own answers (429 + `DisruptionBudget` cause, 500 for several PDBs), so the
REST layer only renders the result. `kubectl drain` and the fleet-manager's node
scale-down go through here.
"""

import asyncio
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.simulator.resources import (
    DEPLOYMENTS,
    PODDISRUPTIONBUDGETS,
    PODS,
    REPLICASETS,
    STATEFULSETS,
)
from services.simulator.workloads import is_pod_ready, replicas_of, selector_of
from services.simulator.writing import controller_of
from shared.store.errors import ConflictError, NotFoundError
from shared.store.objects import Object, ObjectStore

VIOLATION_MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget."
MULTIPLE_BUDGETS_MESSAGE = (
    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not "
    "support."
)


@dataclass(frozen=True)
class EvictionResult:
    """What the API answers: `code` 201 when the pod was (or may be) deleted."""

    code: int
    reason: str = ""
    message: str = ""
    causes: list[dict[str, str]] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.code == 201

    def status(self) -> Object:
        """The body as a meta/v1 Status."""
        body: Object = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success" if self.allowed else "Failure",
            "code": self.code,
        }
        if self.reason:
            body["reason"] = self.reason
        if self.message:
            body["message"] = self.message
        if self.causes:
            body["details"] = {"causes": self.causes}
        return body


@dataclass(frozen=True)
class BudgetState:
    expected: int
    healthy: int
    desired_healthy: int

    @property
    def disruptions_allowed(self) -> int:
        return max(0, self.healthy - self.desired_healthy)


def _scaled(value: Any, total: int) -> int:
    """intstr.GetScaledValueFromIntOrPercent with rounding up."""
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(int(value[:-1]) * total / 100)
    return int(value)


def budget_state(pdb: Object, pods: list[Object], *, expected: int) -> BudgetState:
    """currentHealthy / desiredHealthy the way the disruption controller computes them."""
    spec = pdb.get("spec") or {}
    healthy = sum(
        1 for pod in pods if is_pod_ready(pod) and not pod["metadata"].get("deletionTimestamp")
    )
    if spec.get("maxUnavailable") is not None:
        desired = max(0, expected - _scaled(spec["maxUnavailable"], expected))
    elif spec.get("minAvailable") is not None:
        desired = _scaled(spec["minAvailable"], expected)
    else:
        desired = 0
    return BudgetState(expected=expected, healthy=healthy, desired_healthy=desired)


def expected_pods(
    pdb: Object, pods: list[Object], controllers: Mapping[tuple[str, str], Object]
) -> int:
    """Pods the budget expects: the matched pods' controllers' replicas (getExpectedScale).

    Integer `minAvailable` counts the matching pods; otherwise each distinct controller
    (Deployment over its ReplicaSets, ReplicaSet, StatefulSet) counts `spec.replicas`.
    """
    min_available = (pdb.get("spec") or {}).get("minAvailable")
    if min_available is not None and not str(min_available).endswith("%"):
        return len(pods)
    scales: dict[tuple[str, str], int] = {}
    loose = 0
    for pod in pods:
        reference = controller_of(pod)
        owner = controllers.get((reference["kind"], reference["name"])) if reference else None
        if owner is None:
            loose += 1
            continue
        parent = controller_of(owner)
        if owner["kind"] == "ReplicaSet" and parent and parent.get("kind") == "Deployment":
            deployment = controllers.get(("Deployment", parent["name"]))
            if deployment is not None:
                owner = deployment
        scales[(owner["kind"], owner["metadata"]["name"])] = replicas_of(owner)
    return sum(scales.values()) + loose


def decide_eviction(
    pod: Object,
    pdbs: list[Object],
    pods: list[Object],
    controllers: Mapping[tuple[str, str], Object],
) -> EvictionResult:
    """Whether evicting `pod` keeps every budget that covers it (policy/v1 semantics)."""
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed", "Pending") or pod["metadata"].get("deletionTimestamp"):
        return EvictionResult(201)
    labels = pod["metadata"].get("labels") or {}
    covering = [pdb for pdb in pdbs if selector_of(pdb).matches(labels)]
    if not covering:
        return EvictionResult(201)
    if len(covering) > 1:
        return EvictionResult(500, "InternalError", MULTIPLE_BUDGETS_MESSAGE)
    pdb = covering[0]
    selector = selector_of(pdb)
    matched = [item for item in pods if selector.matches(item["metadata"].get("labels") or {})]
    state = budget_state(pdb, matched, expected=expected_pods(pdb, matched, controllers))
    if not is_pod_ready(pod) and state.healthy >= state.desired_healthy:
        return EvictionResult(201)
    if state.disruptions_allowed > 0:
        return EvictionResult(201)
    name = pdb["metadata"]["name"]
    cause = {
        "reason": "DisruptionBudget",
        "message": f"The disruption budget {name} needs {state.desired_healthy} healthy pods "
        f"and has {state.healthy} currently",
    }
    return EvictionResult(429, "TooManyRequests", VIOLATION_MESSAGE, [cause])


async def evict(
    store: ObjectStore, *, namespace: str, name: str, lock: asyncio.Lock
) -> EvictionResult:
    """Decide and delete in one step; `lock` (one per store) serialises evictions so two
    concurrent drains cannot both spend the last allowed disruption."""
    async with lock:
        try:
            pod = await store.get(PODS, namespace, name)
        except NotFoundError:
            return EvictionResult(404, "NotFound", f'pods "{name}" not found')
        pdbs = (await store.list(PODDISRUPTIONBUDGETS, namespace=namespace)).items
        pods = (await store.list(PODS, namespace=namespace)).items
        controllers = {
            (obj["kind"], obj["metadata"]["name"]): obj
            for resource in (DEPLOYMENTS, REPLICASETS, STATEFULSETS)
            for obj in (await store.list(resource, namespace=namespace)).items
        }
        result = decide_eviction(pod, pdbs, pods, controllers)
        if not result.allowed:
            return result
        try:
            await store.delete(PODS, namespace, name, uid=pod["metadata"]["uid"])
        except NotFoundError:
            return EvictionResult(404, "NotFound", f'pods "{name}" not found')
        except ConflictError as error:
            return EvictionResult(409, "Conflict", str(error))
        return result
