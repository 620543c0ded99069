"""The simulated kubelets: pod lifecycle as data, like KWOK stages (selector → delay → next).

A pod moves when the first stage whose selector matches it has waited its delay; the
delay comes from the cluster config or the pod's annotation `sim.navarch.dev/<stage>-delay`
(`pod-ready`, `pod-complete`), so tests and demos can script slow rollouts. Stages write
schema-complete statuses because kubernetes-asyncio validates required fields.
"""

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from services.simulator.caching import SharedInformers
from services.simulator.nodes import is_node_ready
from services.simulator.pacing import Pacer
from services.simulator.resources import NODES, PODS
from services.simulator.workloads import is_pod_ready, is_terminal
from services.simulator.writing import controller_of, delete_quietly, mutate, set_condition
from shared.api.simulated_fleet import ClusterConfig, parse_duration
from shared.runtime.informing import InformerEvent, ObjectKey, key_of
from shared.runtime.reconciling import ReconcileRunner, Requeue
from shared.store.objects import Object, ObjectStore, utc_timestamp

DELAY_ANNOTATION = "sim.navarch.dev/{stage}-delay"


@dataclass
class StageContext:
    """What a stage's `next` may use besides the pod: its node, the time, an address."""

    node: Object | None
    now: str
    allocate_ip: Callable[[Object | None], str]


Selector = Callable[[Object, Object | None], bool]
Next = Callable[[Object, StageContext], Object]


@dataclass(frozen=True)
class Stage:
    """One step of a pod's life: `next` renders the new status; without it the pod goes."""

    name: str
    selector: Selector
    next: Next | None
    delay: float = 0.0

    def delay_for(self, pod: Object) -> float:
        annotations = pod["metadata"].get("annotations") or {}
        override = annotations.get(DELAY_ANNOTATION.format(stage=self.name))
        if override is not None:
            try:
                return parse_duration(override)
            except ValueError:
                return self.delay
        return self.delay


def _bound(pod: Object) -> bool:
    return bool(pod["spec"].get("nodeName")) and not pod["metadata"].get("deletionTimestamp")


def _phase(pod: Object) -> str:
    return (pod.get("status") or {}).get("phase") or "Pending"


def _container_id(pod: Object, name: str) -> str:
    digest = hashlib.sha256(f"{pod['metadata'].get('uid')}/{name}".encode()).hexdigest()
    return f"containerd://{digest}"


def _image_id(image: str) -> str:
    digest = hashlib.sha256(image.encode()).hexdigest()
    return f"{image.split(':')[0]}@sha256:{digest}"


def _conditions(pod: Object, now: str, *, ready: bool, reason: str = "") -> list[Object]:
    conditions = list((pod.get("status") or {}).get("conditions") or [])
    for type_ in ("PodReadyToStartContainers", "Initialized", "PodScheduled"):
        conditions = set_condition(
            conditions, type_=type_, status="True", reason="", message="", now=now
        )
    for type_ in ("ContainersReady", "Ready"):
        conditions = set_condition(
            conditions,
            type_=type_,
            status="True" if ready else "False",
            reason="" if ready else reason,
            message="",
            now=now,
        )
    return conditions


def running_status(pod: Object, context: StageContext) -> Object:
    """pod-ready: Running, every container started and ready, addresses assigned."""
    status = dict(pod.get("status") or {})
    host_ip = _host_ip(context.node)
    pod_ip = status.get("podIP") or context.allocate_ip(context.node)
    start = status.get("startTime") or context.now
    status.update(
        phase="Running",
        hostIP=host_ip,
        hostIPs=[{"ip": host_ip}],
        podIP=pod_ip,
        podIPs=[{"ip": pod_ip}],
        startTime=start,
        conditions=_conditions(pod, context.now, ready=True),
        containerStatuses=[
            {
                "name": container["name"],
                "image": container.get("image", ""),
                "imageID": _image_id(container.get("image", "")),
                "containerID": _container_id(pod, container["name"]),
                "ready": True,
                "started": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": start}},
                "lastState": {},
            }
            for container in pod["spec"].get("containers") or []
        ],
    )
    init = pod["spec"].get("initContainers") or []
    if init:
        status["initContainerStatuses"] = [
            _terminated(pod, container, start, context.now, ready=False) for container in init
        ]
    return status


def _terminated(
    pod: Object, container: Object, started: str, finished: str, *, ready: bool
) -> Object:
    container_id = _container_id(pod, container["name"])
    return {
        "name": container["name"],
        "image": container.get("image", ""),
        "imageID": _image_id(container.get("image", "")),
        "containerID": container_id,
        "ready": ready,
        "started": False,
        "restartCount": 0,
        "state": {
            "terminated": {
                "exitCode": 0,
                "reason": "Completed",
                "startedAt": started,
                "finishedAt": finished,
                "containerID": container_id,
            }
        },
        "lastState": {},
    }


def succeeded_status(pod: Object, context: StageContext) -> Object:
    """pod-complete: every container exited 0."""
    status = dict(pod.get("status") or {})
    started = status.get("startTime") or context.now
    status.update(
        phase="Succeeded",
        conditions=_conditions(pod, context.now, ready=False, reason="PodCompleted"),
        containerStatuses=[
            _terminated(pod, container, started, context.now, ready=False)
            for container in pod["spec"].get("containers") or []
        ],
    )
    return status


def readiness_status(*, ready: bool) -> Next:
    """pod-not-ready / pod-ready-again: follow the node's readiness, containers untouched."""

    def next_status(pod: Object, context: StageContext) -> Object:
        status = dict(pod.get("status") or {})
        status["conditions"] = _conditions(pod, context.now, ready=ready, reason="NodeNotReady")
        for container in status.get("containerStatuses") or []:
            container["ready"] = ready
        return status

    return next_status


def _host_ip(node: Object | None) -> str:
    for address in ((node or {}).get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return address["address"]
    return ""


def _owned_by_job(pod: Object) -> bool:
    return (controller_of(pod) or {}).get("kind") == "Job"


def default_stages(config: ClusterConfig) -> list[Stage]:
    """The stock pod stages, first match wins (KWOK's pod/general set, plus node readiness)."""
    return [
        Stage("pod-orphaned", selector=lambda pod, node: _bound(pod) and node is None, next=None),
        Stage(
            "pod-ready",
            selector=lambda pod, node: (
                _bound(pod)
                and _phase(pod) == "Pending"
                and node is not None
                and is_node_ready(node)
            ),
            next=running_status,
            delay=config.pod_ready_delay,
        ),
        Stage(
            "pod-not-ready",
            selector=lambda pod, node: (
                _phase(pod) == "Running"
                and is_pod_ready(pod)
                and not (node is not None and is_node_ready(node))
            ),
            next=readiness_status(ready=False),
        ),
        Stage(
            "pod-complete",
            selector=lambda pod, node: (
                _bound(pod)
                and _phase(pod) == "Running"
                and _owned_by_job(pod)
                and node is not None
                and is_node_ready(node)
            ),
            next=succeeded_status,
            delay=config.pod_complete_delay,
        ),
        Stage(
            "pod-ready-again",
            selector=lambda pod, node: (
                _bound(pod)
                and _phase(pod) == "Running"
                and not is_pod_ready(pod)
                and node is not None
                and is_node_ready(node)
            ),
            next=readiness_status(ready=True),
        ),
    ]


@dataclass
class _PodAddresses:
    """Pod IPs from each node's podCIDR, handed out round-robin."""

    next_host: dict[str, int] = field(default_factory=dict)

    def allocate(self, node: Object | None) -> str:
        cidr = ((node or {}).get("spec") or {}).get("podCIDR") or "10.244.0.0/24"
        prefix = cidr.split("/")[0].rsplit(".", 1)[0]
        host = self.next_host.get(prefix, 0) % 253 + 2
        self.next_host[prefix] = host
        return f"{prefix}.{host}"


class Kubelets:
    """Runs the stages for every bound pod of the cluster."""

    def __init__(
        self,
        store: ObjectStore,
        informers: SharedInformers,
        *,
        cluster: str,
        stages: list[Stage],
        pacer: Pacer,
    ) -> None:
        self._store = store
        self._informers = informers
        self._pacer = pacer
        self.stages = stages
        self._armed: dict[ObjectKey, tuple[str, float]] = {}
        self._addresses = _PodAddresses()
        self.runner: ReconcileRunner[ObjectKey] = ReconcileRunner(
            f"sim/{cluster}/kubelets", self._reconcile, workers=4
        )
        informers.on(PODS, self._on_pod)
        informers.on(NODES, self._on_node)

    def _on_pod(self, event: InformerEvent) -> None:
        if event.type == "DELETED":
            self._armed.pop(event.key, None)
        elif event.object["spec"].get("nodeName"):
            self.runner.enqueue(event.key)

    def _on_node(self, event: InformerEvent) -> None:
        old = event.old
        if (
            event.type == "MODIFIED"
            and old is not None
            and is_node_ready(old) == is_node_ready(event.object)
        ):
            return
        name = event.object["metadata"]["name"]
        for pod in self._informers.list(PODS):
            if pod["spec"].get("nodeName") == name:
                self.runner.enqueue(key_of(pod))

    def _stage_for(self, pod: Object, node: Object | None) -> Stage | None:
        if is_terminal(pod):
            return None
        return next((stage for stage in self.stages if stage.selector(pod, node)), None)

    async def _reconcile(self, key: ObjectKey) -> Requeue | None:
        await self._pacer.pace()
        pod = self._informers.get(PODS, key[0], key[1])
        node = self._informers.get(NODES, None, pod["spec"].get("nodeName", "")) if pod else None
        stage = self._stage_for(pod, node) if pod else None
        if pod is None or stage is None:
            self._armed.pop(key, None)
            return None
        now = time.monotonic()
        armed = self._armed.get(key)
        if armed is None or armed[0] != stage.name:
            armed = (stage.name, now + stage.delay_for(pod))
            self._armed[key] = armed
        if armed[1] > now:
            return Requeue(after=armed[1] - now)
        self._armed.pop(key, None)
        await self._apply(stage, pod, node)
        return None

    async def _apply(self, stage: Stage, pod: Object, node: Object | None) -> None:
        namespace, name = key_of(pod)
        context = StageContext(node=node, now=utc_timestamp(), allocate_ip=self._addresses.allocate)
        render = stage.next
        if render is None:
            revision = await delete_quietly(
                self._store, PODS, namespace=namespace, name=name, uid=pod["metadata"]["uid"]
            )
            await self._informers.caught_up(PODS, revision)
            return

        def advance(current: Object) -> Object | None:
            if current["metadata"].get("uid") != pod["metadata"]["uid"]:
                return None
            if self._stage_for(current, node) is not stage:
                return None
            current["status"] = render(current, context)
            return current

        written = await mutate(
            self._store, PODS, namespace=namespace, name=name, change=advance, status=True
        )
        if written is not None:
            await self._informers.caught_up(PODS, written["metadata"]["resourceVersion"])

    def start(self) -> None:
        self.runner.start()
        for pod in self._informers.list(PODS):
            if pod["spec"].get("nodeName"):
                self.runner.enqueue(key_of(pod))

    async def stop(self) -> None:
        await self.runner.drain(timeout=2.0)
