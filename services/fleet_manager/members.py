"""A live session with one member: health probes, node and pod watches, discovery.

The session only observes and remembers; it asks the service to reconcile (`on_change`)
whenever what it knows changes, and the service writes the hub objects (and announces a
health transition once the Cluster holds it). The shared registry
(`shared.members.sessions.MemberSessions`) owns its lifecycle.
"""

import asyncio
import logging
from collections.abc import Callable

from services.fleet_manager.health import HealthTracker, ProbeOutcome
from services.fleet_manager.observations import MemberObservations, Summaries
from services.fleet_manager.settings import FleetManagerSettings
from services.fleet_manager.summarizing import (
    GPU_PRODUCT_LABEL,
    gpu_products,
    node_summary,
    resource_summary,
)
from shared.api.cluster import APIEnablement
from shared.api.meta import Condition
from shared.api.pods import Node, Pod
from shared.members.client import MemberClient, MemberError
from shared.members.watching import MemberInformer
from shared.runtime.clock import WallClock, format_timestamp
from shared.runtime.informing import InformerEvent, ObjectKey
from shared.runtime.tasks import OwnedTasks
from shared.store.objects import Object

log = logging.getLogger(__name__)


def summary_input(obj: Object) -> tuple[object, ...]:
    """The parts of a node or pod that node/resource summaries and GPU totals depend on."""
    status = obj.get("status") or {}
    if obj.get("kind") == "Node" or "allocatable" in status:
        ready = [
            c.get("status") for c in status.get("conditions") or [] if c.get("type") == "Ready"
        ]
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return (status.get("allocatable"), ready, labels.get(GPU_PRODUCT_LABEL))
    spec = obj.get("spec") or {}
    containers = [c.get("resources") for c in spec.get("containers") or []]
    init = [c.get("resources") for c in spec.get("initContainers") or []]
    return (spec.get("nodeName"), status.get("phase"), containers, init, spec.get("overhead"))


class MemberSession:
    def __init__(
        self,
        attached: ObjectKey,
        client: MemberClient,
        *,
        settings: FleetManagerSettings,
        clock: WallClock,
        current_ready: Condition | None,
        on_change: Callable[[], None],
        on_probe_state: Callable[[str], None],
    ) -> None:
        self.attached = attached
        """The AttachedCluster the session was built for (its name is the Cluster's)."""
        self.name = attached[1]
        self.client = client
        self._settings = settings
        self._clock = clock
        self._on_change = on_change
        self._on_probe_state = on_probe_state
        self._tracker = HealthTracker(
            failure_threshold=settings.failure_threshold, current=current_ready
        )
        self._tasks = OwnedTasks(f"member/{self.name}")
        self.nodes = MemberInformer(client, path="/api/v1/nodes")
        self.pods = MemberInformer(client, path="/api/v1/pods")
        self.version: str | None = None
        self.api_enablements: list[APIEnablement] | None = None
        self.last_error: MemberError | None = None
        self.online = False
        self.probe_failing = False
        """The latest probe failed, whether or not the failure threshold is reached yet."""
        self._eviction_hold = 0
        self._ensured_namespaces: set[str] = set()

    @property
    def ready_condition(self) -> Condition | None:
        return self._tracker.condition

    @property
    def eviction_held(self) -> bool:
        return self._eviction_hold > 0

    def hold_evictions(self) -> None:
        """After a fleet-wide disruption ends, a cluster still NotReady must fail a full
        threshold of probes again before its NoExecute taint returns, as Kubernetes resets
        every node's probe timestamps when it leaves disruption mode: clusters recover a
        probe period apart, and the last ones must not be failed over for it."""
        condition = self._tracker.condition
        if condition is not None and condition.status == "False":
            self._eviction_hold = self._settings.failure_threshold

    def _count_down_hold(self, *, healthy: bool) -> None:
        if self._eviction_hold == 0:
            return
        self._eviction_hold = 0 if healthy else self._eviction_hold - 1
        if self._eviction_hold == 0:
            self._on_change()

    def start(self) -> None:
        for informer in (self.nodes, self.pods):
            informer.add_handler(self._summary_input_changed)
            informer.on_error(self._record_error)
            self._tasks.start(informer.run(), name=informer.path)
        self._tasks.start(self._probe_forever(), name="probe")

    def _summary_input_changed(self, event: InformerEvent) -> None:
        """Heartbeats rewrite node status every few seconds; only what summaries read counts."""
        if event.type == "MODIFIED" and event.old is not None:
            if summary_input(event.old) == summary_input(event.object):
                return
        self._on_change()

    async def stop(self) -> None:
        await self._tasks.stop()
        await self.client.close()

    def _record_error(self, error: MemberError) -> None:
        if self.last_error != error:
            self.last_error = error
            self._on_change()

    async def _probe_forever(self) -> None:
        while True:
            probe = await self.client.probe(timeout=self._settings.probe_timeout_s)
            self.online = probe.online
            outcome = ProbeOutcome(online=probe.online, healthy=probe.healthy, detail=probe.detail)
            changed = self._tracker.observe(outcome, now=format_timestamp(self._clock()))
            was_failing, self.probe_failing = self.probe_failing, not probe.healthy
            self._count_down_hold(healthy=probe.healthy)
            if changed is not None or was_failing != self.probe_failing:
                self._notify(self._on_probe_state, self.name)
            if probe.healthy and self.version is None:
                await self._discover()
            if probe.healthy and self.last_error is not None and self.nodes.synced:
                self.last_error = None
                self._on_change()
            if changed is not None:
                self._on_change()
            await asyncio.sleep(self._settings.probe_period_s)

    def _notify(self, listener: Callable[..., None], *args: object) -> None:
        """A failing listener is logged and must not end the probe loop."""
        try:
            listener(*args)
        except Exception:
            log.exception("health listener failed for cluster %s", self.name)

    async def _discover(self) -> None:
        try:
            self.version = await self.client.version()
            self.api_enablements = await self.client.api_enablements()
        except MemberError as error:
            self._record_error(error)
            return
        self._on_change()

    def observe(self) -> MemberObservations:
        """One snapshot of what the session knows, for a reconcile to read."""
        return MemberObservations(
            server=self.client.server,
            ready=self._tracker.condition,
            online=self.online,
            last_error=self.last_error,
            version=self.version,
            api_enablements=self.api_enablements,
            summaries=self.summaries(),
            eviction_held=self.eviction_held,
        )

    def summaries(self) -> Summaries | None:
        if not (self.nodes.synced and self.pods.synced):
            return None
        nodes = [Node.model_validate(node) for node in self.nodes.list()]
        pods = [Pod.model_validate(pod) for pod in self.pods.list()]
        return node_summary(nodes), resource_summary(nodes, pods), gpu_products(nodes, pods)

    async def ensure_namespaces(self, names: set[str]) -> None:
        """Namespace sameness: the fleet's namespaces exist in every member."""
        for name in sorted(names - self._ensured_namespaces):
            body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
            try:
                await self.client.request("POST", "/api/v1/namespaces", body=body)
            except MemberError as error:
                if error.status != 409:
                    log.warning("cannot create namespace %s in %s: %s", name, self.name, error)
                    continue
            self._ensured_namespaces.add(name)
