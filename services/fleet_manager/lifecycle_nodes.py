"""Draining one member node for removal: cordon, evict through the Eviction API, wait.

Nothing is ever forced: every pod leaves through `pods/eviction`, so the member's
PodDisruptionBudgets decide; a refused eviction (429) is retried with kubectl's backoff
and, past the drain timeout, the node is given back (uncordoned) and the error names the
budget. The drain's start is written on the member node itself (an annotation beside the
cordon), so a fleet-manager killed mid-drain resumes the same node with the same deadline.
"""

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ValidationError

from services.fleet_manager.lifecycle_budgets import (
    EvictionStatus,
    EvictionVerdict,
    verdict_from_status,
)
from services.fleet_manager.lifecycle_draining import (
    DrainOptions,
    DrainPod,
    EvictionProgress,
    EvictionRetryPolicy,
    next_eviction_step,
    plan_drain,
)
from shared.members.client import MemberClient, MemberError, resource_path
from shared.runtime.clock import format_timestamp
from shared.store.objects import Object

log = logging.getLogger(__name__)

DRAIN_ANNOTATION = "cluster.navarch.dev/drain-started"
NODES_PATH = resource_path(group="", version="v1", plural="nodes")
PODS_PATH = resource_path(group="", version="v1", plural="pods")
MERGE_PATCH = "application/merge-patch+json"


class DrainResult(BaseModel):
    """`drained`: the node holds no pod to evict; `retry`: look again after `after_s`;
    `failed`: the drain gave up (the node was uncordoned), `message` says why."""

    action: Literal["drained", "retry", "failed"]
    after_s: float = 0.0
    message: str = ""
    blocked_by: str | None = None


def drain_started(node: Object) -> datetime | None:
    text = (node["metadata"].get("annotations") or {}).get(DRAIN_ANNOTATION)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def node_path(name: str) -> str:
    return resource_path(group="", version="v1", plural="nodes", name=name)


def eviction_path(namespace: str, name: str) -> str:
    pod = resource_path(group="", version="v1", plural="pods", namespace=namespace, name=name)
    return f"{pod}/eviction"


async def cordon(client: MemberClient, node: str, *, now: datetime) -> None:
    """`kubectl cordon`, plus when the drain started (the deadline survives a restart)."""
    patch = {
        "metadata": {"annotations": {DRAIN_ANNOTATION: format_timestamp(now)}},
        "spec": {"unschedulable": True},
    }
    await client.request("PATCH", node_path(node), body=patch, content_type=MERGE_PATCH)


async def uncordon(client: MemberClient, node: str) -> None:
    patch = {"metadata": {"annotations": {DRAIN_ANNOTATION: None}}, "spec": {"unschedulable": None}}
    await client.request("PATCH", node_path(node), body=patch, content_type=MERGE_PATCH)


async def pods_on(client: MemberClient, node: str) -> list[DrainPod]:
    listed = await client.request(
        "GET", PODS_PATH, query=[("fieldSelector", f"spec.nodeName={node}")]
    )
    return [DrainPod.model_validate(item) for item in listed.get("items") or []]


def _verdict(error: MemberError) -> EvictionVerdict:
    try:
        status = EvictionStatus.model_validate(json.loads(error.body))
    except (ValueError, ValidationError):
        return EvictionVerdict(code=error.status or 500, message=error.message)
    return verdict_from_status(status)


async def evict(client: MemberClient, pod: str) -> EvictionVerdict:
    namespace, _, name = pod.partition("/")
    body = {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": name, "namespace": namespace},
    }
    try:
        await client.request("POST", eviction_path(namespace, name), body=body)
    except MemberError as error:
        if error.status is None:
            raise
        return _verdict(error)
    return EvictionVerdict(code=201)


class NodeDrainer:
    """Evictions in flight per pod, with their attempts (the deadline is on the node)."""

    def __init__(self, *, policy: EvictionRetryPolicy, options: DrainOptions | None = None):
        self._policy = policy
        self._options = options or DrainOptions()
        self._progress: dict[tuple[str, str], EvictionProgress] = {}
        self._retry_at: dict[tuple[str, str], datetime] = {}

    def forget(self, cluster: str) -> None:
        for key in [key for key in self._progress if key[0] == cluster]:
            self._progress.pop(key, None)
            self._retry_at.pop(key, None)

    async def drain(
        self, client: MemberClient, *, cluster: str, node: Object, now: datetime
    ) -> DrainResult:
        """One pass over the cordoned node's pods: evict those due, report what is left."""
        name = node["metadata"]["name"]
        started = drain_started(node) or now
        pods = await pods_on(client, name)
        plan = plan_drain(node=name, cordoned=True, pods=pods, options=self._options)
        if plan.blocked:
            await uncordon(client, name)
            return DrainResult(action="failed", message="; ".join(plan.errors))
        waits: list[datetime] = []
        blocked_by: str | None = None
        message = ""
        for pod in plan.evict:
            key = (cluster, pod)
            due = self._retry_at.get(key)
            if due is not None and due > now:
                waits.append(due)
                continue
            progress = self._progress.get(key) or EvictionProgress(pod=pod, started_at=started)
            verdict = await evict(client, pod)
            step = next_eviction_step(progress, verdict=verdict, now=now, policy=self._policy)
            if step.action == "done":
                self._progress.pop(key, None)
                self._retry_at.pop(key, None)
                continue
            if step.action == "failed":
                self._forget_node(cluster, plan.evict)
                await uncordon(client, name)
                log.warning(
                    "drain of node %s gave up: %s",
                    name,
                    step.error,
                    extra={"cluster": cluster, "node": name},
                )
                return DrainResult(
                    action="failed", message=step.error, blocked_by=step.progress.blocked_by
                )
            self._progress[key] = step.progress
            assert step.retry_at is not None
            self._retry_at[key] = step.retry_at
            waits.append(step.retry_at)
            blocked_by = step.progress.blocked_by or blocked_by
            message = verdict.cause or verdict.message
        if waits:
            return DrainResult(
                action="retry",
                after_s=max((min(waits) - now).total_seconds(), 0.05),
                message=message,
                blocked_by=blocked_by,
            )
        remaining = await pods_on(client, name)
        left = plan_drain(node=name, cordoned=True, pods=remaining, options=self._options)
        if left.evict or left.wait_for:
            return DrainResult(action="retry", after_s=0.2, message="waiting for pods to go")
        return DrainResult(action="drained")

    def _forget_node(self, cluster: str, pods: Sequence[str]) -> None:
        for pod in pods:
            self._progress.pop((cluster, pod), None)
            self._retry_at.pop((cluster, pod), None)


def retry_policy(*, initial_s: float, max_s: float, timeout_s: float) -> EvictionRetryPolicy:
    return EvictionRetryPolicy(
        initial_backoff=timedelta(seconds=initial_s),
        max_backoff=timedelta(seconds=max_s),
        timeout=timedelta(seconds=timeout_s),
    )
