"""Namespace lifecycle: seeding, admission of content, and Terminating -> empty -> gone.

Deleting a namespace marks it Terminating (deletionTimestamp, `status.phase`), then a
background finalizer deletes every namespaced object in it and, once nothing is left,
removes the namespace. The store holds deletions only by `metadata.finalizers`, so the
namespace carries the `kubernetes` finalizer there while it terminates (Kubernetes keeps
it in `spec.finalizers`, which is kept too). Finalization resumes after a restart.
"""

import asyncio
import copy
import logging
from typing import Any

from shared.api.kind_table import Kind
from shared.kubeapi import statuses
from shared.kubeapi.registry import Registry
from shared.kubeapi.storage import Storage
from shared.runtime.tasks import OwnedTasks
from shared.store.errors import AlreadyExistsError, ConflictError, NotFoundError, StoreError

log = logging.getLogger(__name__)

Object = dict[str, Any]
FINALIZER = "kubernetes"
NAME_LABEL = "kubernetes.io/metadata.name"


class NamespaceLifecycle:
    def __init__(
        self, storage: Storage, registry: Registry, *, tasks: OwnedTasks, retry_s: float
    ) -> None:
        self._storage = storage
        self._registry = registry
        self._tasks = tasks
        self._retry_s = retry_s
        self._finalizing: set[str] = set()

    @property
    def _kind(self) -> Kind:
        kind = self._registry.namespace_kind()
        assert kind is not None, "every server serves namespaces"
        return kind

    @staticmethod
    def default(obj: Object) -> None:
        """What a new namespace gets: the `kubernetes` finalizer, phase Active, its name label."""
        obj.setdefault("spec", {}).setdefault("finalizers", [FINALIZER])
        obj["status"] = {"phase": "Active"}
        name = obj.get("metadata", {}).get("name")
        if name:
            obj["metadata"].setdefault("labels", {})[NAME_LABEL] = name

    async def seed(self, names: tuple[str, ...]) -> None:
        for name in names:
            obj: Object = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
            self.default(obj)
            try:
                await self._storage.create(self._kind.resource, obj)
            except AlreadyExistsError:
                pass

    async def ensure_active(self, namespace: str) -> None:
        """404 for a missing namespace, 403 for one being terminated."""
        try:
            obj = await self._storage.get(self._kind.resource, None, namespace)
        except NotFoundError:
            raise statuses.namespace_not_found(namespace) from None
        if obj["metadata"].get("deletionTimestamp"):
            raise statuses.forbidden(
                f"unable to create new content in namespace {namespace} because it is being "
                "terminated",
                name=namespace,
            )

    async def delete(self, name: str, *, dry_run: bool) -> Object:
        resource = self._kind.resource
        current = await self._storage.get(resource, None, name)
        if dry_run or current["metadata"].get("deletionTimestamp"):
            self._start(name, dry_run=dry_run)
            return current
        held = copy.deepcopy(current)
        finalizers = held["metadata"].setdefault("finalizers", [])
        if FINALIZER not in finalizers:
            finalizers.append(FINALIZER)
        held = await self._storage.update(resource, held)
        held["status"] = {**(held.get("status") or {}), "phase": "Terminating"}
        held = await self._storage.update_status(resource, held)
        result = await self._storage.delete(resource, None, name)
        self._start(name, dry_run=False)
        return result.object

    async def resume(self) -> None:
        """Finish terminating namespaces a previous run left behind."""
        listed = await self._storage.list(self._kind.resource)
        for namespace in listed.items:
            if namespace["metadata"].get("deletionTimestamp"):
                self._start(namespace["metadata"]["name"], dry_run=False)

    def _start(self, name: str, *, dry_run: bool) -> None:
        if dry_run or name in self._finalizing:
            return
        self._finalizing.add(name)
        self._tasks.start(self._finalize(name), name=f"namespace/{name}")

    async def _finalize(self, name: str) -> None:
        """Poll until empty: there is no watch across every kind, and this runs rarely."""
        try:
            while not await self._empty(name):  # noqa: ASYNC110
                await asyncio.sleep(self._retry_s)
            await self._release(name)
        finally:
            self._finalizing.discard(name)

    async def _empty(self, namespace: str) -> bool:
        """Delete what is left in the namespace; True once nothing is."""
        remaining = 0
        for kind in self._registry.namespaced_group_resources():
            try:
                listed = await self._storage.list(kind.resource, namespace=namespace)
            except StoreError as error:
                log.warning(
                    "listing %s in %s failed: %s", kind.resource.group_resource, namespace, error
                )
                remaining += 1
                continue
            for obj in listed.items:
                remaining += 1
                if obj["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    await self._storage.delete(kind.resource, namespace, obj["metadata"]["name"])
                except (NotFoundError, ConflictError):
                    pass
        return remaining == 0

    async def _release(self, name: str) -> None:
        """Drop the finalizers: the store then removes the namespace."""
        resource = self._kind.resource
        while True:
            try:
                current = await self._storage.get(resource, None, name)
            except NotFoundError:
                return
            new = copy.deepcopy(current)
            new["metadata"]["finalizers"] = [
                f for f in current["metadata"].get("finalizers") or [] if f != FINALIZER
            ]
            spec = new.setdefault("spec", {})
            spec["finalizers"] = [f for f in spec.get("finalizers") or [] if f != FINALIZER]
            try:
                await self._storage.update(resource, new)
                return
            except ConflictError:
                continue
