"""The revisioned key-value contract both backends (JetStream KV, memory) fulfil.

Revisions are global and strictly increasing across all keys, like etcd's: the object
layer uses them as resourceVersions and watches resume from them.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, Protocol

EventType = Literal["ADDED", "MODIFIED", "DELETED"]


@dataclass(frozen=True)
class KVEntry:
    key: str
    value: bytes
    revision: int


@dataclass(frozen=True)
class KVEvent:
    """One change; a DELETED event carries the last value so watchers can show it."""

    type: EventType
    key: str
    value: bytes
    revision: int


@dataclass(frozen=True)
class KVSnapshot:
    entries: list[KVEntry]
    revision: int


class KVBackend(Protocol):
    def max_value_bytes(self) -> int | None:
        """The largest value a write can carry (None: no limit of the backend's own)."""
        ...

    async def get(self, key: str) -> KVEntry | None: ...

    async def create(self, key: str, value: bytes) -> int:
        """Store a new key; AlreadyExistsError when it exists."""
        ...

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> int:
        """Compare-and-set; ConflictError when the key's revision is not `expected_revision`."""
        ...

    async def delete(self, key: str, last_value: bytes, *, expected_revision: int) -> int: ...

    async def list(self, key_filter: str) -> KVSnapshot:
        """Every live key matching the filter, consistent at the returned revision."""
        ...

    def watch(self, key_filter: str, *, after_revision: int) -> AsyncIterator[KVEvent]:
        """Changes with revision > after_revision, in order; ExpiredError if no longer retained."""
        ...

    async def compact(self, *, before_revision: int) -> None:
        """Forget deletions older than the revision; watches from before it then expire."""
        ...

    async def close(self) -> None: ...
