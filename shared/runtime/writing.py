"""One conflict policy for every service's writes: re-read, re-apply the change, retry.

Writes are compare-and-set. A conflict means someone wrote since we read; the answer is
always the same: read the stored object again, apply the same change to it, and write
again after a short backoff. What still conflicts after a few attempts is raised, and the
reconcile runner retries the whole reconcile with its per-key backoff.
"""

import asyncio
import logging
from collections.abc import Callable

from shared.api.resources import ResourceType
from shared.runtime.own_writes import OwnWrites, revision_of
from shared.store.errors import ConflictError, NotFoundError
from shared.store.objects import DeleteResult, Object, ObjectStore

log = logging.getLogger(__name__)

Change = Callable[[Object], Object | None]
"""Returns the changed object, or None when the current one needs no write."""

DEFAULT_ATTEMPTS = 4
DEFAULT_BASE_DELAY_S = 0.01


class Writer:
    """The service's store writes: remembered for read-your-writes, conflicts retried."""

    def __init__(
        self,
        store: ObjectStore,
        own_writes: OwnWrites,
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        base_delay_s: float = DEFAULT_BASE_DELAY_S,
    ) -> None:
        self.store = store
        self.own_writes = own_writes
        self._attempts = attempts
        self._base_delay_s = base_delay_s

    async def create(self, resource: ResourceType, obj: Object) -> Object:
        return self.own_writes.remember(resource, await self.store.create(resource, obj))

    async def update(
        self, resource: ResourceType, obj: Object, *, current: Object | None = None
    ) -> Object:
        """One compare-and-set write of `obj` as read; a conflict is raised.

        `current`: the stored object as the cache has it, so the write needs no read first.
        """
        written = await self.store.update(resource, obj, current=current)
        return self.own_writes.remember(resource, written)

    async def update_status(
        self, resource: ResourceType, obj: Object, *, current: Object | None = None
    ) -> Object:
        written = await self.store.update_status(resource, obj, current=current)
        return self.own_writes.remember(resource, written)

    async def delete(
        self,
        resource: ResourceType,
        namespace: str | None,
        name: str,
        *,
        uid: str | None = None,
        remember_deletion: bool = False,
    ) -> DeleteResult:
        """Delete (or mark deleting, with finalizers). With `remember_deletion`, reads
        through `OwnWrites.fresher` show the object gone until the cache shows the delete."""
        key = (namespace or "", name)
        try:
            result = await self.store.delete(resource, namespace, name, uid=uid)
        except NotFoundError:
            self.own_writes.forget(resource, key)
            raise
        if not result.deleted:
            self.own_writes.remember(resource, result.object)
        elif remember_deletion:
            self.own_writes.remember_deletion(resource, key, revision_of(result.object))
        else:
            self.own_writes.forget(resource, key)
        return result

    async def change(
        self,
        resource: ResourceType,
        current: Object,
        change: Change,
        *,
        status: bool = False,
    ) -> Object | None:
        """Apply `change` to `current` and write it (spec and metadata, or status).

        On a conflict the object is read again from the store and the change applied to
        that copy. Returns the stored object, None when nothing needed writing or the
        object is gone.
        """
        write = self.update_status if status else self.update
        candidate: Object | None = current
        for attempt in range(self._attempts):
            if candidate is None:
                return None
            changed = change(candidate)
            if changed is None:
                return None
            try:
                return await write(resource, changed, current=candidate)
            except NotFoundError:
                return None
            except ConflictError:
                if attempt + 1 == self._attempts:
                    raise
                await asyncio.sleep(self._base_delay_s * (2**attempt))
                metadata = current["metadata"]
                try:
                    candidate = await self.store.get(
                        resource, metadata.get("namespace"), metadata["name"]
                    )
                except NotFoundError:
                    return None
        return None

    async def ensure(
        self,
        resource: ResourceType,
        current: Object,
        change: Change,
        *,
        status: bool = False,
    ) -> Object | None:
        """`change`, answering the object as it stands afterwards: the write's answer, or
        the copy that needed no change; None only when the object is gone."""
        unchanged: list[Object] = []

        def tracked(candidate: Object) -> Object | None:
            changed = change(candidate)
            if changed is None:
                unchanged.append(candidate)
            return changed

        written = await self.change(resource, current, tracked, status=status)
        if written is not None:
            return written
        return unchanged[-1] if unchanged else None
