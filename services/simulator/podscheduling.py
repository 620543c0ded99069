"""kube-scheduler's filters as a pure function: where a pod fits, or why it fits nowhere.

The filters run in the default profile's order (NodeUnschedulable, TaintToleration,
NodeAffinity, NodeResourcesFit); a node fails on the first filter that rejects it, and
the reasons are counted into kube-scheduler's own message, e.g.
`0/3 nodes are available: 3 Insufficient cpu.`, because users and tools grep for it.
Among the nodes that fit, the least allocated wins (the default scoring strategy).
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.simulator.caching import SharedInformers
from services.simulator.pacing import Pacer
from services.simulator.resources import NODES, PODS
from services.simulator.writing import mutate, set_condition
from shared.api.meta import Taint, Toleration
from shared.quantity import QuantityError, parse_quantity
from shared.runtime.informing import InformerEvent, key_of
from shared.runtime.reconciling import ReconcileRunner
from shared.store.objects import Object, ObjectStore, utc_timestamp

Resources = dict[str, Decimal]
UNSCHEDULABLE_TAINT = Taint(key="node.kubernetes.io/unschedulable", effect="NoSchedule")
_FILTERED_EFFECTS = ("NoSchedule", "NoExecute")
_TERMINAL_PHASES = ("Succeeded", "Failed")


def _add(total: Resources, resources: dict[str, Any] | None) -> None:
    for name, text in (resources or {}).items():
        try:
            total[name] = total.get(name, Decimal(0)) + parse_quantity(str(text))
        except QuantityError:
            continue


def _container_requests(container: Object) -> Resources:
    """Requests, defaulting to limits like the API server does."""
    resources = container.get("resources") or {}
    merged = dict(resources.get("limits") or {})
    merged.update(resources.get("requests") or {})
    total: Resources = {}
    _add(total, merged)
    return total


def pod_requests(spec: Object) -> Resources:
    """Σ containers, max'ed with each init container, plus overhead (`PodRequests`)."""
    total: Resources = {}
    for container in spec.get("containers") or []:
        for name, value in _container_requests(container).items():
            total[name] = total.get(name, Decimal(0)) + value
    for container in spec.get("initContainers") or []:
        for name, value in _container_requests(container).items():
            total[name] = max(total.get(name, Decimal(0)), value)
    _add(total, spec.get("overhead"))
    return total


def resource_list(resources: dict[str, Any] | None) -> Resources:
    total: Resources = {}
    _add(total, resources)
    return total


def occupies_node(pod: Object) -> bool:
    """Bound, not finished: the pod's requests count against its node."""
    return bool((pod.get("spec") or {}).get("nodeName")) and (
        (pod.get("status") or {}).get("phase") not in _TERMINAL_PHASES
    )


@dataclass
class NodeInfo:
    """What the filters need to know about one node, including what is already bound."""

    name: str
    labels: dict[str, str]
    allocatable: Resources
    taints: list[Taint] = field(default_factory=list)
    unschedulable: bool = False
    requested: Resources = field(default_factory=dict)
    pod_count: int = 0

    @classmethod
    def from_node(cls, node: Object) -> "NodeInfo":
        spec = node.get("spec") or {}
        return cls(
            name=node["metadata"]["name"],
            labels=dict(node["metadata"].get("labels") or {}),
            allocatable=resource_list((node.get("status") or {}).get("allocatable")),
            taints=[Taint.model_validate(taint) for taint in spec.get("taints") or []],
            unschedulable=bool(spec.get("unschedulable")),
        )

    def assume(self, requests: Resources) -> None:
        """Count a pod bound to this node."""
        for name, value in requests.items():
            self.requested[name] = self.requested.get(name, Decimal(0)) + value
        self.pod_count += 1

    def free(self, resource: str) -> Decimal:
        return self.allocatable.get(resource, Decimal(0)) - self.requested.get(resource, Decimal(0))


def node_infos(nodes: Iterable[Object], pods: Iterable[Object]) -> dict[str, NodeInfo]:
    """NodeInfos with every bound, unfinished pod's requests counted."""
    infos = {node["metadata"]["name"]: NodeInfo.from_node(node) for node in nodes}
    for pod in pods:
        if occupies_node(pod):
            info = infos.get(pod["spec"]["nodeName"])
            if info is not None:
                info.assume(pod_requests(pod["spec"]))
    return infos


@dataclass(frozen=True)
class FitResult:
    node: str | None
    """The chosen node, or None with `message` saying why none fits."""
    message: str = ""


def _tolerations(spec: Object) -> list[Toleration]:
    return [Toleration.model_validate(item) for item in spec.get("tolerations") or []]


def _selector_matches(spec: Object, labels: dict[str, str]) -> bool:
    selector = spec.get("nodeSelector") or {}
    if any(labels.get(key) != value for key, value in selector.items()):
        return False
    affinity = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if not affinity:
        return True
    terms = affinity.get("nodeSelectorTerms") or []
    return any(_term_matches(term, labels) for term in terms)


def _term_matches(term: Object, labels: dict[str, str]) -> bool:
    for requirement in term.get("matchExpressions") or []:
        key, operator = requirement.get("key", ""), requirement.get("operator", "")
        values = requirement.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
        if operator in ("Gt", "Lt"):
            try:
                actual, bound = int(labels[key]), int(values[0])
            except (KeyError, IndexError, ValueError):
                return False
            if (operator == "Gt" and not actual > bound) or (
                operator == "Lt" and not actual < bound
            ):
                return False
    return bool(term.get("matchExpressions") or term.get("matchFields"))


def _resource_reasons(requests: Resources, node: NodeInfo) -> list[str]:
    reasons = []
    if node.pod_count + 1 > node.allocatable.get("pods", Decimal(0)):
        reasons.append("Too many pods")
    for name in sorted(requests):
        if name == "pods" or requests[name] <= 0:
            continue
        if requests[name] > node.free(name):
            reasons.append(f"Insufficient {name}")
    return reasons


def filter_reasons(spec: Object, requests: Resources, node: NodeInfo) -> list[str]:
    """Why the pod cannot go to this node (empty when it fits), first failing filter only."""
    tolerations = _tolerations(spec)
    if node.unschedulable and not any(t.tolerates(UNSCHEDULABLE_TAINT) for t in tolerations):
        return ["node(s) were unschedulable"]
    for taint in node.taints:
        if taint.effect in _FILTERED_EFFECTS and not any(t.tolerates(taint) for t in tolerations):
            return [f"node(s) had untolerated taint {{{taint.key}: {taint.value or ''}}}"]
    if not _selector_matches(spec, node.labels):
        return ["node(s) didn't match Pod's node affinity/selector"]
    return _resource_reasons(requests, node)


def _score(requests: Resources, node: NodeInfo) -> tuple[Decimal, str]:
    """LeastAllocated over cpu and memory: lower is better; the name breaks ties."""
    used = Decimal(0)
    for name in ("cpu", "memory"):
        allocatable = node.allocatable.get(name, Decimal(0))
        if allocatable > 0:
            used += (node.requested.get(name, Decimal(0)) + requests.get(name, Decimal(0))) / (
                allocatable
            )
    return used, node.name


def failure_message(total_nodes: int, reasons: Counter[str]) -> str:
    """kube-scheduler's FitError text: reasons counted, rendered `<n> <reason>`, sorted."""
    rendered = sorted(f"{count} {reason}" for reason, count in reasons.items())
    if not rendered:
        return f"0/{total_nodes} nodes are available."
    return f"0/{total_nodes} nodes are available: {', '.join(rendered)}."


def fit(pod: Object, nodes: Iterable[NodeInfo]) -> FitResult:
    """The node a pod goes to, or kube-scheduler's message for why none fits."""
    spec = pod.get("spec") or {}
    requests = pod_requests(spec)
    candidates = list(nodes)
    reasons: Counter[str] = Counter()
    feasible: list[NodeInfo] = []
    for node in candidates:
        failed = filter_reasons(spec, requests, node)
        if failed:
            reasons.update(failed)
        else:
            feasible.append(node)
    if not feasible:
        return FitResult(None, failure_message(len(candidates), reasons))
    return FitResult(min(feasible, key=lambda node: _score(requests, node)).name)


DEFAULT_SCHEDULER = "default-scheduler"


def needs_scheduling(pod: Object) -> bool:
    spec = pod.get("spec") or {}
    return (
        not spec.get("nodeName")
        and not pod["metadata"].get("deletionTimestamp")
        and spec.get("schedulerName", DEFAULT_SCHEDULER) == DEFAULT_SCHEDULER
        and (pod.get("status") or {}).get("phase") not in _TERMINAL_PHASES
    )


def _scheduling_view(node: Object) -> tuple[Any, ...]:
    """The parts of a node the filters read; heartbeats leave it unchanged."""
    return (
        node["metadata"].get("labels"),
        node.get("spec"),
        (node.get("status") or {}).get("allocatable"),
    )


class PodScheduler:
    """Binds Pending pods in creation order, or marks them `PodScheduled=False`.

    One queue key covers every Pending pod: a change that frees or adds room (a node added
    or changed, a pod deleted or finished) retries them all in one pass.
    """

    _KEY = "pending"

    def __init__(
        self, store: ObjectStore, informers: SharedInformers, *, cluster: str, pacer: Pacer
    ) -> None:
        self._store = store
        self._informers = informers
        self._pacer = pacer
        self.runner: ReconcileRunner[str] = ReconcileRunner(
            f"sim/{cluster}/scheduler", self._reconcile, workers=1
        )
        informers.on(PODS, self._on_pod)
        informers.on(NODES, self._on_node)

    def _on_pod(self, event: InformerEvent) -> None:
        pod, old = event.object, event.old
        if event.type == "DELETED":
            if occupies_node(pod):
                self.runner.enqueue(self._KEY)
        elif event.type == "ADDED" or old is None:
            if needs_scheduling(pod):
                self.runner.enqueue(self._KEY)
        elif needs_scheduling(pod) and old.get("spec") != pod.get("spec"):
            self.runner.enqueue(self._KEY)
        elif occupies_node(old) and not occupies_node(pod):
            self.runner.enqueue(self._KEY)

    def _on_node(self, event: InformerEvent) -> None:
        if event.old is None or _scheduling_view(event.old) != _scheduling_view(event.object):
            self.runner.enqueue(self._KEY)

    async def _reconcile(self, _key: str) -> None:
        pods = self._informers.list(PODS)
        pending = sorted(
            (pod for pod in pods if needs_scheduling(pod)),
            key=lambda pod: (pod["metadata"].get("creationTimestamp", ""), key_of(pod)),
        )
        if not pending:
            return
        infos = node_infos(self._informers.list(NODES), pods)
        last_revision: str | None = None
        for pod in pending:
            await self._pacer.pace()
            result = fit(pod, infos.values())
            if result.node is not None:
                written = await self._bind(pod, result.node)
                if written is not None:
                    infos[result.node].assume(pod_requests(pod.get("spec") or {}))
            elif _unschedulable_for(pod, result.message):
                written = None
            else:
                written = await self._mark_unschedulable(pod, result.message)
            if written is not None:
                last_revision = written["metadata"]["resourceVersion"]
        await self._informers.caught_up(PODS, last_revision)

    async def _bind(self, pod: Object, node: str) -> Object | None:
        uid = pod["metadata"].get("uid")

        def bind(current: Object) -> Object | None:
            if current["metadata"].get("uid") != uid or not needs_scheduling(current):
                return None
            current["spec"]["nodeName"] = node
            return current

        namespace, name = key_of(pod)
        bound = await mutate(self._store, PODS, namespace=namespace, name=name, change=bind)
        if bound is None or bound["spec"].get("nodeName") != node:
            return None
        now = utc_timestamp()
        return await mutate(
            self._store,
            PODS,
            namespace=namespace,
            name=name,
            change=lambda current: _scheduled(
                current, status="True", reason="", message="", now=now
            ),
            status=True,
        )

    async def _mark_unschedulable(self, pod: Object, message: str) -> Object | None:
        namespace, name = key_of(pod)
        now = utc_timestamp()
        return await mutate(
            self._store,
            PODS,
            namespace=namespace,
            name=name,
            change=lambda current: _scheduled(
                current, status="False", reason="Unschedulable", message=message, now=now
            ),
            status=True,
        )

    def start(self) -> None:
        self.runner.start()
        self.runner.enqueue(self._KEY)

    async def stop(self) -> None:
        await self.runner.drain(timeout=2.0)


def _unschedulable_for(pod: Object, message: str) -> bool:
    """The cached pod already says so: a retry pass writes nothing for it."""
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "PodScheduled":
            return (condition.get("status"), condition.get("reason"), condition.get("message")) == (
                "False",
                "Unschedulable",
                message,
            )
    return False


def _scheduled(pod: Object, *, status: str, reason: str, message: str, now: str) -> Object:
    pod_status = pod.setdefault("status", {})
    pod_status.setdefault("phase", "Pending")
    pod_status.setdefault("qosClass", "BestEffort")
    pod_status["conditions"] = set_condition(
        list(pod_status.get("conditions") or []),
        type_="PodScheduled",
        status=status,
        reason=reason,
        message=message,
        now=now,
    )
    return pod
