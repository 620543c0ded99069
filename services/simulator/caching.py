"""One informer per collection per cluster, shared by every controller of that cluster.

Sharing keeps one decoded copy of each object in memory (100 clusters must fit in 2 GB),
and `caught_up` gives controllers read-your-writes: after writing at revision R a
controller waits until the informer has seen R before it decides again, so it never
acts twice on a stale cache (client-go's "expectations", without the bookkeeping).
Dependents are indexed by their owners' uids, so a controller finds its pods without
scanning every pod of the cluster (O(owned), not O(pods), per reconcile).
"""

import asyncio
import logging

from shared.api.resources import ResourceType
from shared.runtime.informing import Handler, Informer, InformerEvent, ObjectKey
from shared.runtime.tasks import OwnedTasks
from shared.store.objects import Object, ObjectStore

log = logging.getLogger(__name__)
CATCH_UP_TIMEOUT = 5.0


class SharedInformers:
    def __init__(self, store: ObjectStore, *, owner: str) -> None:
        self._store = store
        self._informers: dict[ResourceType, Informer] = {}
        self._waiters: dict[ResourceType, list[tuple[int, asyncio.Future[None]]]] = {}
        self._dependents: dict[ResourceType, dict[str, dict[ObjectKey, Object]]] = {}
        self._tasks = OwnedTasks(f"{owner}/informers")

    def __getitem__(self, resource: ResourceType) -> Informer:
        informer = self._informers.get(resource)
        if informer is None:
            informer = Informer(self._store, resource, retry_delay=0.1)
            self._dependents[resource] = {}
            informer.add_handler(lambda event, resource=resource: self._index(resource, event))
            informer.add_handler(lambda event, resource=resource: self._wake(resource))
            self._informers[resource] = informer
            self._waiters[resource] = []
        return informer

    def dependents(self, resource: ResourceType, uid: str) -> list[Object]:
        """Cached objects with an ownerReference to `uid` (the garbage collector's view)."""
        self[resource]
        return list(self._dependents[resource].get(uid, {}).values())

    def owned(self, resource: ResourceType, owner: Object) -> list[Object]:
        """Cached objects whose controller is `owner` (`metav1.GetControllerOf`)."""
        uid = owner["metadata"]["uid"]
        return [
            obj
            for obj in self.dependents(resource, uid)
            if any(
                reference.get("controller") and reference.get("uid") == uid
                for reference in obj["metadata"].get("ownerReferences") or []
            )
        ]

    def get(self, resource: ResourceType, namespace: str | None, name: str) -> Object | None:
        return self[resource].get(namespace, name)

    def list(self, resource: ResourceType, *, namespace: str | None = None) -> list[Object]:
        return self[resource].list(namespace=namespace)

    def on(self, resource: ResourceType, handler: Handler) -> None:
        self[resource].add_handler(handler)

    def _index(self, resource: ResourceType, event: InformerEvent) -> None:
        index = self._dependents[resource]
        for gone in (event.old, event.object if event.type == "DELETED" else None):
            for uid in _owner_uids(gone):
                bucket = index.get(uid)
                if bucket is not None:
                    bucket.pop(event.key, None)
                    if not bucket:
                        del index[uid]
        if event.type != "DELETED":
            for uid in _owner_uids(event.object):
                index.setdefault(uid, {})[event.key] = event.object

    def _wake(self, resource: ResourceType) -> None:
        waiters = self._waiters[resource]
        if not waiters:
            return
        revision = self._informers[resource].revision
        pending = []
        for wanted, future in waiters:
            if revision >= wanted:
                if not future.done():
                    future.set_result(None)
            else:
                pending.append((wanted, future))
        self._waiters[resource] = pending

    async def caught_up(self, resource: ResourceType, revision: int | str | None) -> None:
        """Return once the informer has seen `revision` (a write's resourceVersion)."""
        if revision is None:
            return
        wanted = int(revision)
        informer = self[resource]
        if informer.revision >= wanted:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[resource].append((wanted, future))
        try:
            await asyncio.wait_for(future, CATCH_UP_TIMEOUT)
        except TimeoutError:
            log.warning("%s informer did not reach revision %s", resource.plural, wanted)

    async def start(self) -> None:
        """Start every informer requested so far and wait for their first lists."""
        for resource, informer in self._informers.items():
            self._tasks.start(informer.run(), name=resource.plural)
        await asyncio.gather(*(informer.wait_synced() for informer in self._informers.values()))

    async def stop(self) -> None:
        await self._tasks.stop(timeout=2.0)
        for waiters in self._waiters.values():
            for _, future in waiters:
                future.cancel()
            waiters.clear()


def _owner_uids(obj: Object | None) -> set[str]:
    if obj is None:
        return set()
    references = obj["metadata"].get("ownerReferences") or []
    return {reference["uid"] for reference in references if reference.get("uid")}
