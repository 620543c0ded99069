"""The hub side as the member sessions see it: decisions in, Works and notifications out.

A member session never writes hub objects itself: it asks `Hub.plan`, applies or removes,
and reports through `Hub.record` / `Hub.forget`. Works are written before the first apply
on a member (`applied=None`), so the hub always knows which members may hold a copy; each
answer then updates the Work's Applied condition and is announced on
`navarch.propagation.applied`. Every write goes through the kit's writer: remembered for
the next read, conflicts re-read and re-applied.
"""

from collections.abc import Callable
from typing import Protocol

import orjson

from services.override_engine.caches import HubCaches
from services.override_engine.planning import Plan, Planner
from services.override_engine.removal import is_deleting
from services.override_engine.syncing import resource_for
from services.override_engine.work_index import WorkIndex
from services.override_engine.works import (
    WORKS_WRITE,
    BindingKey,
    ManifestId,
    Object,
    applied_condition,
    build_work,
    execution_namespace,
    manifests_of,
    next_condition,
    same_work,
    work_name,
)
from shared import subjects
from shared.api.kinds import NAMESPACES, WORKS
from shared.api.resources import ResourceType
from shared.bus import Bus
from shared.runtime.clock import WallClock, format_timestamp
from shared.runtime.writing import Writer
from shared.store.errors import AlreadyExistsError, NotFoundError

Enqueue = Callable[[BindingKey], None]


class Hub(Protocol):
    """What a session needs from the service: decisions and hub writes."""

    def plan(self, binding: BindingKey, cluster: str) -> Plan: ...

    def work(self, binding: BindingKey, cluster: str) -> Object | None: ...

    async def record(
        self,
        binding: BindingKey,
        cluster: str,
        *,
        manifests: list[Object],
        applied: bool | None,
        message: str,
    ) -> None:
        """Write the Work; `applied=None`: about to apply, no answer yet."""
        ...

    async def forget(self, binding: BindingKey, cluster: str) -> None: ...

    def dependency_shared(self, cluster: str, identity: ManifestId, *, besides: BindingKey) -> bool:
        """Another binding still propagating to `cluster` needs this dependency."""
        ...

    def member_changed(self, binding: BindingKey) -> None: ...

    def propagated_kinds(self, cluster: str) -> set[ResourceType]:
        """Kinds Navarch may have put on `cluster`: watched from the session's start, so
        orphans of those kinds are seen even when no binding of theirs is left."""
        ...


def desired_work(
    *,
    binding: BindingKey,
    cluster: str,
    manifests: list[Object],
    applied: bool | None,
    message: str,
    existing: Object | None,
    now: str,
) -> Object:
    """The Work as it should be stored over `existing` (None: a new one); the Applied
    condition's transition time moves only when its status does."""
    condition = None
    if applied is not None:
        condition = next_condition(
            applied_condition(existing), applied=applied, message=message, now=now
        )
    desired = build_work(
        binding=binding,
        cluster=cluster,
        manifests=manifests,
        condition=condition,
        existing=existing,
    )
    desired["metadata"].pop("resourceVersion", None)
    return desired


class EngineHub:
    """`Hub` for the override-engine's member sessions."""

    def __init__(
        self,
        *,
        caches: HubCaches,
        index: WorkIndex,
        planner: Planner,
        writer: Writer,
        bus: Bus,
        clock: WallClock,
        enqueue_binding: Enqueue,
        status_later: Enqueue,
    ) -> None:
        self._caches = caches
        self._index = index
        self._planner = planner
        self._writer = writer
        self._bus = bus
        self._clock = clock
        self._enqueue_binding = enqueue_binding
        self._status_later = status_later
        self._hub_namespaces: set[str] = set()

    def plan(self, binding: BindingKey, cluster: str) -> Plan:
        return self._planner.plan(binding, cluster)

    def work(self, binding: BindingKey, cluster: str) -> Object | None:
        return self._caches.work(binding, cluster)

    async def record(
        self,
        binding: BindingKey,
        cluster: str,
        *,
        manifests: list[Object],
        applied: bool | None,
        message: str,
    ) -> None:
        """Write the Work of (binding, cluster) when its manifests or condition changed;
        `applied=None` records what is about to be applied, before any member answer."""
        now = format_timestamp(self._clock())

        def desired_over(existing: Object | None) -> Object:
            return desired_work(
                binding=binding,
                cluster=cluster,
                manifests=manifests,
                applied=applied,
                message=message,
                existing=existing,
                now=now,
            )

        def change(current: Object) -> Object | None:
            desired = desired_over(current)
            return None if same_work(desired, current) else desired

        existing = self.work(binding, cluster)
        if existing is not None and same_work(desired_over(existing), existing):
            return
        await self._ensure_hub_namespace(execution_namespace(cluster))
        written = None
        if existing is not None:
            written = await self._writer.ensure(WORKS_WRITE, existing, change)
        if written is None:
            try:
                written = await self._writer.create(WORKS_WRITE, desired_over(None))
            except AlreadyExistsError:
                written = await self._writer.update(WORKS_WRITE, desired_over(None))
        self._index.index(binding, cluster, written)
        if applied is None:
            return
        await self._bus.publish(
            subjects.subject(
                subjects.PROPAGATION_APPLIED, cluster, binding.namespace, binding.name
            ),
            orjson.dumps(
                {
                    "cluster": cluster,
                    "binding": binding.reference(),
                    "applied": applied,
                    "message": message,
                }
            ),
        )

    async def forget(self, binding: BindingKey, cluster: str) -> None:
        """Delete the Work of (binding, cluster): nothing of the binding is left there."""
        try:
            await self._writer.delete(
                WORKS, execution_namespace(cluster), work_name(binding), remember_deletion=True
            )
        except NotFoundError:
            pass
        self._index.unindex(binding, cluster)
        self._planner.forget(binding, cluster)
        self._enqueue_binding(binding)

    def dependency_shared(self, cluster: str, identity: ManifestId, *, besides: BindingKey) -> bool:
        return self._index.dependency_shared(cluster, identity, besides=besides)

    def member_changed(self, binding: BindingKey) -> None:
        self._status_later(binding)
        if is_deleting(self._caches.binding(binding)):
            self._enqueue_binding(binding)

    def propagated_kinds(self, cluster: str) -> set[ResourceType]:
        kinds: set[ResourceType] = set()
        for _key, binding in self._caches.all_bindings():
            ref = (binding.get("spec") or {}).get("resource") or {}
            found = resource_for(ref.get("apiVersion", ""), ref.get("kind", ""))
            if found is not None:
                kinds.add(found)
        for work in self._caches.works.list(namespace=execution_namespace(cluster)):
            for manifest in manifests_of(work):
                identity = ManifestId.of(manifest)
                found = resource_for(identity.api_version, identity.kind)
                if found is not None:
                    kinds.add(found)
        return kinds

    async def _ensure_hub_namespace(self, name: str) -> None:
        if name in self._hub_namespaces:
            return
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        try:
            await self._writer.create(NAMESPACES, body)
        except AlreadyExistsError:
            pass
        self._hub_namespaces.add(name)
