"""The fleet-manager's member sessions and the fleet-wide health they add up to.

Sessions live in the shared registry (`MemberSessions`), one per Cluster name: only the
AttachedCluster that owns the name (`naming`) connects, and a session built for another
owner is ended before a new one starts. Every change of a session's probe state feeds the
disruption guard (`guarding`); when evictions pause or resume every Cluster is rewritten.
"""

import logging
from collections.abc import Callable

from services.fleet_manager.caches import FleetCaches
from services.fleet_manager.disruption import ClusterHealth, cluster_health
from services.fleet_manager.guarding import DisruptionGuard
from services.fleet_manager.members import MemberSession
from services.fleet_manager.settings import FleetManagerSettings
from services.fleet_manager.transitions import cluster_reference
from shared.api.cluster import Cluster
from shared.api.fleet import AttachedCluster
from shared.api.meta import Condition
from shared.events.models import InvolvedObject
from shared.members.client import MemberClient, MemberError
from shared.members.kubeconfigs import attached_reference, kubeconfig_of_attached
from shared.members.sessions import MemberSessions
from shared.runtime.clock import WallClock
from shared.runtime.informing import ObjectKey

log = logging.getLogger(__name__)


class MemberConnections:
    def __init__(
        self,
        *,
        settings: FleetManagerSettings,
        clock: WallClock,
        caches: FleetCaches,
        guard: DisruptionGuard,
        enqueue: Callable[[ObjectKey], None],
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._caches = caches
        self._enqueue = enqueue
        self.guard = guard
        self.sessions: MemberSessions[MemberSession] = MemberSessions(
            request_timeout_s=settings.request_timeout_s
        )

    def of(self, key: ObjectKey) -> MemberSession | None:
        """The session built for this AttachedCluster, if it has one."""
        session = self.sessions.get(key[1])
        return session if session is not None and session.attached == key else None

    async def connect(
        self, key: ObjectKey, attached: AttachedCluster, *, current_ready: Condition | None
    ) -> tuple[MemberSession | None, MemberError | None]:
        """The owner's session for its current kubeconfig, or why there is none."""
        name = attached.metadata.name
        current = self.sessions.get(name)
        if current is not None and current.attached != key:
            await self.end(current.attached)
        try:
            kubeconfig = kubeconfig_of_attached(attached, secrets=self._caches.secrets)
        except MemberError as error:
            await self.end(key)
            return None, error

        def new_session(client: MemberClient) -> MemberSession:
            return MemberSession(
                key,
                client,
                settings=self._settings,
                clock=self._clock,
                current_ready=current_ready,
                on_change=lambda: self._enqueue(key),
                on_probe_state=self.assess,
            )

        try:
            session, _ = await self.sessions.ensure(name, kubeconfig, new_session)
        except MemberError as error:
            return None, error
        return session, None

    async def end(self, key: ObjectKey) -> None:
        """End this AttachedCluster's session; another owner's session is left alone."""
        if self.of(key) is None:
            return
        await self.sessions.end(key[1])
        self.assess(key[1])

    async def end_all(self) -> None:
        await self.sessions.end_all()

    def reference(self, name: str) -> InvolvedObject:
        existing = self._caches.clusters.get(None, name)
        uid = existing["metadata"].get("uid") if existing else None
        return cluster_reference(name, uid=uid)

    def healths(self) -> list[ClusterHealth]:
        """Every Cluster this service writes: its live session's view, else what the store
        says (a restart must not evict before the sessions have probed)."""
        healths = [
            cluster_health(session.ready_condition, probe_failing=session.probe_failing)
            for _, session in self.sessions.items()
        ]
        live = set(self.sessions)
        for item in self._caches.clusters.list():
            if item["metadata"]["name"] in live or attached_reference(item) is None:
                continue
            healths.append(cluster_health(Cluster.model_validate(item).condition("Ready")))
        return healths

    def assess(self, trigger: str) -> None:
        """On every probe-state change: when evictions pause or resume, rewrite every
        Cluster's health taints (on resuming, after a fresh failure threshold)."""
        if self.guard.assess(self.healths(), trigger=self.reference(trigger)):
            for _, session in self.sessions.items():
                if not self.guard.evictions_paused:
                    session.hold_evictions()
                self._enqueue(session.attached)
