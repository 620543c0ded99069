"""Kubernetes object semantics over a KVBackend, written once for the hub and the simulator.

uid/creationTimestamp on create, resourceVersion = backend revision, generation bumped only
by spec changes, status written separately, finalizers holding deletion, no-op updates
skipped, compare-and-set on every write.
"""

import copy
import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from shared.api.meta import LabelSelector
from shared.api.resources import ResourceType
from shared.store.backend import EventType, KVBackend, KVEntry
from shared.store.encryption import SecretEncryption
from shared.store.errors import ConflictError, InvalidObjectError, NotFoundError
from shared.store.keys import collection_filter, object_key
from shared.store.limits import ObjectLimits, check_depth, check_size

Object = dict[str, Any]
GENERATE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_UPDATE_RETRIES = 16


def utc_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class WatchEvent:
    type: EventType
    object: Object
    revision: int


@dataclass(frozen=True)
class ObjectList:
    items: list[Object]
    revision: int


@dataclass(frozen=True)
class DeleteResult:
    object: Object
    deleted: bool
    """False when finalizers hold the object: it now carries a deletionTimestamp."""


def _metadata(obj: Object) -> dict[str, Any]:
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        raise InvalidObjectError("metadata", "Required value")
    return metadata


def _spec_part(obj: Object) -> Object:
    """Everything that counts toward `generation`: all but metadata and status."""
    return {key: value for key, value in obj.items() if key not in ("metadata", "status")}


SECRETS_GROUP_RESOURCE = "secrets"


def _expected_revision(metadata: dict[str, Any]) -> int | None:
    raw = metadata.get("resourceVersion")
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError) as error:
        raise InvalidObjectError("metadata.resourceVersion", f"invalid value {raw!r}") from error


def _cache_usable(current: Object, expected: int | None) -> bool:
    """A cached copy can stand in for a read when it names the revision the write expects
    (or the write expects none)."""
    metadata = current.get("metadata")
    if not isinstance(metadata, dict):
        return False
    try:
        revision = _expected_revision(metadata)
    except InvalidObjectError:
        return False
    return revision is not None and (expected is None or expected == revision)


class ObjectStore:
    def __init__(
        self,
        backend: KVBackend,
        *,
        clock: Callable[[], str] = utc_timestamp,
        encryption: SecretEncryption | None = None,
        limits: ObjectLimits | None = None,
    ) -> None:
        self.backend = backend
        self._clock = clock
        self._encryption = encryption
        self.limits = limits or ObjectLimits()

    def max_object_bytes(self) -> int:
        """The configured object limit, lowered to what the backend can carry."""
        carried = self.backend.max_value_bytes()
        limit = self.limits.max_object_bytes
        return limit if carried is None else min(limit, carried)

    def _decode(self, resource: ResourceType, entry_value: bytes, revision: int) -> Object:
        obj: Object = orjson.loads(entry_value)
        if self._encryption and resource.group_resource == SECRETS_GROUP_RESOURCE:
            obj = self._encryption.open(obj)
        obj.setdefault("metadata", {})["resourceVersion"] = str(revision)
        return obj

    def _encode(self, resource: ResourceType, obj: Object, *, bounded: bool = True) -> bytes:
        """The stored bytes; TooLargeError or ObjectTooDeepError before any write. A
        deletion re-encodes what is already stored: it is never refused for its shape."""
        if bounded:
            check_depth(obj, max_depth=self.limits.max_depth)
        stored = copy.copy(obj)
        stored["metadata"] = {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}
        if self._encryption and resource.group_resource == SECRETS_GROUP_RESOURCE:
            stored = self._encryption.seal(stored)
        value = orjson.dumps(stored)
        if bounded:
            check_size(value, limit=self.max_object_bytes())
        return value

    def _written(self, resource: ResourceType, obj: Object, value: bytes, revision: int) -> Object:
        """What a write returns: a copy of `obj` that shares nothing with the caller's body,
        the cache's object or the merge's inputs (decoded from the bytes just encoded; one
        orjson round trip instead of deep copies)."""
        if self._encryption and resource.group_resource == SECRETS_GROUP_RESOURCE:
            fresh: Object = orjson.loads(orjson.dumps(obj))
        else:
            fresh = orjson.loads(value)
        fresh["metadata"]["resourceVersion"] = str(revision)
        return fresh

    async def _entry(self, resource: ResourceType, namespace: str | None, name: str) -> KVEntry:
        entry = await self.backend.get(object_key(resource, namespace, name))
        if entry is None:
            raise NotFoundError(f'{resource.group_resource} "{name}" not found')
        return entry

    async def get(self, resource: ResourceType, namespace: str | None, name: str) -> Object:
        entry = await self._entry(resource, namespace, name)
        return self._decode(resource, entry.value, entry.revision)

    async def create(self, resource: ResourceType, obj: Object) -> Object:
        new = copy.copy(obj)
        metadata = dict(_metadata(obj))
        new["metadata"] = metadata
        if metadata.get("resourceVersion"):
            raise InvalidObjectError(
                "metadata.resourceVersion",
                "resourceVersion should not be set on objects to be created",
            )
        if not metadata.get("name"):
            if not metadata.get("generateName"):
                raise InvalidObjectError(
                    "metadata.name", "Required value: name or generateName is required"
                )
            suffix = "".join(random.choices(GENERATE_NAME_ALPHABET, k=5))
            metadata["name"] = f"{metadata['generateName']}{suffix}"
        if resource.namespaced:
            if not metadata.get("namespace"):
                raise InvalidObjectError("metadata.namespace", "Required value")
        else:
            metadata.pop("namespace", None)
        new.setdefault("apiVersion", resource.api_version)
        new.setdefault("kind", resource.kind)
        metadata["uid"] = str(uuid.uuid4())
        metadata["creationTimestamp"] = self._clock()
        metadata["generation"] = 1
        metadata.pop("deletionTimestamp", None)
        key = object_key(resource, metadata.get("namespace"), metadata["name"])
        value = self._encode(resource, new)
        revision = await self.backend.create(key, value)
        return self._written(resource, new, value, revision)

    async def update(
        self, resource: ResourceType, obj: Object, *, current: Object | None = None
    ) -> Object:
        """Replace the object (status kept when the kind has a status subresource).

        `current`: the stored object as the caller's cache (an informer, its own last
        write) has it. The first attempt then writes compare-and-set against its revision
        without reading the store; a stale `current` costs one read and a retry, or a
        ConflictError when `obj` names a resourceVersion (exactly as without `current`)."""
        return await self._write(resource, obj, status_only=False, current=current)

    async def update_status(
        self, resource: ResourceType, obj: Object, *, current: Object | None = None
    ) -> Object:
        """Replace only `.status`; metadata and spec in the body are ignored (`current`
        as for `update`)."""
        return await self._write(resource, obj, status_only=True, current=current)

    async def _write(
        self, resource: ResourceType, obj: Object, *, status_only: bool, current: Object | None
    ) -> Object:
        metadata = _metadata(obj)
        name = metadata.get("name") or ""
        namespace = metadata.get("namespace") if resource.namespaced else None
        expected = _expected_revision(metadata)
        cached = current if current is not None and _cache_usable(current, expected) else None
        key = object_key(resource, namespace, name)
        for _ in range(_UPDATE_RETRIES):
            if cached is not None:
                base, revision, fresh = cached, _expected_revision(cached["metadata"]) or 0, False
                cached = None
            else:
                entry = await self._entry(resource, namespace, name)
                if expected is not None and expected != entry.revision:
                    raise ConflictError(self._conflict_message(resource, name))
                base = self._decode(resource, entry.value, entry.revision)
                revision, fresh = entry.revision, True
            new = self._merge(resource, base, obj, status_only=status_only)
            if new == base:
                if fresh:
                    return base
                continue  # equal to the cache's copy: only the store can say it is a no-op
            finalizers_done = bool(new["metadata"].get("deletionTimestamp")) and not new[
                "metadata"
            ].get("finalizers")
            value = self._encode(resource, new)
            try:
                if finalizers_done:
                    written = await self.backend.delete(key, value, expected_revision=revision)
                else:
                    written = await self.backend.update(key, value, expected_revision=revision)
            except ConflictError:
                if expected is not None:
                    raise ConflictError(self._conflict_message(resource, name)) from None
                continue
            return self._written(resource, new, value, written)
        raise ConflictError(self._conflict_message(resource, name))

    def _merge(
        self, resource: ResourceType, current: Object, obj: Object, *, status_only: bool
    ) -> Object:
        """The object to store. It may share nested values with `current` and `obj` (it is
        only compared and encoded; `_written` hands out a copy), never mutates either."""
        if status_only:
            new = copy.copy(current)
            new["metadata"] = dict(current["metadata"])
            if "status" in obj:
                new["status"] = obj["status"]
            else:
                new.pop("status", None)
            return new
        new = copy.copy(obj)
        metadata = dict(obj["metadata"])
        new["metadata"] = metadata
        current_metadata = current["metadata"]
        if metadata.get("uid") and metadata["uid"] != current_metadata.get("uid"):
            raise ConflictError(
                f"Precondition failed: UID in precondition: {metadata['uid']}, "
                f"UID in object meta: {current_metadata.get('uid')}"
            )
        for field in ("uid", "creationTimestamp", "deletionTimestamp", "namespace"):
            if field in current_metadata:
                metadata[field] = current_metadata[field]
            else:
                metadata.pop(field, None)
        metadata["resourceVersion"] = current_metadata["resourceVersion"]
        new.setdefault("apiVersion", current.get("apiVersion"))
        new.setdefault("kind", current.get("kind"))
        if resource.status_subresource:
            if "status" in current:
                new["status"] = current["status"]
            else:
                new.pop("status", None)
        generation = current_metadata.get("generation", 1)
        if _spec_part(new) != _spec_part(current):
            generation += 1
        metadata["generation"] = generation
        return new

    async def delete(
        self,
        resource: ResourceType,
        namespace: str | None,
        name: str,
        *,
        uid: str | None = None,
        resource_version: str | None = None,
    ) -> DeleteResult:
        namespace = namespace if resource.namespaced else None
        for _ in range(_UPDATE_RETRIES):
            entry = await self._entry(resource, namespace, name)
            current = self._decode(resource, entry.value, entry.revision)
            metadata = current["metadata"]
            if uid and metadata.get("uid") != uid:
                raise ConflictError(
                    f"Precondition failed: UID in precondition: {uid}, "
                    f"UID in object meta: {metadata.get('uid')}"
                )
            if resource_version and resource_version != metadata["resourceVersion"]:
                raise ConflictError(self._conflict_message(resource, name))
            key = object_key(resource, namespace, name)
            try:
                if metadata.get("finalizers"):
                    if metadata.get("deletionTimestamp"):
                        return DeleteResult(current, deleted=False)
                    metadata["deletionTimestamp"] = self._clock()
                    metadata["deletionGracePeriodSeconds"] = 0
                    revision = await self.backend.update(
                        key,
                        self._encode(resource, current, bounded=False),
                        expected_revision=entry.revision,
                    )
                    metadata["resourceVersion"] = str(revision)
                    return DeleteResult(current, deleted=False)
                revision = await self.backend.delete(
                    key,
                    self._encode(resource, current, bounded=False),
                    expected_revision=entry.revision,
                )
            except ConflictError:
                if resource_version:
                    raise
                continue
            metadata["resourceVersion"] = str(revision)
            return DeleteResult(current, deleted=True)
        raise ConflictError(self._conflict_message(resource, name))

    async def list(
        self,
        resource: ResourceType,
        *,
        namespace: str | None = None,
        label_selector: LabelSelector | None = None,
    ) -> ObjectList:
        snapshot = await self.backend.list(collection_filter(resource, namespace))
        items = [self._decode(resource, entry.value, entry.revision) for entry in snapshot.entries]
        if label_selector is not None:
            items = [
                item
                for item in items
                if label_selector.matches(item["metadata"].get("labels") or {})
            ]
        return ObjectList(items, snapshot.revision)

    async def watch(
        self,
        resource: ResourceType,
        *,
        namespace: str | None = None,
        after_revision: int,
    ) -> AsyncIterator[WatchEvent]:
        async for event in self.backend.watch(
            collection_filter(resource, namespace), after_revision=after_revision
        ):
            yield WatchEvent(
                event.type, self._decode(resource, event.value, event.revision), event.revision
            )

    async def compact(self, *, before_revision: int) -> None:
        await self.backend.compact(before_revision=before_revision)

    @staticmethod
    def _conflict_message(resource: ResourceType, name: str) -> str:
        return (
            f'Operation cannot be fulfilled on {resource.group_resource} "{name}": the object has '
            "been modified; please apply your changes to the latest version and try again"
        )
