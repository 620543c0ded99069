"""One session per member cluster per process, rebuilt when its kubeconfig changes.

A session is whatever a service keeps per member (watches, a work queue, health probes);
the registry owns the lifecycle they share: connect with the kubeconfig (a per-cluster
request timeout on every call), keep the session while the kubeconfig stays the same,
stop the old one and connect again when it changes, stop everything on shutdown.
"""

import hashlib
import logging
from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeVar

from shared.members.client import MemberClient

log = logging.getLogger(__name__)


class Session(Protocol):
    def start(self) -> None: ...

    async def stop(self) -> None:
        """Stop the session's tasks and close its client."""


SessionT = TypeVar("SessionT", bound=Session)
SessionFactory = Callable[[MemberClient], SessionT]


def kubeconfig_digest(kubeconfig: str) -> str:
    return hashlib.sha256(kubeconfig.encode()).hexdigest()


class MemberSessions(Generic[SessionT]):
    """The process's sessions by cluster name."""

    def __init__(self, *, request_timeout_s: float) -> None:
        self._request_timeout_s = request_timeout_s
        self._sessions: dict[str, SessionT] = {}
        self._digests: dict[str, str] = {}

    def get(self, cluster: str) -> SessionT | None:
        return self._sessions.get(cluster)

    def __contains__(self, cluster: object) -> bool:
        return cluster in self._sessions

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._sessions))

    def items(self) -> list[tuple[str, SessionT]]:
        return list(self._sessions.items())

    def current(self, cluster: str, kubeconfig: str) -> SessionT | None:
        """The session if it was built from this very kubeconfig."""
        if self._digests.get(cluster) != kubeconfig_digest(kubeconfig):
            return None
        return self._sessions.get(cluster)

    async def ensure(
        self, cluster: str, kubeconfig: str, factory: SessionFactory[SessionT]
    ) -> tuple[SessionT, bool]:
        """The cluster's session for this kubeconfig, and whether it was just (re)built.

        Raises MemberError when the kubeconfig cannot be used; the old session is stopped
        either way, since its kubeconfig is no longer the cluster's.
        """
        existing = self.current(cluster, kubeconfig)
        if existing is not None:
            return existing, False
        await self.end(cluster)
        client = await MemberClient.from_kubeconfig(kubeconfig, timeout=self._request_timeout_s)
        try:
            session = factory(client)
        except Exception:
            await client.close()
            raise
        self._sessions[cluster] = session
        self._digests[cluster] = kubeconfig_digest(kubeconfig)
        session.start()
        log.info("member session started", extra={"cluster": cluster, "server": client.server})
        return session, True

    async def end(self, cluster: str) -> None:
        session = self._sessions.pop(cluster, None)
        self._digests.pop(cluster, None)
        if session is not None:
            await session.stop()

    async def end_all(self) -> None:
        for cluster in list(self._sessions):
            await self.end(cluster)
