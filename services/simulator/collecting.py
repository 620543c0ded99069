"""Garbage collection by ownerReferences: dependents go when every owner is gone.

Background deletion is the default; an owner carrying the `foregroundDeletion` finalizer
keeps its deletionTimestamp until its dependents are deleted, one carrying `orphan`
has its dependents' references removed first (the REST layer adds these finalizers
from DeleteOptions.propagationPolicy, B.6).
"""

from services.simulator.caching import SharedInformers
from services.simulator.pacing import Pacer
from services.simulator.resources import DEPENDENT_KINDS, OWNER_KINDS
from services.simulator.writing import delete_quietly, mutate
from shared.api.resources import ResourceType
from shared.runtime.informing import InformerEvent
from shared.runtime.reconciling import ReconcileRunner, Requeue
from shared.store.objects import Object, ObjectStore

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
_SWEEP = "*"


class GarbageCollector:
    def __init__(
        self, store: ObjectStore, informers: SharedInformers, *, cluster: str, pacer: Pacer
    ) -> None:
        self._store = store
        self._informers = informers
        self._pacer = pacer
        self.runner: ReconcileRunner[str] = ReconcileRunner(
            f"sim/{cluster}/garbage-collector", self._reconcile, workers=1
        )
        for resource in OWNER_KINDS.values():
            informers.on(resource, self._on_owner)

    def _on_owner(self, event: InformerEvent) -> None:
        metadata = event.object["metadata"]
        if event.type == "DELETED":
            self.runner.enqueue(metadata["uid"])
        elif metadata.get("deletionTimestamp") and {FOREGROUND, ORPHAN} & set(
            metadata.get("finalizers") or []
        ):
            self.runner.enqueue(metadata["uid"])

    def _live_owners(self) -> dict[str, tuple[ResourceType, Object]]:
        return {
            obj["metadata"]["uid"]: (resource, obj)
            for resource in OWNER_KINDS.values()
            for obj in self._informers.list(resource)
        }

    async def _reconcile(self, uid: str) -> Requeue | None:
        live = self._live_owners()
        owner = live.get(uid)
        finalizers = set((owner[1]["metadata"].get("finalizers") or []) if owner else [])
        orphaning = owner is not None and ORPHAN in finalizers
        remaining = 0
        for resource in DEPENDENT_KINDS:
            candidates = (
                self._informers.list(resource)
                if uid == _SWEEP
                else self._informers.dependents(resource, uid)
            )
            for dependent in candidates:
                await self._pacer.pace()
                references = dependent["metadata"].get("ownerReferences") or []
                uids = {reference.get("uid") for reference in references}
                if not uids or (uid != _SWEEP and uid not in uids):
                    continue
                if orphaning:
                    await self._orphan(resource, dependent, uid)
                elif owner is not None or not (uids & live.keys()):
                    remaining += 1
                    await delete_quietly(
                        self._store,
                        resource,
                        namespace=dependent["metadata"].get("namespace"),
                        name=dependent["metadata"]["name"],
                        uid=dependent["metadata"]["uid"],
                    )
        if owner is None:
            return None
        if remaining:
            return Requeue(after=0.05)
        await self._finish(owner[0], owner[1], finalizers & {FOREGROUND, ORPHAN})
        return None

    async def _orphan(self, resource: ResourceType, dependent: Object, uid: str) -> None:
        def strip(current: Object) -> Object:
            references = current["metadata"].get("ownerReferences") or []
            current["metadata"]["ownerReferences"] = [r for r in references if r.get("uid") != uid]
            return current

        await mutate(
            self._store,
            resource,
            namespace=dependent["metadata"].get("namespace"),
            name=dependent["metadata"]["name"],
            change=strip,
        )

    async def _finish(self, resource: ResourceType, owner: Object, done: set[str]) -> None:
        """Drop the propagation finalizers; the store deletes the owner if none remain."""
        if not done:
            return

        def release(current: Object) -> Object:
            finalizers = current["metadata"].get("finalizers") or []
            current["metadata"]["finalizers"] = [f for f in finalizers if f not in done]
            return current

        await mutate(
            self._store,
            resource,
            namespace=owner["metadata"].get("namespace"),
            name=owner["metadata"]["name"],
            change=release,
        )

    def start(self) -> None:
        """Sweep once: owners deleted while the cluster was stopped leave orphans behind."""
        self.runner.start()
        self.runner.enqueue(_SWEEP)

    async def stop(self) -> None:
        await self.runner.drain(timeout=2.0)
