"""Watching the member's objects of every kind Navarch propagates there: one informer per kind.

Every change to a propagated object (someone scaled it, changed its image, deleted it, or
its controller wrote status) reaches the member's work queue as the binding that owns it,
and the reconcile there decides whether a field Navarch owns has drifted. The caches are
also where status aggregation reads member status from, and, as Karmada's member informers
are, they hold the kind's other objects too: whether a name is free, or taken by an object
Navarch did not create, is known without a GET before every apply.
"""

import logging
from collections.abc import Callable

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

Listener = Callable[[ResourceType, InformerEvent], None]
SyncListener = Callable[[ResourceType], None]


def owning_binding(obj: Object) -> BindingKey | None:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return BindingKey.parse(str(annotations.get(BINDING_ANNOTATION, "")))


def navarchs(obj: Object | None) -> bool:
    """The object carries Navarch's label (Navarch created it)."""
    if obj is None:
        return False
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return labels.get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE


def owner_of(event: InformerEvent) -> BindingKey | None:
    """The binding a change concerns: the owner of Navarch's object before or after it."""
    for obj in (event.object, event.old):
        if navarchs(obj):
            owner = owning_binding(obj)  # type: ignore[arg-type]
            if owner is not None:
                return owner
    return None


_SERVER_FIELDS = ("resourceVersion", "managedFields")


def only_status_changed(event: InformerEvent) -> bool:
    """Only the member's status (or server bookkeeping) changed: nothing Navarch owns."""
    old, new = event.old, event.object
    if event.type != "MODIFIED" or old is None:
        return False
    if any(old.get(k) != new.get(k) for k in (old.keys() | new.keys()) - {"metadata", "status"}):
        return False
    old_meta, new_meta = old.get("metadata") or {}, new.get("metadata") or {}
    return all(
        old_meta.get(k) == new_meta.get(k)
        for k in old_meta.keys() | new_meta.keys()
        if k not in _SERVER_FIELDS
    )


class MemberWatches:
    """One informer per kind Navarch propagates to this member, started on first use."""

    def __init__(
        self,
        member: MemberClient,
        *,
        cluster: str,
        listener: Listener,
        on_synced: SyncListener,
        on_error: Callable[[MemberError], None],
        timeout: float,
        watch_timeout_s: int,
        retry_s: float,
    ) -> None:
        self._member = member
        self._cluster = cluster
        self._listener = listener
        self._on_synced = on_synced
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
                self._member,
                path=collection_path(resource),
                retry_delay=self._retry_s,
                watch_timeout_s=self._watch_timeout_s,
            )
            informer.add_handler(lambda event: self._observe(resource, event))
            informer.on_error(self._on_error)
            informer.on_synced(lambda: self._on_synced(resource))
            self._informers[resource] = informer
            self._tasks.start(informer.run(), name=resource.plural)
        return informer

    def _observe(self, resource: ResourceType, event: InformerEvent) -> None:
        """Keep the binding index (Navarch's objects only) true, then tell the session."""
        entry = (resource, ManifestId.of(event.object))
        for obj in (event.old, event.object):
            owner = owning_binding(obj) if obj is not None else None
            if owner is not None:
                self._by_binding.get(owner, set()).discard(entry)
        owner = owning_binding(event.object) if navarchs(event.object) else None
        if owner is not None and event.type != "DELETED":
            self._by_binding.setdefault(owner, set()).add(entry)
        self._listener(resource, event)

    def synced(self, resource: ResourceType) -> bool:
        return self.informer(resource).synced

    def existing(self, resource: ResourceType, identity: ManifestId) -> Object | None:
        """The cached member object of that name, Navarch's or not (None: absent, or the
        kind's informer not synced yet)."""
        informer = self._informers.get(resource)
        if informer is None:
            return None
        return informer.get(identity.namespace or None, identity.name)

    def live(self, resource: ResourceType, identity: ManifestId) -> Object | None:
        """The cached member object when Navarch created it (None otherwise)."""
        found = self.existing(resource, identity)
        return found if navarchs(found) else None

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
