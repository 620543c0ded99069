"""The NATS connection every service shares: reconnects, traced publish/subscribe/request."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from shared.tracing import extract_context, inject_headers, tracer

log = logging.getLogger(__name__)

Handler = Callable[[Msg], Awaitable[None]]
ReconnectListener = Callable[[], Awaitable[None]]


class Bus:
    """Owns one NATS connection; listeners learn about reconnects so watches can resume."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.jetstream: JetStreamContext = client.jetstream()
        self._reconnect_listeners: list[ReconnectListener] = []
        self._tracer = tracer("navarch.bus")

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        name: str,
        user: str | None = None,
        password: str | None = None,
        connect_timeout: float = 5.0,
    ) -> "Bus":
        bus_ref: list[Bus] = []
        shown_url = url.rsplit("@", 1)[-1]

        async def on_reconnected() -> None:
            log.info("nats reconnected", extra={"url": shown_url})
            if bus_ref:
                await bus_ref[0]._notify_reconnected()

        async def on_disconnected() -> None:
            log.warning("nats disconnected", extra={"url": shown_url})

        async def on_error(error: Exception) -> None:
            log.warning("nats error: %s", error)

        client = await nats.connect(
            servers=[url],
            name=name,
            user=user,
            password=password,
            connect_timeout=connect_timeout,
            reconnect_time_wait=0.5,
            max_reconnect_attempts=-1,
            allow_reconnect=True,
            reconnected_cb=on_reconnected,
            disconnected_cb=on_disconnected,
            error_cb=on_error,
        )
        bus = cls(client)
        bus_ref.append(bus)
        return bus

    def on_reconnected(self, listener: ReconnectListener) -> None:
        self._reconnect_listeners.append(listener)

    async def _notify_reconnected(self) -> None:
        for listener in list(self._reconnect_listeners):
            try:
                await listener()
            except Exception:
                log.exception("reconnect listener failed")

    async def publish(
        self, subject: str, payload: bytes, *, headers: dict[str, str] | None = None
    ) -> None:
        with self._tracer.start_as_current_span(f"publish {subject}", kind=SpanKind.PRODUCER):
            await self.client.publish(subject, payload, headers=inject_headers(headers))

    async def request(self, subject: str, payload: bytes, *, timeout: float = 2.0) -> Msg:
        with self._tracer.start_as_current_span(f"request {subject}", kind=SpanKind.CLIENT):
            return await self.client.request(
                subject, payload, timeout=timeout, headers=inject_headers()
            )

    async def subscribe(self, subject: str, handler: Handler, *, queue: str = "") -> Subscription:
        """Run `handler` for each message inside a span whose parent is the sender's span."""

        async def traced(msg: Msg) -> None:
            parent = extract_context(msg.headers)
            with self._tracer.start_as_current_span(
                f"receive {msg.subject}", context=parent, kind=SpanKind.CONSUMER
            ):
                try:
                    await handler(msg)
                except Exception:
                    trace.get_current_span().set_status(trace.StatusCode.ERROR)
                    log.exception("handler for %s failed", msg.subject)

        return await self.client.subscribe(subject, cb=traced, queue=queue)

    @property
    def connected(self) -> bool:
        return self.client.is_connected

    async def close(self) -> None:
        if self.client.is_closed:
            return
        try:
            await asyncio.wait_for(self.client.drain(), timeout=5.0)
        except (TimeoutError, nats.errors.Error) as error:
            log.warning("nats drain did not finish: %s", error)
            await self.client.close()
