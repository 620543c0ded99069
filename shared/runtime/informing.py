"""Informers: list once, watch from the list's revision, keep a cache, re-list on expiry.

Handlers are plain callables (usually `runner.enqueue`): the watch loop never waits on
reconcile work, so a slow reconcile cannot back-pressure the store's watch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from shared.api.meta import LabelSelector
from shared.api.resources import ResourceType
from shared.store.backend import EventType
from shared.store.errors import ExpiredError
from shared.store.objects import Object, ObjectStore

log = logging.getLogger(__name__)

ObjectKey = tuple[str, str]
"""(namespace or "", name): how caches and work queues name an object."""


def key_of(obj: Object) -> ObjectKey:
    metadata = obj["metadata"]
    return metadata.get("namespace") or "", metadata["name"]


@dataclass(frozen=True)
class InformerEvent:
    type: EventType
    object: Object
    old: Object | None = None

    @property
    def key(self) -> ObjectKey:
        return key_of(self.object)


Handler = Callable[[InformerEvent], None]


def relist_events(
    previous: dict[ObjectKey, Object], fresh: dict[ObjectKey, Object]
) -> Iterator[InformerEvent]:
    """What a fresh list means to handlers that saw `previous`: adds, changes, deletions."""
    for key, obj in fresh.items():
        old = previous.get(key)
        if old is None:
            yield InformerEvent("ADDED", obj)
        elif old["metadata"].get("resourceVersion") != obj["metadata"].get("resourceVersion"):
            yield InformerEvent("MODIFIED", obj, old)
    for key, old in previous.items():
        if key not in fresh:
            yield InformerEvent("DELETED", old, old)


class Informer:
    def __init__(
        self,
        store: ObjectStore,
        resource: ResourceType,
        *,
        namespace: str | None = None,
        retry_delay: float = 0.5,
    ) -> None:
        self.resource = resource
        self._store = store
        self._namespace = namespace
        self._retry_delay = retry_delay
        self._cache: dict[ObjectKey, Object] = {}
        self._handlers: list[Handler] = []
        self._synced = asyncio.Event()
        self.revision = 0
        self.relists = 0

    def add_handler(self, handler: Handler) -> None:
        self._handlers.append(handler)

    @property
    def synced(self) -> bool:
        return self._synced.is_set()

    async def wait_synced(self) -> None:
        await self._synced.wait()

    def get(self, namespace: str | None, name: str) -> Object | None:
        return self._cache.get((namespace or "", name))

    def list(
        self, *, namespace: str | None = None, label_selector: LabelSelector | None = None
    ) -> list[Object]:
        items = self._cache.values()
        if namespace is not None:
            items = [item for item in items if item["metadata"].get("namespace") == namespace]
        if label_selector is not None:
            items = [
                item
                for item in items
                if label_selector.matches(item["metadata"].get("labels") or {})
            ]
        return list(items)

    def keys(self) -> list[ObjectKey]:
        return list(self._cache)

    def __len__(self) -> int:
        return len(self._cache)

    def _dispatch(self, event: InformerEvent) -> None:
        for handler in self._handlers:
            try:
                handler(event)
            except Exception:
                log.exception("informer handler failed for %s %s", self.resource.plural, event.key)

    async def _relist(self) -> None:
        listing = await self._store.list(self.resource, namespace=self._namespace)
        fresh = {key_of(item): item for item in listing.items}
        previous = self._cache
        self._cache = fresh
        self.revision = listing.revision
        self.relists += 1
        for event in relist_events(previous, fresh):
            self._dispatch(event)

    def _apply(self, event_type: EventType, obj: Object) -> None:
        key = key_of(obj)
        old = self._cache.get(key)
        if event_type == "DELETED":
            self._cache.pop(key, None)
            self._dispatch(InformerEvent("DELETED", obj, old))
            return
        self._cache[key] = obj
        self._dispatch(InformerEvent("ADDED" if old is None else "MODIFIED", obj, old))

    async def run(self) -> None:
        """Runs until cancelled; store outages and expired revisions lead to a fresh list."""
        while True:
            try:
                await self._relist()
                self._synced.set()
                async for event in self._store.watch(
                    self.resource, namespace=self._namespace, after_revision=self.revision
                ):
                    self.revision = event.revision
                    self._apply(event.type, event.object)
            except ExpiredError as error:
                log.info("watch of %s expired (%s); re-listing", self.resource.plural, error)
            except Exception as error:
                log.warning("watch of %s failed (%r); re-listing", self.resource.plural, error)
                await asyncio.sleep(self._retry_delay)
