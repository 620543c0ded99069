"""The Event recorder: reconciles say what happened; one owned task writes it to the hub.

`record` never blocks and never raises: it de-duplicates (see `correlating`), puts the
Event on a bounded queue and returns; when the queue is full the Event is dropped with a
log line, as client-go's broadcaster drops on a full channel. The writer creates new Events
and replaces counted-up ones, and logs every failure with the Event it concerns.
"""

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from shared.api.kinds import EVENTS
from shared.events.correlating import EventKey, Seen, correlate, event_key, unix_nanoseconds
from shared.events.models import Event, EventSource, EventType, InvolvedObject
from shared.runtime.tasks import OwnedTasks
from shared.store.errors import AlreadyExistsError, NotFoundError
from shared.store.objects import Object, ObjectStore

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
DEFAULT_WINDOW_SECONDS = 600.0
"""client-go aggregates within 10 minutes (defaultAggregateIntervalInSeconds)."""
DEFAULT_QUEUE_SIZE = 1000
DEFAULT_CACHE_SIZE = 4096
"""client-go's maxLruCacheEntries."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def event_body(event: Event) -> Object:
    body = event.to_dict()
    body["metadata"] = {"name": event.metadata.name, "namespace": event.metadata.namespace}
    return body


class EventRecorder:
    def __init__(
        self,
        store: ObjectStore,
        *,
        component: str,
        clock: Clock = utc_now,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        cache_size: int = DEFAULT_CACHE_SIZE,
        host: str | None = None,
    ) -> None:
        self._store = store
        self._source = EventSource(component=component, host=host)
        self._clock = clock
        self._window_seconds = window_seconds
        self._cache_size = cache_size
        self._seen: OrderedDict[EventKey, Seen] = OrderedDict()
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=queue_size)
        self._tasks = OwnedTasks(f"events/{component}")
        self._last_nanoseconds = 0
        self.dropped = 0

    def start(self) -> None:
        self._tasks.start(self._write_forever(), name="writer")

    def record(
        self, involved: InvolvedObject, *, type: EventType, reason: str, message: str
    ) -> Event:
        """Queue the Event (new, or the same one counted up) and return it at once."""
        key = event_key(involved, source=self._source, type=type, reason=reason, message=message)
        now = self._clock()
        self._last_nanoseconds = max(unix_nanoseconds(now), self._last_nanoseconds + 1)
        event = correlate(
            self._seen.get(key),
            involved=involved,
            source=self._source,
            type=type,
            reason=reason,
            message=message,
            now=now,
            window_seconds=self._window_seconds,
            name_nanoseconds=self._last_nanoseconds,
        )
        self._seen[key] = Seen(event=event, at=now)
        self._seen.move_to_end(key)
        while len(self._seen) > self._cache_size:
            self._seen.popitem(last=False)
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning(
                "event queue full; dropping Event",
                extra={"event": event.metadata.name, "reason": reason, "object": involved.name},
            )
        return event

    async def flush(self) -> None:
        """Wait until every queued Event has been written (or failed and been logged)."""
        await self._queue.join()

    async def stop(self, *, timeout: float = 2.0) -> None:
        """Write what is queued (up to `timeout`), then stop the writer."""
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            log.error("events still queued after %.1fs: %d", timeout, self._queue.qsize())
        await self._tasks.stop()

    async def _write_forever(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self._write(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "cannot write Event",
                    extra={
                        "event": event.metadata.name,
                        "namespace": event.metadata.namespace,
                        "reason": event.reason,
                        "object": event.involved_object.name,
                    },
                )
            finally:
                self._queue.task_done()

    async def _write(self, event: Event) -> None:
        body = event_body(event)
        if event.count == 1:
            try:
                await self._store.create(EVENTS, body)
                return
            except AlreadyExistsError:
                pass
        try:
            await self._store.update(EVENTS, body)
        except NotFoundError:
            await self._store.create(EVENTS, body)
