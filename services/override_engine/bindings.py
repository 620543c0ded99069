"""The binding reconcile: the finalizer, and which members must look at a binding again.

A live binding gets Navarch's finalizer before anything of it reaches a member, and its
template kind an informer. Every member it places on, evicts from, or holds a Work on is
sent the binding. A deleting binding keeps the finalizer until each of those members
confirmed the removal (or left the fleet), so nothing is orphaned across restarts; a
cluster that left the fleet without a session has its Works dropped here.
"""

from collections.abc import Callable
from functools import partial

from services.override_engine.caches import HubCaches
from services.override_engine.hub import EngineHub
from services.override_engine.members import MemberSession
from services.override_engine.removal import (
    awaiting_removal,
    clusters_to_visit,
    finalizer_added,
    finalizer_released,
    is_deleting,
)
from services.override_engine.syncing import resource_for
from services.override_engine.work_index import WorkIndex
from services.override_engine.works import BindingKey
from shared.api.binding import ResourceBindingSpec
from shared.api.kinds import BINDING_TYPES
from shared.members.sessions import MemberSessions
from shared.runtime.reconciling import Requeue
from shared.runtime.writing import Writer


class BindingReconciler:
    def __init__(
        self,
        *,
        caches: HubCaches,
        index: WorkIndex,
        sessions: MemberSessions[MemberSession],
        hub: EngineHub,
        writer: Writer,
        status_later: Callable[[BindingKey], None],
    ) -> None:
        self._caches = caches
        self._index = index
        self._sessions = sessions
        self._hub = hub
        self._writer = writer
        self._status_later = status_later

    async def reconcile(self, key: BindingKey) -> Requeue | None:
        caches = self._caches
        raw = caches.binding(key)
        spec = caches.spec(key, raw) if raw is not None else None
        resource = BINDING_TYPES[key.kind]
        if raw is not None and not is_deleting(raw):
            self._inform_template(spec)
            raw = await self._writer.ensure(resource, raw, finalizer_added)
            if raw is None:
                return None
            if not is_deleting(raw):
                for _cluster, session in self._sessions.items():
                    session.removal_outdated(key)
        visited = clusters_to_visit(spec, self._index.clusters_of(key))
        confirmed: set[str] = set()
        for cluster in visited:
            session = self._sessions.get(cluster)
            if session is not None:
                if session.removal_confirmed(key) and caches.work(key, cluster) is None:
                    confirmed.add(cluster)
                else:
                    session.enqueue(key)
            elif caches.cluster(cluster) is None and caches.work(key, cluster) is not None:
                await self._hub.forget(key, cluster)
        if raw is None:
            caches.forget_spec(key)
            return None
        if is_deleting(raw):
            waiting = awaiting_removal(
                visited=visited,
                with_work=self._index.clusters_of(key),
                sessions=self._sessions,
                confirmed=confirmed,
            )
            if waiting:
                return None
            uid = raw["metadata"].get("uid")
            await self._writer.change(resource, raw, partial(finalizer_released, uid=uid))
            caches.forget_spec(key)
            return None
        self._status_later(key)
        return None

    def _inform_template(self, spec: ResourceBindingSpec | None) -> None:
        """The template's kind is informed from the binding on (renders and status)."""
        if spec is None:
            return
        template_type = resource_for(spec.resource.api_version, spec.resource.kind)
        if template_type is not None:
            self._caches.template_informer(template_type)
