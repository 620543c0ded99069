"""Watching what Navarch put into one member: an informer per kind, on Navarch's label only.

Every change to a propagated object (someone scaled it, changed its image, deleted it, or
its controller wrote status) reaches the member's work queue as the binding that owns it,
and the reconcile there decides whether a field Navarch owns has drifted. The caches are
also where status aggregation reads member status from.
"""

import logging
from collections.abc import AsyncIterator, Callable

from services.override_engine.syncing import collection_path
from services.override_engine.works import (
    BINDING_ANNOTATION,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    BindingKey,
    ManifestId,
)
from shared.api.resources import ResourceType
from shared.members.client import MemberClient, MemberError, Object
from shared.members.watching import MemberInformer
from shared.runtime.informing import InformerEvent
from shared.runtime.tasks import OwnedTasks

log = logging.getLogger(__name__)

SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE}"
Listener = Callable[[ResourceType, InformerEvent], None]


class SelectedMember(MemberClient):
    """The member's API with Navarch's label selector on every GET and watch, so informers
    list and watch only the objects Navarch created."""

    def __init__(self, member: MemberClient, *, selector: str, timeout: float) -> None:
        super().__init__(member.api, timeout=timeout)
        self._selector = selector

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: object = None,
        content_type: str = "application/json",
    ) -> Object:
        if method == "GET":
            query = [*(query or []), ("labelSelector", self._selector)]
        return await super().request(
            method, path, query=query, body=body, content_type=content_type
        )

    def watch(
        self,
        path: str,
        *,
        resource_version: str,
        timeout_seconds: int = 300,
        query: list[tuple[str, str]] | None = None,
    ) -> AsyncIterator[Object]:
        return super().watch(
            path,
            resource_version=resource_version,
            timeout_seconds=timeout_seconds,
            query=[*(query or []), ("labelSelector", self._selector)],
        )


def owning_binding(obj: Object) -> BindingKey | None:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return BindingKey.parse(str(annotations.get(BINDING_ANNOTATION, "")))


class MemberWatches:
    """One informer per kind Navarch propagates to this member, started on first use."""

    def __init__(
        self,
        member: MemberClient,
        *,
        cluster: str,
        listener: Listener,
        on_error: Callable[[MemberError], None],
        timeout: float,
        watch_timeout_s: int,
        retry_s: float,
    ) -> None:
        self._view = SelectedMember(member, selector=SELECTOR, timeout=timeout)
        self._cluster = cluster
        self._listener = listener
        self._on_error = on_error
        self._watch_timeout_s = watch_timeout_s
        self._retry_s = retry_s
        self._tasks = OwnedTasks(f"watches/{cluster}")
        self._informers: dict[ResourceType, MemberInformer] = {}
        self._by_binding: dict[BindingKey, set[tuple[ResourceType, ManifestId]]] = {}

    def informer(self, resource: ResourceType) -> MemberInformer:
        """The kind's informer, started now if this is the first object of its kind."""
        informer = self._informers.get(resource)
        if informer is None:
            informer = MemberInformer(
                self._view,
                path=collection_path(resource),
                retry_delay=self._retry_s,
                watch_timeout_s=self._watch_timeout_s,
            )
            informer.add_handler(lambda event: self._observe(resource, event))
            informer.on_error(self._on_error)
            self._informers[resource] = informer
            self._tasks.start(informer.run(), name=resource.plural)
        return informer

    def _observe(self, resource: ResourceType, event: InformerEvent) -> None:
        """Keep the binding index true, then tell the session."""
        entry = (resource, ManifestId.of(event.object))
        for obj in (event.old, event.object):
            owner = owning_binding(obj) if obj is not None else None
            if owner is not None:
                self._by_binding.get(owner, set()).discard(entry)
        owner = owning_binding(event.object)
        if owner is not None and event.type != "DELETED":
            self._by_binding.setdefault(owner, set()).add(entry)
        self._listener(resource, event)

    def synced(self, resource: ResourceType) -> bool:
        return self.informer(resource).synced

    def live(self, resource: ResourceType, identity: ManifestId) -> Object | None:
        """The cached member object (None: absent, or the kind's informer not synced yet)."""
        informer = self._informers.get(resource)
        if informer is None:
            return None
        return informer.get(identity.namespace or None, identity.name)

    def owned_by(self, binding: BindingKey) -> list[tuple[ResourceType, Object]]:
        """Every cached object whose binding annotation names `binding`."""
        found: list[tuple[ResourceType, Object]] = []
        for resource, identity in sorted(
            self._by_binding.get(binding, set()), key=lambda entry: (entry[0].plural, entry[1])
        ):
            obj = self.live(resource, identity)
            if obj is not None:
                found.append((resource, obj))
        return found

    async def stop(self) -> None:
        await self._tasks.stop()
