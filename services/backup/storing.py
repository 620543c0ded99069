"""Where archives live: the hub's JetStream object store, one bucket, chunked, checksummed.

Keys follow Velero's object-store layout (`backups/<name>/<name>.tar.gz`, ...), so a bucket
holds what Velero's would. Files are streamed in and out through temporary files: a
cluster's archive is never held in memory.
"""

import io
import logging
from typing import BinaryIO, Protocol

from nats.js import JetStreamContext
from nats.js.errors import BucketNotFoundError, DigestMismatchError, ObjectNotFoundError
from nats.js.errors import NotFoundError as JetStreamNotFound
from nats.js.object_store import ObjectStore as JetStreamObjectStore

log = logging.getLogger(__name__)


class ArchiveMissingError(LookupError):
    """The key is not in the store (deleted, expired, never written)."""


class ArchiveCorruptError(ValueError):
    """What the store returned does not match the checksum it was written with."""


class ArchiveStore(Protocol):
    async def put(self, key: str, data: bytes | BinaryIO) -> None: ...

    async def get_into(self, key: str, out: BinaryIO) -> None:
        """Write the object's bytes into `out`; ArchiveMissingError / ArchiveCorruptError."""

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None:
        """Remove the key; a missing key is not an error."""

    async def keys(self, prefix: str) -> list[str]: ...


class JetStreamArchives:
    """ArchiveStore over nats-py's object store (SHA-256 digest checked on every read)."""

    def __init__(self, store: JetStreamObjectStore) -> None:
        self._store = store

    @classmethod
    async def open(cls, js: JetStreamContext, *, bucket: str) -> "JetStreamArchives":
        try:
            store = await js.object_store(bucket)
        except BucketNotFoundError:
            store = await js.create_object_store(bucket)
        return cls(store)

    async def put(self, key: str, data: bytes | BinaryIO) -> None:
        await self._store.put(key, data if isinstance(data, bytes) else _reader(data))

    async def get_into(self, key: str, out: BinaryIO) -> None:
        try:
            await self._store.get(key, writeinto=out)  # type: ignore[arg-type]
        except (ObjectNotFoundError, JetStreamNotFound) as error:
            raise ArchiveMissingError(f'archive "{key}" not found') from error
        except DigestMismatchError as error:
            raise ArchiveCorruptError(f'archive "{key}" does not match its digest') from error

    async def get(self, key: str) -> bytes:
        buffer = io.BytesIO()
        await self.get_into(key, buffer)
        return buffer.getvalue()

    async def delete(self, key: str) -> None:
        try:
            await self._store.delete(key)
        except (ObjectNotFoundError, JetStreamNotFound):
            log.debug("archive %s already gone", key)

    async def keys(self, prefix: str) -> list[str]:
        try:
            infos = await self._store.list(ignore_deletes=True)
        except JetStreamNotFound:
            return []
        return sorted(info.name for info in infos if info.name.startswith(prefix))


def _reader(stream: BinaryIO) -> io.BufferedIOBase:
    """nats-py reads with `readinto`; a plain file object already has it."""
    if isinstance(stream, io.BufferedIOBase):
        return stream
    return io.BufferedReader(stream)  # type: ignore[arg-type]
