"""Kurator's finalizers on Backup and Restore: added before any work, removed after cleanup."""

from shared.api.resources import ResourceType
from shared.runtime.writing import Writer
from shared.store.objects import Object


class FinalizerSteps:
    def __init__(self, writer: Writer, resource: ResourceType, finalizer: str) -> None:
        self._writer = writer
        self._resource = resource
        self._finalizer = finalizer

    async def ensure(self, raw: Object) -> Object | None:
        """The object carrying the finalizer (written if it lacked it); None once gone."""

        def add(current: Object) -> Object | None:
            finalizers = list(current["metadata"].get("finalizers") or [])
            if self._finalizer in finalizers or current["metadata"].get("deletionTimestamp"):
                return None
            metadata = {**current["metadata"], "finalizers": [*finalizers, self._finalizer]}
            return {**current, "metadata": metadata}

        return await self._writer.ensure(self._resource, raw, add)

    async def remove(self, raw: Object) -> None:
        def drop(current: Object) -> Object | None:
            finalizers = list(current["metadata"].get("finalizers") or [])
            if self._finalizer not in finalizers:
                return None
            kept = [item for item in finalizers if item != self._finalizer]
            return {**current, "metadata": {**current["metadata"], "finalizers": kept}}

        await self._writer.change(self._resource, raw, drop)
