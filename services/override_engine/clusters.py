"""Cluster sessions: one member session per Karmada Cluster, and clean-up when it leaves.

Sessions live in the shared registry (`MemberSessions`), keyed by cluster name and built
from the kubeconfig the Cluster → AttachedCluster → Secret chain names
(`kubeconfig_of_cluster`); a changed kubeconfig rebuilds the session, a changed Cluster
(labels, spec: what overrides read) sends every binding it concerns through the member's
queue again. A detached cluster's copies are deleted while its member still answers; once
it does not, or they are gone, its Works are dropped and the session ends.
"""

import logging
from collections.abc import Iterable

from services.override_engine.caches import HubCaches
from services.override_engine.hub import EngineHub
from services.override_engine.members import MemberSession
from services.override_engine.planning import Planner, fingerprint
from services.override_engine.removal import is_deleting
from services.override_engine.settings import OverrideEngineSettings
from services.override_engine.work_index import WorkIndex
from services.override_engine.works import BindingKey, Object
from shared.members.client import MemberClient, MemberError
from shared.members.kubeconfigs import kubeconfig_of_cluster
from shared.members.sessions import MemberSessions
from shared.runtime.reconciling import Requeue

log = logging.getLogger(__name__)

DETACH_RETRY_S = 0.5
CONNECT_RETRY_S = 2.0


def targets(binding: Object, cluster: str) -> bool:
    """The binding places on `cluster`, or is gracefully evicting from it."""
    spec = binding.get("spec") or {}
    return any(t.get("name") == cluster for t in spec.get("clusters") or []) or any(
        t.get("fromCluster") == cluster for t in spec.get("gracefulEvictionTasks") or []
    )


def cluster_fingerprint(cluster: Object) -> bytes:
    """What renders read from a Cluster: its labels and spec (not its status)."""
    return fingerprint(cluster["metadata"].get("labels"), cluster.get("spec"))


class ClusterSessions:
    def __init__(
        self,
        *,
        caches: HubCaches,
        index: WorkIndex,
        planner: Planner,
        hub: EngineHub,
        settings: OverrideEngineSettings,
    ) -> None:
        self._caches = caches
        self._index = index
        self._planner = planner
        self._hub = hub
        self._settings = settings
        self._prints: dict[str, bytes] = {}
        self.sessions: MemberSessions[MemberSession] = MemberSessions(
            request_timeout_s=settings.request_timeout_s
        )

    def resume(self, binding: BindingKey, cluster: str) -> None:
        session = self.sessions.get(cluster)
        if session is not None:
            session.enqueue(binding)

    def relevant(self, cluster: str) -> set[BindingKey]:
        """Bindings placing on the cluster, and those with a Work there."""
        keys = {key for key, binding in self._caches.all_bindings() if targets(binding, cluster)}
        return keys | self._index.bindings_on(cluster)

    async def reconcile(self, name: str) -> Requeue | None:
        raw = self._caches.cluster(name)
        session = self.sessions.get(name)
        if raw is None or is_deleting(raw):
            return await self._detach(name, session)
        try:
            kubeconfig = kubeconfig_of_cluster(
                raw, attached_clusters=self._caches.attached, secrets=self._caches.secrets
            )
        except MemberError as error:
            log.info("cluster %s: no kubeconfig to reach it: %s", name, error)
            if session is not None:
                await self.end(name)
            return None
        printed = cluster_fingerprint(raw)
        if self.sessions.current(name, kubeconfig) is not None:
            if self._prints.get(name) != printed:
                self._prints[name] = printed
                self._enqueue_all(session, self.relevant(name))
            return None
        await self.end(name)

        def new_session(client: MemberClient) -> MemberSession:
            return MemberSession(name, client, hub=self._hub, settings=self._settings)

        try:
            session, _ = await self.sessions.ensure(name, kubeconfig, new_session)
        except MemberError as error:
            log.warning("cluster %s: cannot use its kubeconfig: %s", name, error)
            return Requeue(after=CONNECT_RETRY_S)
        self._prints[name] = printed
        self._enqueue_all(session, self.relevant(name))
        return None

    @staticmethod
    def _enqueue_all(session: MemberSession | None, keys: Iterable[BindingKey]) -> None:
        if session is not None:
            for key in keys:
                session.enqueue(key)

    async def _detach(self, name: str, session: MemberSession | None) -> Requeue | None:
        remaining = self._index.bindings_on(name)
        if session is not None and remaining and session.last_error is None:
            self._enqueue_all(session, remaining)
            return Requeue(after=DETACH_RETRY_S)
        for key in remaining:
            log.warning("cluster %s detached while unreachable: dropping work of %s", name, key)
            await self._hub.forget(key, name)
        await self.end(name)
        self._prints.pop(name, None)
        return None

    async def end(self, name: str) -> None:
        await self.sessions.end(name)
        self._planner.forget_cluster(name)

    async def end_all(self) -> None:
        await self.sessions.end_all()
