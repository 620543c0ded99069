"""Slow and greedy clients cannot hold an API server's connections (slowloris).

aiohttp has no header-read timeout: a client that dribbles a request line keeps its
connection (and a slot) for as long as it likes. Both API servers (the hub gateway and
the simulator) listen through `GuardedSite`, which wraps each connection's protocol:

- headers must be complete within `header_timeout_s` of a request's first byte (and of
  the connection's start), kube-apiserver's `ReadHeaderTimeout` (32 s), else the
  connection is aborted;
- one client address holds at most `max_connections_per_client` connections; the next
  is answered 429 with kube-apiserver's max-in-flight wording and closed;
- idle keep-alive connections close after `keepalive_timeout_s` (its `IdleTimeout`,
  90 s) and TLS handshakes must finish within the header timeout.

The body timeout is the API's concern (`shared.kubeapi.bodies`): it is applied where the
body is read, and answered with a Status.
"""

import asyncio
import logging
import socket
import ssl
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TOO_MANY_REQUESTS = (
    b"HTTP/1.1 429 Too Many Requests\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Retry-After: 1\r\n"
    b"Connection: close\r\n"
    b"Content-Length: 43\r\n\r\n"
    b"Too many requests, please try again later.\n"
)
"""kube-apiserver's answer when it has no room for a request (filters/maxinflight.go)."""
LINGER_S = 2.0
"""How long the rest of a refused body (408, 413) is drained before the connection closes,
so the client can still read the answer (aiohttp's default is 10 s)."""


class ServingLimits(BaseSettings):
    """Connection limits of the API servers (`NAVARCH_API_*`); defaults are kube-apiserver's."""

    model_config = SettingsConfigDict(env_prefix="NAVARCH_API_", extra="ignore")

    header_timeout_s: float = Field(
        default=32.0, gt=0, description="time to send a request's headers (and TLS handshake)"
    )
    body_timeout_s: float = Field(default=60.0, gt=0, description="time to send a request body")
    keepalive_timeout_s: float = Field(
        default=90.0, gt=0, description="idle keep-alive connections close after this"
    )
    max_connections_per_client: int = Field(
        default=256, ge=1, description="concurrent connections from one client address"
    )
    backlog: int = Field(default=1024, ge=1, description="pending connections the socket queues")

    def runner_options(self) -> dict[str, Any]:
        """Keyword arguments for `web.AppRunner` (passed to each connection's handler)."""
        return {"keepalive_timeout": self.keepalive_timeout_s, "lingering_time": LINGER_S}


class ConnectionGuard:
    """Counts connections per client address and times each request's headers.

    Its `middleware` (outermost on the root app) tells a connection when its request's
    headers are complete and when the request is done."""

    def __init__(self, limits: ServingLimits) -> None:
        self.limits = limits
        self._per_client: Counter[str] = Counter()
        self._connections: dict[asyncio.BaseTransport, _GuardedProtocol] = {}

    def protocol_factory(self, inner: Callable[[], asyncio.Protocol]) -> Callable[[], Any]:
        return lambda: _GuardedProtocol(inner(), self)

    def admit(self, client: str, transport: asyncio.BaseTransport, protocol: Any) -> bool:
        if self._per_client[client] >= self.limits.max_connections_per_client:
            return False
        self._per_client[client] += 1
        self._connections[transport] = protocol
        return True

    def release(self, client: str, transport: asyncio.BaseTransport) -> None:
        self._connections.pop(transport, None)
        self._per_client[client] -= 1
        if self._per_client[client] <= 0:
            del self._per_client[client]

    def connections(self, client: str) -> int:
        return self._per_client[client]

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        connection = self._connections.get(request.transport) if request.transport else None
        if connection is not None:
            connection.request_started()
        try:
            return await handler(request)
        finally:
            if connection is not None:
                connection.request_finished()


class _GuardedProtocol(asyncio.Protocol):
    """aiohttp's protocol for one connection, behind a header deadline and the
    per-client bound."""

    def __init__(self, inner: asyncio.Protocol, guard: ConnectionGuard) -> None:
        self._inner = inner
        self._guard = guard
        self._transport: asyncio.Transport | None = None
        self._client = ""
        self._admitted = False
        self._in_request = False
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self._client = str(peer[0]) if isinstance(peer, tuple) and peer else str(peer)
        if not self._guard.admit(self._client, transport, self):
            log.warning(
                "refused a connection: client holds too many",
                extra={
                    "client": self._client,
                    "limit": self._guard.limits.max_connections_per_client,
                },
            )
            self._transport.write(TOO_MANY_REQUESTS)
            self._transport.close()
            return
        self._admitted = True
        self._inner.connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if not self._admitted:
            return
        if not self._in_request and self._deadline is None:
            self._arm()
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._admitted else None

    def pause_writing(self) -> None:
        if self._admitted:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._admitted:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if not self._admitted:
            return
        self._admitted = False
        if self._transport is not None:
            self._guard.release(self._client, self._transport)
        self._inner.connection_lost(exc)

    def request_started(self) -> None:
        self._in_request = True
        self._disarm()

    def request_finished(self) -> None:
        self._in_request = False

    def _arm(self) -> None:
        loop = asyncio.get_running_loop()
        self._deadline = loop.call_later(self._guard.limits.header_timeout_s, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self._in_request or self._transport is None:
            return
        log.info(
            "closed a connection: headers not received in time", extra={"client": self._client}
        )
        self._transport.abort()


class GuardedSite(web.SockSite):
    """A listening socket whose connections go through a `ConnectionGuard`."""

    def __init__(
        self,
        runner: web.BaseRunner,
        sock: socket.socket,
        *,
        guard: ConnectionGuard,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(runner, sock, ssl_context=ssl_context, backlog=guard.limits.backlog)
        self._guard = guard

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        if server is None:
            raise RuntimeError("the runner is not set up")
        self._server = await asyncio.get_running_loop().create_server(
            self._guard.protocol_factory(server),
            sock=self._sock,
            ssl=self._ssl_context,
            backlog=self._backlog,
            ssl_handshake_timeout=self._guard.limits.header_timeout_s
            if self._ssl_context
            else None,
        )


def listen(host: str, port: int, *, limits: ServingLimits) -> socket.socket:
    """A bound TCP socket (port 0 picks a free one); address reuse as aiohttp's TCPSite."""
    return socket.create_server((host, port), backlog=limits.backlog)
