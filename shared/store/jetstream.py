"""The JetStream KV backend: the hub's source of truth.

Writes are raw JetStream publishes to `$KV.<bucket>.<key>` so that every message can carry
the event type (ADDED/MODIFIED) and a deletion can carry the object's last state, while
staying a valid KV bucket for `nats kv` tooling. Watches are ordered push consumers started
at a stream sequence and re-created from the last delivered revision after a reconnect,
so a NATS restart never produces a gap or a duplicate.

The bucket keeps a few revisions per key. Each message names the revision it replaced, so a
watch that finds a replaced revision missing (pruned by the per-key history) reports the
start revision as expired instead of silently skipping a change, as etcd compaction would.
"""

import asyncio
import logging
from collections.abc import AsyncIterator

import nats.errors
import nats.js.errors
from nats.js import JetStreamContext, api

from shared.bus import Bus
from shared.store.backend import EventType, KVEntry, KVEvent, KVSnapshot
from shared.store.errors import (
    AlreadyExistsError,
    ConflictError,
    ExpiredError,
    NotFoundError,
    TooLargeError,
    UnavailableError,
)

log = logging.getLogger(__name__)

EVENT_HEADER = "Navarch-Event"
PREVIOUS_HEADER = "Navarch-Previous"
OPERATION_HEADER = "KV-Operation"
EXPECTED_LAST_SUBJECT_SEQUENCE = "Nats-Expected-Last-Subject-Sequence"
WRONG_LAST_SEQUENCE_CODES = {10071, 10164}
COMPACTED_KEY = "m.compacted"
WATCH_IDLE_CHECK_S = 1.0
HEADER_ALLOWANCE = 512
"""Bytes of each message's payload budget kept for its headers (ours take under 200)."""


def _is_wrong_last_sequence(error: nats.js.errors.APIError) -> bool:
    return error.err_code in WRONG_LAST_SEQUENCE_CODES


class JetStreamBackend:
    def __init__(self, bus: Bus, *, bucket: str) -> None:
        self._bus = bus
        self._js = bus.jetstream
        self._bucket = bucket
        self._stream = f"KV_{bucket}"
        self._reconnects = 0
        bus.on_reconnected(self._count_reconnect)

    @classmethod
    async def open(
        cls, bus: Bus, *, bucket: str = "navarch", replicas: int = 1, history: int = 8
    ) -> "JetStreamBackend":
        try:
            await bus.jetstream.key_value(bucket)
        except nats.js.errors.BucketNotFoundError:
            await bus.jetstream.create_key_value(
                config=api.KeyValueConfig(
                    bucket=bucket,
                    history=history,
                    storage=api.StorageType.FILE,
                    replicas=replicas,
                    direct=True,
                )
            )
        return cls(bus, bucket=bucket)

    async def _count_reconnect(self) -> None:
        self._reconnects += 1

    def _subject(self, key: str) -> str:
        return f"$KV.{self._bucket}.{key}"

    def max_value_bytes(self) -> int | None:
        """The server's `max_payload` (from its INFO, so whatever it is configured to)
        less the headers' allowance."""
        return self._bus.client.max_payload - HEADER_ALLOWANCE

    async def _publish(self, key: str, value: bytes, headers: dict[str, str]) -> int:
        """Publish, refusing up front what the server would refuse as `maximum payload
        exceeded` (it counts headers and payload together)."""
        if len(value) + _header_bytes(headers) > self._bus.client.max_payload:
            raise TooLargeError(size=len(value), limit=self.max_value_bytes() or 0)
        try:
            ack = await self._js.publish(self._subject(key), value, headers=headers)
        except nats.errors.MaxPayloadError as error:
            raise TooLargeError(size=len(value), limit=self.max_value_bytes() or 0) from error
        except (nats.errors.TimeoutError, nats.errors.ConnectionClosedError) as error:
            raise UnavailableError(str(error)) from error
        except nats.js.errors.NoStreamResponseError as error:
            raise UnavailableError("no JetStream response") from error
        return ack.seq

    async def _latest(self, key: str) -> tuple[int, bool] | None:
        """The key's newest revision and whether it is a deletion marker."""
        try:
            message = await self._js.get_last_msg(self._stream, self._subject(key), direct=True)
        except nats.js.errors.NotFoundError:
            return None
        operation = (message.headers or {}).get(OPERATION_HEADER)
        return message.seq or 0, operation in ("DEL", "PURGE")

    async def get(self, key: str) -> KVEntry | None:
        try:
            message = await self._js.get_last_msg(self._stream, self._subject(key), direct=True)
        except nats.js.errors.NotFoundError:
            return None
        except nats.errors.TimeoutError as error:
            raise UnavailableError(str(error)) from error
        if (message.headers or {}).get(OPERATION_HEADER) in ("DEL", "PURGE"):
            return None
        return KVEntry(key, message.data or b"", message.seq or 0)

    async def create(self, key: str, value: bytes) -> int:
        headers = {EXPECTED_LAST_SUBJECT_SEQUENCE: "0", EVENT_HEADER: "ADDED", PREVIOUS_HEADER: "0"}
        try:
            return await self._publish(key, value, headers)
        except nats.js.errors.APIError as error:
            if not _is_wrong_last_sequence(error):
                raise
        latest = await self._latest(key)
        if latest is None or not latest[1]:
            raise AlreadyExistsError(key)
        headers[EXPECTED_LAST_SUBJECT_SEQUENCE] = str(latest[0])
        headers[PREVIOUS_HEADER] = str(latest[0])
        try:
            return await self._publish(key, value, headers)
        except nats.js.errors.APIError as error:
            if _is_wrong_last_sequence(error):
                raise AlreadyExistsError(key) from error
            raise

    async def _conditional(self, key: str, value: bytes, headers: dict[str, str]) -> int:
        try:
            return await self._publish(key, value, headers)
        except nats.js.errors.APIError as error:
            if not _is_wrong_last_sequence(error):
                raise
            latest = await self._latest(key)
            if latest is None or latest[1]:
                raise NotFoundError(key) from error
            raise ConflictError(key) from error

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> int:
        headers = {
            EXPECTED_LAST_SUBJECT_SEQUENCE: str(expected_revision),
            PREVIOUS_HEADER: str(expected_revision),
            EVENT_HEADER: "MODIFIED",
        }
        return await self._conditional(key, value, headers)

    async def delete(self, key: str, last_value: bytes, *, expected_revision: int) -> int:
        headers = {
            EXPECTED_LAST_SUBJECT_SEQUENCE: str(expected_revision),
            PREVIOUS_HEADER: str(expected_revision),
            EVENT_HEADER: "DELETED",
            OPERATION_HEADER: "DEL",
        }
        return await self._conditional(key, last_value, headers)

    async def _stream_last_sequence(self) -> int:
        info = await self._js.stream_info(self._stream)
        return info.state.last_seq

    async def list(self, key_filter: str) -> KVSnapshot:
        revision = await self._stream_last_sequence()
        subscription = await self._js.subscribe(
            self._subject(key_filter),
            ordered_consumer=True,
            deliver_policy=api.DeliverPolicy.LAST_PER_SUBJECT,
        )
        entries: dict[str, KVEntry] = {}
        try:
            pending = await _messages_for_client(subscription)
            while pending:
                message = await subscription.next_msg(timeout=5.0)
                metadata = message.metadata
                pending = metadata.num_pending
                revision = max(revision, metadata.sequence.stream)
                key = message.subject[len(self._subject("")) :]
                if (message.headers or {}).get(OPERATION_HEADER) in ("DEL", "PURGE"):
                    entries.pop(key, None)
                else:
                    entries[key] = KVEntry(key, message.data, metadata.sequence.stream)
        except nats.errors.TimeoutError as error:
            raise UnavailableError("list did not complete") from error
        finally:
            await _unsubscribe(subscription)
        return KVSnapshot(sorted(entries.values(), key=lambda entry: entry.key), revision)

    async def _compacted_revision(self) -> int:
        entry = await self.get(COMPACTED_KEY)
        return int(entry.value) if entry else 0

    async def watch(self, key_filter: str, *, after_revision: int) -> AsyncIterator[KVEvent]:
        compacted = await self._compacted_revision()
        if after_revision < compacted:
            raise ExpiredError(after_revision, compacted + 1)
        last = after_revision
        last_seen_per_key: dict[str, int] = {}
        prefix_length = len(self._subject(""))
        while True:
            seen_reconnects = self._reconnects
            subscription = await self._subscribe_from(key_filter, last + 1)
            try:
                while seen_reconnects == self._reconnects:
                    try:
                        message = await subscription.next_msg(timeout=WATCH_IDLE_CHECK_S)
                    except nats.errors.TimeoutError:
                        _raise_if_cancelled()
                        continue
                    except nats.errors.Error:
                        _raise_if_cancelled()
                        raise
                    _raise_if_cancelled()
                    sequence = message.metadata.sequence.stream
                    if sequence <= last:
                        continue
                    last = sequence
                    key = message.subject[prefix_length:]
                    if key == COMPACTED_KEY:
                        continue
                    headers = message.headers or {}
                    previous = int(headers.get(PREVIOUS_HEADER, "0"))
                    if previous > after_revision and last_seen_per_key.get(key) != previous:
                        raise ExpiredError(after_revision, previous)
                    last_seen_per_key[key] = sequence
                    event_type: EventType = headers.get(EVENT_HEADER, "MODIFIED")  # type: ignore[assignment]
                    if headers.get(OPERATION_HEADER) in ("DEL", "PURGE"):
                        event_type = "DELETED"
                    yield KVEvent(event_type, key, message.data, sequence)
            finally:
                await _unsubscribe(subscription)

    async def _subscribe_from(self, key_filter: str, start: int):
        """Subscribe, retrying while NATS is away: a watch outlives a server restart."""
        delay = 0.2
        while True:
            try:
                return await self._js.subscribe(
                    self._subject(key_filter),
                    ordered_consumer=True,
                    deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
                    config=api.ConsumerConfig(opt_start_seq=max(start, 1)),
                )
            except (nats.errors.Error, nats.js.errors.Error) as error:
                log.warning("watch subscribe failed, retrying: %s", error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def compact(self, *, before_revision: int) -> None:
        """Purge deletion markers older than the revision, then record the horizon."""
        snapshot_subscription = await self._js.subscribe(
            self._subject("o.>"),
            ordered_consumer=True,
            deliver_policy=api.DeliverPolicy.LAST_PER_SUBJECT,
        )
        tombstones: list[str] = []
        try:
            pending = await _messages_for_client(snapshot_subscription)
            while pending:
                message = await snapshot_subscription.next_msg(timeout=5.0)
                pending = message.metadata.num_pending
                operation = (message.headers or {}).get(OPERATION_HEADER)
                if operation == "DEL" and message.metadata.sequence.stream < before_revision:
                    tombstones.append(message.subject)
        finally:
            await _unsubscribe(snapshot_subscription)
        for subject in tombstones:
            await self._js.purge_stream(self._stream, subject=subject)
        current = await self.get(COMPACTED_KEY)
        value = str(before_revision - 1).encode()
        if current is None:
            await self.create(COMPACTED_KEY, value)
        else:
            await self.update(COMPACTED_KEY, value, expected_revision=current.revision)

    async def close(self) -> None:
        return None


def _header_bytes(headers: dict[str, str]) -> int:
    """The size of the NATS header block: `NATS/1.0\r\n`, `key: value\r\n` each, `\r\n`."""
    return 12 + sum(len(key.encode()) + len(value.encode()) + 4 for key, value in headers.items())


def _raise_if_cancelled() -> None:
    """`next_msg` wraps `asyncio.wait_for`, which can swallow a cancellation that races a
    delivered message (Python 3.11); the task still counts it, so honour it here."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def _messages_for_client(subscription: JetStreamContext.PushSubscription) -> int:
    """Messages already pushed plus those still pending: zero means an empty snapshot."""
    info = await subscription.consumer_info()
    return info.num_pending + (info.delivered.consumer_seq or 0)


async def _unsubscribe(subscription) -> None:
    try:
        await subscription.unsubscribe()
    except (nats.errors.Error, nats.js.errors.Error):
        pass
