"""Request/reply over NATS for answers larger than one message (aggregated API responses).

The asker subscribes to a fresh inbox, publishes the request with that inbox as reply
subject, and reads a JSON head (`AggregatedResponse`) followed by `chunks` body messages in
order (NATS keeps one publisher's order to one subscriber). Trace context travels in the
request's headers, as on every other subject.
"""

import asyncio
import logging

from nats.aio.msg import Msg
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from shared.api.aggregated import AggregatedRequest, AggregatedResponse
from shared.bus import Bus
from shared.tracing import inject_headers, tracer

log = logging.getLogger(__name__)

HEADROOM_BYTES = 4096
"""Room left in each chunk for the message's subject and headers."""


class NoResponders(Exception):
    """Nobody subscribes to the subject (the aggregated server is not running)."""


class RelayError(Exception):
    """The answer did not arrive whole, or was not an answer."""


def chunk_size(bus: Bus) -> int:
    return max(64 * 1024, bus.client.max_payload - HEADROOM_BYTES)


def split_body(body: bytes, *, size: int) -> list[bytes]:
    return [body[start : start + size] for start in range(0, len(body), size)]


async def ask(
    bus: Bus, subject: str, request: AggregatedRequest, *, timeout: float
) -> tuple[AggregatedResponse, bytes]:
    """Send `request` and wait up to `timeout` for the whole answer."""
    inbox = bus.client.new_inbox()
    subscription = await bus.client.subscribe(inbox)
    try:
        with tracer("navarch.relay").start_as_current_span(
            f"request {subject}", kind=SpanKind.CLIENT
        ):
            await bus.client.publish(
                subject, request.model_dump_json().encode(), reply=inbox, headers=inject_headers()
            )
            async with asyncio.timeout(timeout):
                head_message = await subscription.next_msg(timeout=timeout)
                if (head_message.headers or {}).get("Status") == "503":
                    raise NoResponders(subject)
                try:
                    head = AggregatedResponse.model_validate_json(head_message.data)
                except ValidationError as error:
                    raise RelayError(f"not an aggregated response: {error}") from error
                parts = [
                    (await subscription.next_msg(timeout=timeout)).data for _ in range(head.chunks)
                ]
    finally:
        await subscription.unsubscribe()
    body = b"".join(parts)
    if len(body) != head.size:
        raise RelayError(f"answer cut short: {len(body)} of {head.size} bytes")
    return head, body


async def answer(bus: Bus, msg: Msg, response: AggregatedResponse, body: bytes) -> None:
    """Reply to `msg` with the head and the body in as many chunks as the server allows."""
    if not msg.reply:
        log.warning("aggregated request without a reply subject", extra={"subject": msg.subject})
        return
    parts = split_body(body, size=chunk_size(bus))
    head = response.model_copy(update={"size": len(body), "chunks": len(parts)})
    await bus.client.publish(msg.reply, head.model_dump_json().encode())
    for part in parts:
        await bus.client.publish(msg.reply, part)
