"""One member cluster's session: its client, its watches, and its own work queue.

Every member has a separate ReconcileRunner (own workers, own per-key backoff) and every
request a timeout, so a member that is slow, failing or gone only delays its own queue.
The session asks the hub side (`Hub`) what a binding should look like here, applies or
removes it, and reports back; it never writes hub objects itself.

What the member holds is read from the session's informers, never fetched per object: an
unchanged object costs no request, a changed or missing one exactly one apply. Work that
needs a cache that has not listed yet is parked and resumes when it has (no polling).

The Work of (binding, member) is written before the first apply there, so the hub always
knows which members may hold a copy; a removal counts as confirmed only once the member's
caches of every kind involved have listed and each of Navarch's objects is deleted. Every
Navarch object a cache lists sends its binding through the queue, so an object whose
binding is gone (an orphan of a crash) is removed like any other.
"""

import logging

from services.override_engine.drift import (
    MemberWatches,
    only_status_changed,
    owner_of,
    owning_binding,
)
from services.override_engine.hub import Hub
from services.override_engine.planning import Plan
from services.override_engine.settings import OverrideEngineSettings
from services.override_engine.syncing import (
    DEPENDENCY_ANNOTATION,
    delete_object,
    drifted,
    ensure_namespace,
    navarch_created,
    resource_for,
    retain_member_fields,
    server_side_apply,
)
from services.override_engine.works import BindingKey, ManifestId, manifests_of
from shared.api.resources import ResourceType
from shared.members.client import MemberClient, MemberError, Object
from shared.runtime.informing import InformerEvent
from shared.runtime.own_writes import OwnWrites
from shared.runtime.reconciling import ReconcileRunner, Requeue

log = logging.getLogger(__name__)


def _kind_order(resource: ResourceType) -> str:
    return resource.group_resource


class MemberSession:
    def __init__(
        self,
        cluster: str,
        client: MemberClient,
        *,
        hub: Hub,
        settings: OverrideEngineSettings,
    ) -> None:
        self.cluster = cluster
        self.client = client
        self._hub = hub
        self._settings = settings
        self._namespaces: set[str] = set()
        self._applied = OwnWrites()
        """This session's applies, by the member's resourceVersions: read back until the
        member's watch shows them, and their echoes recognised."""
        self._parked: set[BindingKey] = set()
        self._removed: set[BindingKey] = set()
        self.applies = 0
        self.deletes = 0
        self.last_error: MemberError | None = None
        self.watches = MemberWatches(
            client,
            cluster=cluster,
            listener=self._member_event,
            on_synced=self._watch_synced,
            on_error=self._watch_failed,
            timeout=settings.request_timeout_s,
            watch_timeout_s=settings.watch_timeout_s,
            retry_s=settings.watch_retry_s,
        )
        self.runner: ReconcileRunner[BindingKey] = ReconcileRunner(
            f"member/{cluster}",
            self.reconcile,
            workers=settings.member_workers,
            max_backoff=settings.member_max_backoff_s,
        )

    def start(self) -> None:
        self.runner.start()
        for resource in sorted(self._hub.propagated_kinds(self.cluster), key=_kind_order):
            self.watches.informer(resource)

    async def stop(self) -> None:
        await self.runner.drain(timeout=2.0)
        await self.watches.stop()
        await self.client.close()

    def enqueue(self, binding: BindingKey) -> None:
        self.runner.enqueue(binding)

    def removal_confirmed(self, binding: BindingKey) -> bool:
        """This member confirmed that nothing of the binding is left on it."""
        return binding in self._removed

    def removal_outdated(self, binding: BindingKey) -> None:
        """The binding (a new one of that name) is live again: an old confirmation is void."""
        self._removed.discard(binding)

    def _resume_parked(self) -> None:
        parked, self._parked = self._parked, set()
        for binding in parked:
            self.runner.enqueue(binding)

    def _watch_synced(self, _resource: ResourceType) -> None:
        self.last_error = None
        self._resume_parked()

    def _watch_failed(self, error: MemberError) -> None:
        """Parked work looks once when the member starts failing (its Work says so); the
        informer's retries do not wake it again until the cache lists."""
        first = self.last_error is None
        self.last_error = error
        if first:
            self._resume_parked()

    def _member_event(self, resource: ResourceType, event: InformerEvent) -> None:
        """A propagated object changed in the member: its binding looks again (drift) unless
        only the member's status changed, and the hub re-aggregates status."""
        self.last_error = None
        own_echo = self._applied.is_echo(resource, event)
        owner = owner_of(event)
        if owner is not None:
            if not only_status_changed(event) and not own_echo:
                self.runner.enqueue(owner)
            self._hub.member_changed(owner)

    def live(self, identity: ManifestId) -> Object | None:
        resource = resource_for(identity.api_version, identity.kind)
        return self.watches.live(resource, identity) if resource is not None else None

    async def reconcile(self, binding: BindingKey) -> Requeue | None:
        plan = self._hub.plan(binding, self.cluster)
        if plan.action == "wait":
            return None
        if plan.action == "remove":
            return await self._remove(binding, plan)
        self._removed.discard(binding)
        if plan.action == "keep":
            self._hub.member_changed(binding)
            return None
        return await self._apply(binding, plan)

    async def _apply(self, binding: BindingKey, plan: Plan) -> Requeue | None:
        if plan.error:
            previous = manifests_of(self._hub.work(binding, self.cluster))
            await self._hub.record(
                binding, self.cluster, manifests=previous, applied=False, message=plan.error
            )
            return None
        problems: list[str] = []
        for manifest in plan.manifests:
            identity = ManifestId.of(manifest)
            resource = resource_for(identity.api_version, identity.kind)
            if resource is None:
                problems.append(f"{identity.api_version}/{identity.kind} is not served")
                continue
            if not self.watches.synced(resource):
                if self.last_error is not None:
                    await self._record_failure(binding, plan, self.last_error)
                self._parked.add(binding)
                return None
            live = self._freshest(resource, identity)
            if live is not None and not navarch_created(live) and not plan.overwrite:
                problems.append(
                    f"{identity.kind} {identity.namespace}/{identity.name} already exists in "
                    "the member and was not created by Navarch (conflictResolution Abort)"
                )
                continue
            desired = retain_member_fields(manifest, live)
            if not drifted(desired, live):
                continue
            if self._hub.work(binding, self.cluster) is None:
                await self._hub.record(
                    binding, self.cluster, manifests=plan.manifests, applied=None, message=""
                )
            try:
                await self._server_side_apply(resource, identity, desired)
            except MemberError as error:
                await self._record_failure(binding, plan, error)
                raise
        await self._hub.record(
            binding,
            self.cluster,
            manifests=plan.manifests,
            applied=not problems,
            message="; ".join(problems) or "Manifest has been successfully applied",
        )
        self._hub.member_changed(binding)
        return None

    def _freshest(self, resource: ResourceType, identity: ManifestId) -> Object | None:
        """The watch cache (any object of that name, Navarch's or not), unless this
        session's own apply answered with a newer copy (the watch event is still on its
        way): no second apply of the same change."""
        cached = self.watches.existing(resource, identity)
        if cached is None:
            return self._applied.unseen(resource, (identity.namespace, identity.name))
        return self._applied.fresher(resource, cached)

    async def _server_side_apply(
        self, resource: ResourceType, identity: ManifestId, desired: Object
    ) -> None:
        if resource.namespaced and identity.namespace not in self._namespaces:
            await ensure_namespace(self.client, identity.namespace)
            self._namespaces.add(identity.namespace)
        try:
            written = await server_side_apply(
                self.client,
                resource=resource,
                manifest=desired,
                field_manager=self._settings.field_manager,
            )
        except MemberError as error:
            if error.status == 404:
                self._namespaces.discard(identity.namespace)
            raise
        if written.get("metadata"):
            self._applied.remember(resource, written)
        self.applies += 1

    async def _record_failure(self, binding: BindingKey, plan: Plan, error: MemberError) -> None:
        await self._hub.record(
            binding,
            self.cluster,
            manifests=plan.manifests,
            applied=False,
            message=f"failed to apply to {self.cluster}: {error}",
        )

    async def _remove(self, binding: BindingKey, plan: Plan) -> Requeue | None:
        """Delete this binding's objects here (only what Navarch created; shared
        dependencies stay while another binding needs them), then its Work; confirmed once
        every kind involved has been listed here, so nothing is missed after a restart."""
        work = self._hub.work(binding, self.cluster)
        wanted: dict[ManifestId, ResourceType] = {}
        for identity in [ManifestId.of(m) for m in manifests_of(work)]:
            resource = resource_for(identity.api_version, identity.kind)
            if resource is not None:
                wanted[identity] = resource
        for resource in {*wanted.values(), *plan.kinds}:
            if not self.watches.synced(resource):
                self._parked.add(binding)
                return None
        for resource, obj in self.watches.owned_by(binding):
            wanted[ManifestId.of(obj)] = resource
        for identity, resource in wanted.items():
            live = self._freshest(resource, identity)
            if live is None or not navarch_created(live):
                continue
            annotations = live["metadata"].get("annotations") or {}
            if annotations.get(DEPENDENCY_ANNOTATION) == "true":
                if self._hub.dependency_shared(self.cluster, identity, besides=binding):
                    continue
            elif owning_binding(live) not in (binding, None):
                continue
            await delete_object(
                self.client, resource=resource, identity=identity, uid=live["metadata"].get("uid")
            )
            self._applied.forget(resource, (identity.namespace, identity.name))
            self.deletes += 1
        if work is not None:
            await self._hub.forget(binding, self.cluster)
        self._removed.add(binding)
        self._hub.member_changed(binding)
        return None
