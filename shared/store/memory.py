"""The in-memory backend: the simulator's store, and a fast double of JetStream in unit tests."""

import asyncio
import bisect
from collections.abc import AsyncIterator

from shared.store.backend import KVEntry, KVEvent, KVSnapshot
from shared.store.errors import AlreadyExistsError, ConflictError, ExpiredError, NotFoundError
from shared.store.keys import filter_matches


class MemoryBackend:
    """Keeps the live keys and a bounded window of recent events for watches."""

    def __init__(self, *, history: int = 10_000) -> None:
        self._entries: dict[str, KVEntry] = {}
        self._history = history
        self._events: list[KVEvent] = []
        self._revision = 0
        self._compacted = 0
        self._changed = asyncio.Condition()

    @property
    def revision(self) -> int:
        return self._revision

    def max_value_bytes(self) -> int | None:
        return None

    async def get(self, key: str) -> KVEntry | None:
        return self._entries.get(key)

    async def _record(self, event: KVEvent) -> int:
        self._events.append(event)
        if len(self._events) > 2 * self._history:
            dropped = len(self._events) - self._history
            self._compacted = self._events[dropped - 1].revision
            del self._events[:dropped]
        async with self._changed:
            self._changed.notify_all()
        return event.revision

    async def create(self, key: str, value: bytes) -> int:
        if key in self._entries:
            raise AlreadyExistsError(key)
        self._revision += 1
        self._entries[key] = KVEntry(key, value, self._revision)
        return await self._record(KVEvent("ADDED", key, value, self._revision))

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> int:
        current = self._entries.get(key)
        if current is None:
            raise NotFoundError(key)
        if current.revision != expected_revision:
            raise ConflictError(key)
        self._revision += 1
        self._entries[key] = KVEntry(key, value, self._revision)
        return await self._record(KVEvent("MODIFIED", key, value, self._revision))

    async def delete(self, key: str, last_value: bytes, *, expected_revision: int) -> int:
        current = self._entries.get(key)
        if current is None:
            raise NotFoundError(key)
        if current.revision != expected_revision:
            raise ConflictError(key)
        self._revision += 1
        del self._entries[key]
        return await self._record(KVEvent("DELETED", key, last_value, self._revision))

    async def list(self, key_filter: str) -> KVSnapshot:
        entries = [entry for key, entry in self._entries.items() if filter_matches(key_filter, key)]
        entries.sort(key=lambda entry: entry.key)
        return KVSnapshot(entries, self._revision)

    async def watch(self, key_filter: str, *, after_revision: int) -> AsyncIterator[KVEvent]:
        if after_revision < self._compacted:
            raise ExpiredError(after_revision, self._compacted + 1)
        last = after_revision
        while True:
            if last < self._compacted:
                raise ExpiredError(last, self._compacted + 1)
            start = bisect.bisect_right(self._events, last, key=lambda event: event.revision)
            pending = self._events[start:]
            for event in pending:
                last = event.revision
                if filter_matches(key_filter, event.key):
                    yield event
            if not pending:
                async with self._changed:
                    await self._changed.wait_for(lambda last=last: self._revision > last)

    async def compact(self, *, before_revision: int) -> None:
        start = bisect.bisect_left(self._events, before_revision, key=lambda event: event.revision)
        del self._events[:start]
        self._compacted = max(self._compacted, before_revision - 1)

    async def close(self) -> None:
        async with self._changed:
            self._changed.notify_all()
