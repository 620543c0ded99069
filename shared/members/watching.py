"""Informers over a member cluster's API: list, watch from the list's revision, re-list on 410.

The same contract as `shared.runtime.informing.Informer` (cache + handlers receiving
InformerEvents), but the source is a member's REST API through kubernetes-asyncio, which can
fail, hang or expire at any time; the informer outlives all of that and reports it.
"""

import asyncio
import logging
from collections.abc import Callable

from shared.members.client import MemberClient, MemberError
from shared.runtime.informing import InformerEvent, ObjectKey, key_of, relist_events
from shared.store.objects import Object

log = logging.getLogger(__name__)

Handler = Callable[[InformerEvent], None]
ErrorHandler = Callable[[MemberError], None]
SyncHandler = Callable[[], None]


class MemberInformer:
    def __init__(
        self,
        member: MemberClient,
        *,
        path: str,
        retry_delay: float = 1.0,
        watch_timeout_s: int = 300,
    ) -> None:
        self.path = path
        self._member = member
        self._retry_delay = retry_delay
        self._watch_timeout_s = watch_timeout_s
        self._cache: dict[ObjectKey, Object] = {}
        self._handlers: list[Handler] = []
        self._error_handlers: list[ErrorHandler] = []
        self._sync_handlers: list[SyncHandler] = []
        self._synced = asyncio.Event()
        self.resource_version = ""
        self.relists = 0

    def add_handler(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def on_error(self, handler: ErrorHandler) -> None:
        self._error_handlers.append(handler)

    def on_synced(self, handler: SyncHandler) -> None:
        """Called after every successful list (the first one makes the cache synced), so
        work parked until the cache could answer resumes at once instead of polling."""
        self._sync_handlers.append(handler)

    @property
    def synced(self) -> bool:
        return self._synced.is_set()

    async def wait_synced(self) -> None:
        await self._synced.wait()

    def list(self) -> list[Object]:
        return list(self._cache.values())

    def get(self, namespace: str | None, name: str) -> Object | None:
        return self._cache.get((namespace or "", name))

    def _dispatch(self, event: InformerEvent) -> None:
        for handler in self._handlers:
            try:
                handler(event)
            except Exception:
                log.exception("member informer handler failed for %s %s", self.path, event.key)

    async def _relist(self) -> None:
        listing = await self._member.request("GET", self.path)
        kind = listing.get("kind", "").removesuffix("List")
        api_version = listing.get("apiVersion", "v1")
        fresh: dict[ObjectKey, Object] = {}
        for item in listing.get("items", []):
            item.setdefault("kind", kind)
            item.setdefault("apiVersion", api_version)
            fresh[key_of(item)] = item
        previous, self._cache = self._cache, fresh
        self.resource_version = listing.get("metadata", {}).get("resourceVersion", "")
        self.relists += 1
        for event in relist_events(previous, fresh):
            self._dispatch(event)

    def _apply(self, event: Object) -> bool:
        """Apply one watch event; False when the watch must re-list (410 Expired)."""
        event_type = event.get("type")
        obj = event.get("object") or {}
        if event_type == "ERROR":
            code = obj.get("code")
            log.info("watch of %s ended with %s: %s", self.path, code, obj.get("message"))
            return False
        self.resource_version = obj.get("metadata", {}).get("resourceVersion", "")
        if event_type == "BOOKMARK":
            return True
        key = key_of(obj)
        old = self._cache.get(key)
        if event_type == "DELETED":
            self._cache.pop(key, None)
            self._dispatch(InformerEvent("DELETED", obj, old))
        else:
            self._cache[key] = obj
            self._dispatch(InformerEvent("ADDED" if old is None else "MODIFIED", obj, old))
        return True

    async def run(self) -> None:
        """Runs until cancelled; errors are reported to error handlers, then retried."""
        while True:
            try:
                await self._relist()
                self._synced.set()
                for sync_handler in self._sync_handlers:
                    try:
                        sync_handler()
                    except Exception:
                        log.exception("member informer sync handler failed for %s", self.path)
                relist = False
                while not relist:
                    async for event in self._member.watch(
                        self.path,
                        resource_version=self.resource_version,
                        timeout_seconds=self._watch_timeout_s,
                    ):
                        if not self._apply(event):
                            relist = True
                            break
            except MemberError as error:
                for handler in self._error_handlers:
                    handler(error)
                log.debug("member informer %s failed: %s", self.path, error)
                await asyncio.sleep(self._retry_delay)
