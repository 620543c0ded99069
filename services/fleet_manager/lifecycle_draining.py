"""Shrinking a node pool safely: which nodes go, how each is drained, when a drain gives up.

Which nodes: only while the cluster is healthy, never below the new count; NotReady nodes
first (Cluster API deletes unhealthy machines first), then the lowest utilization as Cluster
Autoscaler computes it (requested / allocatable, the larger of CPU and memory), then the
oldest or newest first as configured, then by name.

How: `kubectl drain`'s plan (`k8s.io/kubectl/pkg/drain/filters.go`): cordon, then evict every
pod through the Eviction API except mirror pods and, when ignored, DaemonSet pods; pods with
local storage or without a controller block the drain unless allowed, with kubectl's words;
pods already terminating are waited for rather than evicted again.
The defaults are Cluster API's machine drain (ignore DaemonSets, delete emptyDir data, force
pods without a controller), since a node being removed takes those pods with it anyway.

When: an eviction refused by a PodDisruptionBudget (429) is retried with exponential backoff
from kubectl's 5 s; after the drain timeout the node's drain gives up with kubectl's
"global timeout reached" error, naming the budget that blocked it.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from services.fleet_manager.lifecycle_budgets import EvictionVerdict
from shared.api.base import KubeModel
from shared.api.pods import Node, Pod, PodSpec, PodStatus
from shared.node_utilization import (
    UtilizationError,
    is_daemonset_pod,
    is_mirror_pod,
    node_utilization,
)

ScaleDownOrder = Literal["Oldest", "Newest"]

DAEMONSET_FATAL = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
DAEMONSET_WARNING = "ignoring DaemonSet-managed Pods"
LOCAL_STORAGE_FATAL = "Pods with local storage (use --delete-emptydir-data to override)"
LOCAL_STORAGE_WARNING = "deleting Pods with local storage"
UNMANAGED_FATAL = "Pods that declare no controller (use --force to override)"
UNMANAGED_WARNING = "deleting Pods that declare no controller"


class ScaleDownSelection(BaseModel):
    nodes: list[str] = Field(default_factory=list)
    waiting: str = ""
    """Why nothing is removed yet, when something should be."""


def _created(node: Node) -> str:
    return node.metadata.creation_timestamp or ""


def select_nodes_to_remove(
    *,
    nodes: Sequence[Node],
    pods_by_node: Mapping[str, Sequence[Pod]],
    new_count: int,
    cluster_healthy: bool,
    order: ScaleDownOrder,
    now: datetime,
) -> ScaleDownSelection:
    """The pool's nodes to drain and remove so that `new_count` remain."""
    surplus = len(nodes) - max(new_count, 0)
    if surplus <= 0:
        return ScaleDownSelection()
    if not cluster_healthy:
        return ScaleDownSelection(waiting="the cluster is not healthy; scale-down waits")

    def utilization(node: Node) -> float:
        try:
            return node_utilization(
                node, pods_by_node.get(node.metadata.name, ()), now=now
            ).utilization
        except UtilizationError:
            return 0.0

    by_age = sorted(nodes, key=_created, reverse=order == "Newest")
    rank = {node.metadata.name: index for index, node in enumerate(by_age)}
    ordered = sorted(
        nodes,
        key=lambda node: (node.ready, utilization(node), rank[node.metadata.name]),
    )
    return ScaleDownSelection(nodes=[node.metadata.name for node in ordered[:surplus]])


class PodVolume(KubeModel):
    name: str = ""
    empty_dir: dict[str, object] | None = None


class DrainPodSpec(PodSpec):
    volumes: list[PodVolume] = Field(default_factory=list)


class PodCondition(KubeModel):
    type: str
    status: str


class DrainPodStatus(PodStatus):
    conditions: list[PodCondition] = Field(default_factory=list)


class DrainPod(Pod):
    """A pod as a drain reads it: its volumes, controller and readiness."""

    spec: DrainPodSpec = Field(default_factory=DrainPodSpec)
    status: DrainPodStatus = Field(default_factory=DrainPodStatus)

    @property
    def key(self) -> str:
        return f"{self.metadata.namespace}/{self.metadata.name}"

    @property
    def ready(self) -> bool:
        return any(c.type == "Ready" and c.status == "True" for c in self.status.conditions)


class DrainOptions(BaseModel):
    ignore_daemonsets: bool = True
    delete_emptydir_data: bool = True
    force: bool = True


class DrainPlan(BaseModel):
    """Cordon (unless already), then evict `evict`; `errors` block the drain before it starts."""

    node: str
    cordon: bool
    evict: list[str] = Field(default_factory=list)
    wait_for: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.errors)


PodFate = Literal["evict", "skip", "wait", "warn", "fatal"]


def _fate(pod: DrainPod, options: DrainOptions) -> tuple[PodFate, str]:
    """kubectl's filters in order; the first that keeps the pod decides."""
    if pod.metadata.deletion_timestamp:
        return "wait", ""
    if is_daemonset_pod(pod):
        return (
            ("warn", DAEMONSET_WARNING)
            if options.ignore_daemonsets
            else (
                "fatal",
                DAEMONSET_FATAL,
            )
        )
    if is_mirror_pod(pod):
        return "skip", ""
    if pod.terminated:
        return "evict", ""
    if any(volume.empty_dir is not None for volume in pod.spec.volumes):
        if not options.delete_emptydir_data:
            return "fatal", LOCAL_STORAGE_FATAL
        fate: tuple[PodFate, str] = ("evict", LOCAL_STORAGE_WARNING)
    else:
        fate = ("evict", "")
    if not any(owner.controller for owner in pod.metadata.owner_references):
        if not options.force:
            return "fatal", UNMANAGED_FATAL
        return "evict", UNMANAGED_WARNING
    return fate


def plan_drain(
    *, node: str, cordoned: bool, pods: Sequence[DrainPod], options: DrainOptions
) -> DrainPlan:
    """What draining `node` takes, with kubectl's warnings and errors grouped by reason."""
    plan = DrainPlan(node=node, cordon=not cordoned)
    warned: dict[str, list[str]] = {}
    fatal: dict[str, list[str]] = {}
    for pod in pods:
        fate, reason = _fate(pod, options)
        if fate == "fatal":
            fatal.setdefault(reason, []).append(pod.key)
            continue
        if reason:
            warned.setdefault(reason, []).append(pod.key)
        if fate == "evict":
            plan.evict.append(pod.key)
        elif fate == "wait":
            plan.wait_for.append(pod.key)
    plan.errors = [f"cannot delete {reason}: {', '.join(keys)}" for reason, keys in fatal.items()]
    plan.warnings = [f"{reason}: {', '.join(keys)}" for reason, keys in warned.items()]
    return plan


class EvictionRetryPolicy(BaseModel):
    initial_backoff: timedelta = timedelta(seconds=5)
    """kubectl drain retries a refused eviction after 5 s."""
    max_backoff: timedelta = timedelta(minutes=1)
    timeout: timedelta = timedelta(minutes=10)
    """How long a node's drain may take; Cluster API's nodeDrainTimeout, 0 in kubectl."""


class EvictionProgress(BaseModel):
    """One pod's eviction attempts so far."""

    pod: str
    started_at: datetime
    attempts: int = 0
    blocked_by: str | None = None


class EvictionStep(BaseModel):
    """What to do next for one pod: done, retry at a time, or give up with an error."""

    action: Literal["done", "retry", "failed"]
    progress: EvictionProgress
    retry_at: datetime | None = None
    error: str = ""


def go_duration(value: timedelta) -> str:
    """Go's `time.Duration.String()` for whole seconds: `5s`, `10m0s`, `1h0m0s`."""
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{minutes}m{seconds}s"
    return f"{seconds}s"


def _pod_words(key: str) -> tuple[str, str]:
    namespace, _, name = key.partition("/")
    return name, namespace


def next_eviction_step(
    progress: EvictionProgress,
    *,
    verdict: EvictionVerdict,
    now: datetime,
    policy: EvictionRetryPolicy,
) -> EvictionStep:
    """After one eviction call: kubectl's handling of its answer, with backoff and a deadline."""
    attempts = progress.attempts + 1
    name, namespace = _pod_words(progress.pod)
    if verdict.allowed or verdict.code == 404:
        return EvictionStep(
            action="done", progress=progress.model_copy(update={"attempts": attempts})
        )
    if verdict.code != 429:
        return EvictionStep(
            action="failed",
            progress=progress.model_copy(update={"attempts": attempts}),
            error=f'error when evicting pods/"{name}" -n "{namespace}": {verdict.message}',
        )
    updated = progress.model_copy(update={"attempts": attempts, "blocked_by": verdict.budget})
    backoff = min(policy.initial_backoff * (2 ** (attempts - 1)), policy.max_backoff)
    deadline = progress.started_at + policy.timeout
    if now + backoff > deadline:
        budget = verdict.budget or "unknown"
        return EvictionStep(
            action="failed",
            progress=updated,
            error=(
                f'error when evicting pods/"{name}" -n "{namespace}": global timeout reached: '
                f"{go_duration(policy.timeout)} (blocked by PodDisruptionBudget "
                f'"{budget}": {verdict.cause or verdict.message})'
            ),
        )
    return EvictionStep(action="retry", progress=updated, retry_at=now + backoff)
