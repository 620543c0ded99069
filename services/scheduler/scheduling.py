"""The scheduler's reconcile: one template key ⇒ claim, binding, placement, failover, status.

The event handlers only index and enqueue; `Scheduler.reconcile` reads the caches (through
the kit, so this service's own writes are seen at once), decides with the pure modules
(`detecting`, `deciding`) and writes only what changed through the kit's writer: the
template's claim, the binding's spec (one update) and its status (one update_status).
A write conflict re-applies the same decision to the stored copy.
"""

import asyncio
import logging
from collections.abc import Callable, Mapping
from functools import partial

import orjson

from services.scheduler.announcements import binding_subject, decision_payload, eviction_payload
from services.scheduler.binding_sync import (
    TemplateKey,
    binding_name,
    released_binding,
    template_meta,
)
from services.scheduler.deciding import (
    BindingDecision,
    BindingTarget,
    SchedulingOptions,
    decide_binding,
    effective_placement,
)
from services.scheduler.detecting import (
    Detector,
    PolicyEntry,
    claimed_template,
    parse_policy,
    unclaimed_template,
)
from services.scheduler.event_handlers import BindingIndex, EventHandlers
from services.scheduler.eviction_events import report_eviction
from services.scheduler.failover import TaintSightings
from services.scheduler.fleet_cache import ClusterCache, FleetCache
from services.scheduler.permanent_ids import NewId, PolicyIds, new_permanent_id
from services.scheduler.resources import (
    CLUSTER_RESOURCE_BINDINGS,
    RESOURCE_BINDINGS,
    ResourceResolver,
)
from services.scheduler.template_kinds import TemplateKinds
from services.scheduler.tuning import ConcurrencyLimit
from shared import subjects
from shared.api.resources import ResourceType
from shared.events.recording import EventRecorder
from shared.runtime.controllers import Controllers
from shared.runtime.informing import Informer
from shared.runtime.reconciling import ReconcileRunner, Requeue
from shared.store.errors import NotFoundError
from shared.store.objects import Object

log = logging.getLogger(__name__)

SLOW_RECONCILE_S = 2.0
UNSYNCED_RETRY_S = 0.05
"""A template kind watched since a moment ago: look again once its informer listed."""


def binding_target(key: TemplateKey, resource: ResourceType) -> BindingTarget:
    """A namespaced template gets a ResourceBinding beside it, a cluster-scoped one a
    ClusterResourceBinding (Karmada's `<name>-<kind>` naming)."""
    if resource.namespaced:
        return BindingTarget(RESOURCE_BINDINGS, binding_name(key.name, key.kind), key.namespace)
    return BindingTarget(CLUSTER_RESOURCE_BINDINGS, binding_name(key.name, key.kind), None)


def binds_template(binding: Object, key: TemplateKey) -> bool:
    """A same-named binding of another kind is not this template's."""
    ref = (binding.get("spec") or {}).get("resource") or {}
    return ref.get("kind") == key.kind and ref.get("apiVersion") == key.api_version


class Scheduler:
    """The per-template reconcile over the indices its event handlers keep."""

    def __init__(
        self,
        *,
        controllers: Controllers,
        binding_informers: Mapping[ResourceType, Informer],
        resolver: ResourceResolver,
        detector: Detector,
        limit: ConcurrencyLimit,
        options: SchedulingOptions,
        policy_ids: PolicyIds,
        workers: int,
        events: EventRecorder | None = None,
        new_id: NewId = new_permanent_id,
    ) -> None:
        self._controllers = controllers
        self._policy_ids = policy_ids
        self._new_id = new_id
        self._writer = controllers.writer
        self._bus = controllers.context.bus
        self._clock = controllers.clock
        self._binding_informers = dict(binding_informers)
        self._limit = limit
        self._options = options
        self._events = events
        self.detector = detector
        self.clusters = ClusterCache()
        self.fleets = FleetCache()
        self.bindings = BindingIndex()
        self.sightings = TaintSightings(controllers.clock)
        self.kinds = TemplateKinds(
            resolver=resolver,
            declare=controllers.informer,
            on_template=lambda resource, event: self.handlers.on_template(resource, event),
        )
        self.handlers = EventHandlers(
            detector=detector,
            kinds=self.kinds,
            clusters=self.clusters,
            fleets=self.fleets,
            bindings=self.bindings,
            sightings=self.sightings,
            own_writes=controllers.own_writes,
            resolver=resolver,
            enqueue=self.enqueue,
        )
        self.runner: ReconcileRunner[TemplateKey] = controllers.reconciler(
            "scheduler", self.reconcile, workers=workers
        )
        self._outstanding: set[TemplateKey] = set()
        self._active = 0

    @property
    def parallelism(self) -> int:
        """How many templates are reconciled at once right now."""
        return self._limit.limit

    @property
    def settled(self) -> bool:
        """No event-triggered work left (timed rechecks of tolerations and tasks aside)."""
        return not self._outstanding and self._active == 0

    def enqueue(self, key: TemplateKey) -> None:
        self._outstanding.add(key)
        self.runner.enqueue(key)

    async def reconcile(self, key: TemplateKey) -> Requeue | None:
        self._outstanding.discard(key)
        self._active += 1
        try:
            async with self._limit:
                loop = asyncio.get_running_loop()
                started = loop.time()
                try:
                    return await self._reconcile(key)
                finally:
                    elapsed = loop.time() - started
                    if elapsed > SLOW_RECONCILE_S:
                        log.warning("slow reconcile of %s: %.1fs", key, elapsed)
        finally:
            self._active -= 1

    async def _reconcile(self, key: TemplateKey) -> Requeue | None:
        resource = self.kinds.resolve(key.api_version, key.kind)
        if resource is None:
            self.kinds.pending.add((key.api_version, key.kind))
            return None
        informer = self.kinds.watch(resource)
        if not informer.synced:
            return Requeue(after=UNSYNCED_RETRY_S)
        target = binding_target(key, resource)
        existing = self._existing_binding(target, key)
        template = self._controllers.fresh(informer, target.namespace, key.name)
        if template is None or template["metadata"].get("deletionTimestamp"):
            await self._delete_binding(target, existing)
            return None
        resolution = self.detector.resolve(key, template_meta(template))
        if resolution.hold:
            self.detector.settled(key)
            return None  # Karmada leaves it until the claimed policy changes or goes
        entry = resolution.entry
        if resolution.release or entry is None:
            template = await self._writer.ensure(resource, template, unclaimed_template)
            existing = await self._release_binding(target, existing)
            if template is None:
                return None  # the template is gone; its deletion wakes this key again
        self.detector.settled(key)
        if entry is None:
            return None  # the binding stays as it is, with its Works: nothing reschedules it
        if not entry.permanent_id:
            entry = await self._with_permanent_id(entry)
            if entry is None:
                return None  # the policy is gone; its deletion wakes this key again
        claimed = await self._writer.ensure(
            resource, template, partial(claimed_template, policy=entry.policy)
        )
        if claimed is None:
            return None  # the template is gone; its deletion wakes this key again
        return await self._sync_binding(
            key=key, template=claimed, entry=entry, target=target, existing=existing
        )

    async def _with_permanent_id(self, entry: PolicyEntry) -> PolicyEntry | None:
        """Karmada's `getPropagationPolicyID`: the policy gets its id before it claims."""
        metadata = entry.policy.metadata
        stored = await self._policy_ids.ensure(
            entry.source, metadata.namespace or "", metadata.name
        )
        return parse_policy(entry.source, stored) if stored is not None else None

    async def _release_binding(
        self, target: BindingTarget, existing: Object | None
    ) -> Object | None:
        """The binding without the claim marks; it, its result and its Works stay."""
        if existing is None:
            return None
        return await self._writer.ensure(target.resource, existing, released_binding)

    def _existing_binding(self, target: BindingTarget, key: TemplateKey) -> Object | None:
        """The template's binding: cached, or this service's newer or not yet seen write."""
        informer = self._binding_informers[target.resource]
        binding = self._controllers.fresh(informer, target.namespace, target.name)
        if binding is None:
            binding = self._controllers.own_writes.unseen(
                target.resource, (target.namespace or "", target.name)
            )
        if binding is None or not binds_template(binding, key):
            return None
        return binding

    async def _sync_binding(
        self,
        *,
        key: TemplateKey,
        template: Object,
        entry: PolicyEntry,
        target: BindingTarget,
        existing: Object | None,
    ) -> Requeue | None:
        fleet = self.fleets.placement_fleet(key.namespace) if key.namespace else None
        decide = partial(
            decide_binding,
            key=key,
            template=template,
            entry=entry,
            placement=effective_placement(key, entry, fleet),
            target=target,
            clusters=self.clusters.by_name,
            schedulable=self.clusters.schedulable,
            added_at=self.sightings.added_at,
            now=self._clock(),
            options=self._options,
            permanent_id=self._new_id(),
        )
        written, decision = await self._write(target, existing, decide)
        if written is None or decision is None:
            return None  # the binding vanished meanwhile; its deletion wakes this key again
        self.bindings.index(key, written)
        if decision.evicted:
            await self._publish_evictions(written, decision)
        if decision.decision_changed:
            payload = decision_payload(
                written,
                old_spec=decision.old_spec,
                trigger=decision.trigger,
                result=decision.result,
            )
            await self._bus.publish(
                binding_subject(subjects.BINDING_SCHEDULED, written), orjson.dumps(payload)
            )
        if decision.recheck_after is None:
            return None
        return Requeue(after=decision.recheck_after)

    async def _write(
        self,
        target: BindingTarget,
        existing: Object | None,
        decide: Callable[..., BindingDecision],
    ) -> tuple[Object | None, BindingDecision | None]:
        """Create, or update spec then status, each only when it differs from the store.

        Updates start from the cached `existing` (informer or own last write), so no write
        reads first; on a conflict the writer re-reads and the decision is made again on
        the stored copy."""
        if existing is None:
            decision = decide(existing=None)
            return await self._writer.create(target.resource, decision.created()), decision
        decisions: list[BindingDecision] = []

        def with_decision(stored: Object) -> Object | None:
            decisions.append(decide(existing=stored))
            return decisions[-1].body() if decisions[-1].spec_differs(stored) else None

        written = await self._writer.ensure(target.resource, existing, with_decision)
        if written is None:
            return None, None
        decision = decisions[-1]
        generation = written["metadata"].get("generation")

        def with_status(stored: Object) -> Object | None:
            """A newer generation is someone else's change: the reconcile it woke reports."""
            if stored["metadata"].get("generation") != generation:
                return None
            return decision.with_status(stored)

        written = await self._writer.ensure(target.resource, written, with_status, status=True)
        return written, decision

    async def _delete_binding(self, target: BindingTarget, existing: Object | None) -> None:
        if existing is None:
            return
        metadata = existing["metadata"]
        namespace, name = metadata.get("namespace"), metadata["name"]
        try:
            await self._writer.delete(target.resource, namespace, name, uid=metadata.get("uid"))
        except NotFoundError:
            log.debug("binding %s/%s was already gone", namespace or "", name)

    async def _publish_evictions(self, binding: Object, decision: BindingDecision) -> None:
        for cluster in decision.evicted:
            old_spec = decision.old_spec
            replicas = old_spec.assigned_replicas_for(cluster) if old_spec else 0
            report_eviction(self._events, binding=binding, cluster=cluster, replicas=replicas)
            payload = eviction_payload(binding, cluster=cluster, replicas=replicas)
            await self._bus.publish(
                binding_subject(subjects.BINDING_EVICTED, binding), orjson.dumps(payload)
            )
