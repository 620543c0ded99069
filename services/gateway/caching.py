"""Reads from informer caches, writes to the store, and every read sees this gateway's writes.

The gateway answers get/list from memory (one informer per kind) instead of scanning
JetStream. After a write, reads of that kind wait until the cache has caught up with the
written revision, so `kubectl apply` followed by `kubectl get` never sees the past; a cache
that does not catch up in time falls back to a consistent read from the store.
"""

import asyncio
import logging
from collections.abc import AsyncIterator

from shared.api.meta import LabelSelector
from shared.api.resources import ResourceType
from shared.runtime.informing import Informer
from shared.runtime.tasks import OwnedTasks
from shared.store.errors import NotFoundError
from shared.store.objects import DeleteResult, Object, ObjectList, ObjectStore, WatchEvent

log = logging.getLogger(__name__)

CATCH_UP_TIMEOUT_S = 1.0


class CachedStore:
    """The ObjectStore interface with cache-served reads; watches go to the store itself."""

    def __init__(self, store: ObjectStore, tasks: OwnedTasks) -> None:
        self._store = store
        self._tasks = tasks
        self._informers: dict[str, Informer] = {}
        self._written: dict[str, int] = {}
        self._advanced: dict[str, asyncio.Event] = {}

    @property
    def store(self) -> ObjectStore:
        return self._store

    def informer(self, resource: ResourceType) -> Informer:
        """The kind's informer, started on first use."""
        key = resource.group_resource
        informer = self._informers.get(key)
        if informer is None:
            informer = Informer(self._store, resource)
            advanced = asyncio.Event()
            self._advanced[key] = advanced
            informer.add_handler(lambda _event: advanced.set())
            self._informers[key] = informer
            self._tasks.start(informer.run(), name=f"cache/{key}")
        return informer

    def forget(self, resource: ResourceType) -> None:
        """Stop caching a kind (its CRD was deleted); the task ends with the owner's stop."""
        self._informers.pop(resource.group_resource, None)

    def synced(self) -> bool:
        return all(informer.synced for informer in self._informers.values())

    def _record(self, resource: ResourceType, obj: Object) -> None:
        revision = int(obj["metadata"]["resourceVersion"])
        key = resource.group_resource
        self._written[key] = max(self._written.get(key, 0), revision)

    async def _fresh_informer(self, resource: ResourceType) -> Informer | None:
        """The informer once it has seen this gateway's last write of the kind, else None."""
        informer = self.informer(resource)
        key = resource.group_resource
        wanted = self._written.get(key, 0)
        try:
            async with asyncio.timeout(CATCH_UP_TIMEOUT_S):
                await informer.wait_synced()
                advanced = self._advanced[key]
                while True:
                    advanced.clear()
                    if informer.revision >= wanted:
                        break
                    await advanced.wait()
        except TimeoutError:
            log.warning("cache of %s did not reach revision %d in time", key, wanted)
            return None
        return informer

    async def get(self, resource: ResourceType, namespace: str | None, name: str) -> Object:
        informer = await self._fresh_informer(resource)
        if informer is None:
            return await self._store.get(resource, namespace, name)
        cached = informer.get(namespace if resource.namespaced else None, name)
        if cached is None:
            raise NotFoundError(f'{resource.group_resource} "{name}" not found')
        return cached

    async def list(
        self,
        resource: ResourceType,
        *,
        namespace: str | None = None,
        label_selector: LabelSelector | None = None,
    ) -> ObjectList:
        informer = await self._fresh_informer(resource)
        if informer is None:
            return await self._store.list(
                resource, namespace=namespace, label_selector=label_selector
            )
        items = informer.list(namespace=namespace, label_selector=label_selector)
        items.sort(
            key=lambda item: (item["metadata"].get("namespace", ""), item["metadata"]["name"])
        )
        return ObjectList(items, informer.revision)

    async def create(self, resource: ResourceType, obj: Object) -> Object:
        created = await self._store.create(resource, obj)
        self._record(resource, created)
        return created

    async def update(self, resource: ResourceType, obj: Object) -> Object:
        updated = await self._store.update(resource, obj)
        self._record(resource, updated)
        return updated

    async def update_status(self, resource: ResourceType, obj: Object) -> Object:
        updated = await self._store.update_status(resource, obj)
        self._record(resource, updated)
        return updated

    async def delete(
        self,
        resource: ResourceType,
        namespace: str | None,
        name: str,
        *,
        uid: str | None = None,
        resource_version: str | None = None,
    ) -> DeleteResult:
        result = await self._store.delete(
            resource, namespace, name, uid=uid, resource_version=resource_version
        )
        self._record(resource, result.object)
        return result

    def watch(
        self, resource: ResourceType, *, namespace: str | None = None, after_revision: int
    ) -> AsyncIterator[WatchEvent]:
        return self._store.watch(resource, namespace=namespace, after_revision=after_revision)

    async def compact(self, *, before_revision: int) -> None:
        await self._store.compact(before_revision=before_revision)
