"""Read-your-writes for a process whose reads come from informer caches.

A controller that writes an object and reconciles it again before its informer has seen
that write would act on the past (and conflict, or undo its own work). `OwnWrites` keeps
the answer to each of the process's latest writes until the cache has caught up with it:
reads overlay it on the cache, and the informer's echo of it can be recognised and skipped.
"""

from shared.api.resources import ResourceType
from shared.runtime.informing import InformerEvent, ObjectKey, key_of
from shared.store.objects import Object

Slot = tuple[str, str, str]
"""(group/resource, namespace or "", name)."""


def revision_of(obj: Object | None) -> int:
    if obj is None:
        return 0
    return int(obj["metadata"].get("resourceVersion") or 0)


class OwnWrites:
    """The process's own latest write of each object, kept until its informer caught up."""

    def __init__(self) -> None:
        self._written: dict[Slot, Object] = {}
        self._deleted: dict[Slot, int] = {}
        self._highest: dict[str, int] = {}

    @staticmethod
    def _slot(resource: ResourceType, key: ObjectKey) -> Slot:
        return (resource.group_resource, *key)

    def remember(self, resource: ResourceType, written: Object) -> Object:
        """Record a write's answer (the stored object); returns it for chaining."""
        slot = self._slot(resource, key_of(written))
        self._written[slot] = written
        self._deleted.pop(slot, None)
        group_resource = resource.group_resource
        self._highest[group_resource] = max(
            self._highest.get(group_resource, 0), revision_of(written)
        )
        return written

    def remember_deletion(self, resource: ResourceType, key: ObjectKey, revision: int) -> None:
        """Record this process's delete (`revision`: the delete's own): reads show the
        object gone while the cache still holds a copy older than the deletion."""
        slot = self._slot(resource, key)
        self._written.pop(slot, None)
        self._deleted[slot] = revision

    def fresher(self, resource: ResourceType, cached: Object | None) -> Object | None:
        """The newer of the cache's copy and this process's last write of it.

        An object missing from the cache is missing: a deletion always wins, this
        process's own one too (`remember_deletion`) until the cache shows a newer object.
        """
        if cached is None:
            return None
        slot = self._slot(resource, key_of(cached))
        deleted_at = self._deleted.get(slot)
        if deleted_at is not None:
            if revision_of(cached) < deleted_at:
                return None
            del self._deleted[slot]
        written = self._written.get(slot)
        if written is None:
            return cached
        if revision_of(cached) >= revision_of(written):
            del self._written[slot]
            return cached
        return written

    def unseen(self, resource: ResourceType, key: ObjectKey) -> Object | None:
        """This process's write of an object its cache does not hold yet (a fresh create).

        Only for informers whose every event passes `is_echo`, which drops the entry once
        the cache shows the object or its deletion.
        """
        return self._written.get(self._slot(resource, key))

    def is_echo(self, resource: ResourceType, event: InformerEvent) -> bool:
        """True when the event shows exactly this process's own latest write.

        An older revision is never taken for an echo: after a conflict the writer re-read
        and wrote on top of someone else's change, and that change's own event must still
        wake its reconcile. The entry is dropped once the informer reaches the written
        revision, so a later change by anyone else is never mistaken for an echo either.
        """
        slot = self._slot(resource, event.key)
        deleted_at = self._deleted.get(slot)
        if deleted_at is not None and (
            event.type == "DELETED" or revision_of(event.object) >= deleted_at
        ):
            del self._deleted[slot]
        written = self._written.get(slot)
        if written is None:
            return False
        if event.type == "DELETED":
            del self._written[slot]
            return False
        revision = revision_of(event.object)
        if revision >= revision_of(written):
            del self._written[slot]
        return revision == revision_of(written)

    def forget(self, resource: ResourceType, key: ObjectKey) -> None:
        slot = self._slot(resource, key)
        self._written.pop(slot, None)
        self._deleted.pop(slot, None)

    def highest_revision(self, resource: ResourceType) -> int:
        """The newest revision this process wrote for the kind: what a cache must reach
        before its reads include every one of the process's writes."""
        return self._highest.get(resource.group_resource, 0)

    def __len__(self) -> int:
        return len(self._written) + len(self._deleted)
