"""CustomResourceDefinitions: served kinds follow the stored CRDs.

At start every stored CRD is registered; a watch then follows CRDs written through other
gateway replicas. Writes through this server register at once, so a client can create
custom objects right after its CRD. Deleting a CRD unregisters it and deletes its objects.
"""

import asyncio
import copy
import logging
from typing import Any

from shared.api.crd_kinds import InvalidCrdError
from shared.api.kind_table import CRD_GROUP_RESOURCE, Kind
from shared.kubeapi.registry import Registry
from shared.kubeapi.storage import Storage
from shared.runtime.tasks import OwnedTasks
from shared.store.errors import ConflictError, ExpiredError, NotFoundError, StoreError
from shared.store.objects import utc_timestamp

log = logging.getLogger(__name__)

Object = dict[str, Any]
RETRY_S = 1.0


class CrdSync:
    def __init__(self, storage: Storage, registry: Registry, *, tasks: OwnedTasks) -> None:
        self._storage = storage
        self._registry = registry
        self._tasks = tasks

    @property
    def _crd_kind(self) -> Kind | None:
        return self._registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")

    async def start(self) -> None:
        kind = self._crd_kind
        if kind is None:
            return
        revision = await self._load(kind)
        self._tasks.start(self._follow(kind, revision), name="crds/watch")

    async def _load(self, kind: Kind) -> int:
        listed = await self._storage.list(kind.resource)
        for crd in listed.items:
            self.changed(crd)
        return listed.revision

    async def _follow(self, kind: Kind, revision: int) -> None:
        while True:
            try:
                async for event in self._storage.watch(kind.resource, after_revision=revision):
                    revision = event.revision
                    if event.type == "DELETED":
                        self._registry.unregister_crd(event.object["metadata"]["name"])
                    else:
                        self.changed(event.object)
            except ExpiredError:
                revision = await self._load(kind)
            except StoreError as error:
                log.warning("CRD watch failed, retrying: %s", error)
                await asyncio.sleep(RETRY_S)

    def changed(self, crd: Object) -> None:
        """Serve what the CRD now declares (nothing, once it is being deleted)."""
        name = crd["metadata"]["name"]
        if crd["metadata"].get("deletionTimestamp"):
            self._registry.unregister_crd(name)
            return
        try:
            self._registry.register_crd(crd)
        except InvalidCrdError as error:
            log.warning("CRD %s cannot be served: %s", name, error)

    async def established(self, crd: Object) -> Object:
        """Register a new CRD and report it Established, as kubectl wait expects."""
        self.changed(crd)
        names = (crd.get("spec") or {}).get("names") or {}
        now = utc_timestamp()
        conditions = [
            {
                "type": condition,
                "status": "True",
                "lastTransitionTime": now,
                "reason": reason,
                "message": message,
            }
            for condition, reason, message in (
                ("NamesAccepted", "NoConflicts", "no conflicts found"),
                ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
            )
        ]
        versions = [
            v.get("name") for v in (crd.get("spec") or {}).get("versions") or [] if v.get("storage")
        ]
        updated = copy.deepcopy(crd)
        updated["status"] = {
            "acceptedNames": names,
            "conditions": conditions,
            "storedVersions": versions,
        }
        try:
            return await self._storage.update_status(self._crd_resource(), updated)
        except (ConflictError, NotFoundError):
            return crd

    def _crd_resource(self) -> Any:
        kind = self._crd_kind
        assert kind is not None
        return kind.resource

    def removed(self, crd: Object) -> None:
        """Unregister a deleted CRD and delete its objects in the background."""
        name = crd["metadata"]["name"]
        kinds = [k for k in self._registry.kinds() if f"{k.plural}.{k.group}" == name]
        self._registry.unregister_crd(name)
        if kinds:
            self._tasks.start(self._delete_objects(kinds[0]), name=f"crds/cleanup/{name}")

    async def _delete_objects(self, kind: Kind) -> None:
        listed = await self._storage.list(kind.resource)
        for obj in listed.items:
            metadata = obj["metadata"]
            try:
                await self._storage.delete(
                    kind.resource, metadata.get("namespace"), metadata["name"]
                )
            except (NotFoundError, ConflictError):
                pass


__all__ = ["CRD_GROUP_RESOURCE", "CrdSync"]
