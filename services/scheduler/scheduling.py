"""The scheduler's reconcile: one template key ⇒ claim, binding, placement, failover, status.

Informer handlers only index and enqueue; `Scheduler.reconcile` reads the caches, decides
with the pure modules (`binding_sync`, `failover`, `placing`) and writes only what changed:
the template's claim, the binding's spec (one update) and its status (one update_status).
"""

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pydantic import ValidationError

from services.scheduler.binding_sync import (
    APPLIED_PLACEMENT_ANNOTATION,
    TemplateKey,
    binding_metadata,
    binding_name,
    detector_spec,
    has_claim,
    is_scheduled,
    placement_json,
    same_targets,
    schedule_trigger,
    scheduled_status,
    targets_of,
    template_meta,
    with_permanent_id,
    without_claim,
)
from services.scheduler.eviction_events import report_eviction
from services.scheduler.failover import (
    evict_cluster,
    format_time,
    parse_time,
    plan_evictions,
    settle_tasks,
)
from services.scheduler.resources import (
    APPS_DISTRIBUTION_POLICIES,
    CLUSTER_PROPAGATION_POLICIES,
    CLUSTER_RESOURCE_BINDINGS,
    CLUSTERS,
    CUSTOM_RESOURCE_DEFINITIONS,
    DISTRIBUTION_POLICIES,
    FLEETS,
    PROPAGATION_POLICIES,
    RESOURCE_BINDINGS,
    CrdAware,
    ResourceResolver,
)
from services.scheduler.tuning import ConcurrencyLimit
from shared import subjects
from shared.api.binding import (
    BINDING_API_VERSION,
    ObjectReference,
    ResourceBinding,
    ResourceBindingSpec,
    ResourceBindingStatus,
)
from shared.api.cluster import Cluster
from shared.api.meta import ObjectMeta, Taint
from shared.api.propagation import (
    ClusterPropagationPolicy,
    DistributionPolicy,
    Placement,
    PlacementExtras,
    PropagationPolicy,
    default_propagation_spec,
    distribution_to_propagation,
)
from shared.api.resources import ResourceType
from shared.bus import Bus
from shared.events.recording import EventRecorder
from shared.placement.estimating import ResourceTemplate, interpret_replicas
from shared.placement.matching import (
    SKIPPED_GROUPS,
    AnyPolicy,
    claim_metadata,
    claimed_by,
    select_policy,
)
from shared.placement.placing import PlacementResult, place_binding
from shared.placement.policies import fleet_placement
from shared.runtime.informing import Informer, InformerEvent
from shared.runtime.reconciling import ReconcileRunner, Requeue
from shared.store.errors import NotFoundError
from shared.store.objects import Object, ObjectStore

log = logging.getLogger(__name__)

CLUSTER_SCOPE_TOKEN = "_cluster"
"""Namespace token of cluster-scoped bindings in `navarch.binding.*` subjects."""
RECHECK_MARGIN_S = 0.01
SLOW_RECONCILE_S = 2.0
UNSYNCED_RETRY_S = 0.05
ClaimKey = tuple[str, str | None, str]
PolicySource = ResourceType


@dataclass(frozen=True)
class PolicyEntry:
    """A policy as the webhook would have defaulted it, with its Kurator extras."""

    policy: AnyPolicy
    extras: PlacementExtras
    placement: Placement

    def selected_kinds(self) -> set[tuple[str, str]]:
        return {(s.api_version, s.kind) for s in self.policy.spec.resource_selectors}

    def claim(self) -> ClaimKey:
        metadata = self.policy.metadata
        if isinstance(self.policy, PropagationPolicy):
            return ("PropagationPolicy", metadata.namespace or "", metadata.name)
        return ("ClusterPropagationPolicy", None, metadata.name)


def parse_policy(source: PolicySource, obj: Object) -> PolicyEntry:
    """PP, CPP or DistributionPolicy ⇒ a defaulted Karmada policy plus extras."""
    extras = PlacementExtras()
    policy: AnyPolicy
    if source is CLUSTER_PROPAGATION_POLICIES:
        policy = ClusterPropagationPolicy.model_validate(obj)
        policy.spec = default_propagation_spec(policy.spec, namespace=None)
    else:
        if source is PROPAGATION_POLICIES:
            policy = PropagationPolicy.model_validate(obj)
        else:
            policy, extras = distribution_to_propagation(DistributionPolicy.model_validate(obj))
        policy.spec = default_propagation_spec(policy.spec, namespace=policy.metadata.namespace)
    return PolicyEntry(with_permanent_id(policy), extras, policy.spec.placement)


def _fingerprint(obj: Object) -> bytes:
    """The parts of a Cluster that can change a placement (not heartbeats)."""
    status = obj.get("status") or {}
    return orjson.dumps(
        {
            "labels": obj["metadata"].get("labels"),
            "deleting": bool(obj["metadata"].get("deletionTimestamp")),
            "spec": obj.get("spec"),
            "conditions": [
                (c.get("type"), c.get("status")) for c in status.get("conditions") or []
            ],
            "apis": status.get("apiEnablements"),
            "resources": status.get("resourceSummary"),
        },
        option=orjson.OPT_SORT_KEYS,
    )


def _without_status(obj: Object | None) -> Object | None:
    if obj is None:
        return None
    metadata = {
        k: v for k, v in obj["metadata"].items() if k not in ("resourceVersion", "managedFields")
    }
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": metadata}


def _revision(obj: Object | None) -> int:
    if obj is None:
        return -1
    return int(obj["metadata"].get("resourceVersion") or 0)


class Scheduler:
    """Caches of policies, clusters, fleets, templates and bindings; the per-template reconcile."""

    def __init__(
        self,
        *,
        store: ObjectStore,
        bus: Bus,
        informer_factory: Callable[[ResourceType], Informer],
        resolver: ResourceResolver,
        limit: ConcurrencyLimit,
        clock: Callable[[], datetime],
        workers: int,
        default_toleration_seconds: float,
        graceful_eviction_timeout_seconds: float,
        enable_preemption: bool,
        skipped_namespaces: list[str],
        empty_workload_propagation: bool,
        events: EventRecorder | None = None,
    ) -> None:
        self._store = store
        self._events = events
        self._bus = bus
        self._informer = informer_factory
        self._resolver = resolver
        self._limit = limit
        self._clock = clock
        self._default_toleration = default_toleration_seconds
        self._eviction_timeout = graceful_eviction_timeout_seconds
        self._preemption = enable_preemption
        self._skipped_namespaces = skipped_namespaces
        self._empty_workload_propagation = empty_workload_propagation
        self.runner: ReconcileRunner[TemplateKey] = ReconcileRunner(
            "scheduler", self.reconcile, workers=workers
        )
        self._templates: dict[ResourceType, Informer] = {}
        self._pending_kinds: set[tuple[str, str]] = set()
        self._sources: dict[PolicySource, dict[tuple[str, str], PolicyEntry]] = {
            source: {}
            for source in (
                PROPAGATION_POLICIES,
                DISTRIBUTION_POLICIES,
                APPS_DISTRIBUTION_POLICIES,
                CLUSTER_PROPAGATION_POLICIES,
            )
        }
        self._namespaced: dict[str, dict[str, PolicyEntry]] = {}
        self._clusters: dict[str, Cluster] = {}
        self._cluster_list: list[Cluster] = []
        self._prints: dict[str, bytes] = {}
        self._taint_seen: dict[tuple[str, str, str], datetime] = {}
        self._fleets: dict[str, dict[str, Object]] = {}
        self._claims: dict[ClaimKey, set[TemplateKey]] = {}
        self._bound: dict[TemplateKey, set[str]] = {}
        self._by_cluster: dict[str, set[TemplateKey]] = {}
        self._sensitive: set[TemplateKey] = set()
        self._written: dict[tuple[str, str, str], Object] = {}
        self._binding_informers: dict[ResourceType, Informer] = {}
        self._outstanding: set[TemplateKey] = set()
        self._active = 0

    async def start(self) -> list[Informer]:
        """Start every informer, wait for their first lists, then the workers."""
        static: list[Informer] = []

        def watch(resource: ResourceType, handler: Callable[[InformerEvent], None]) -> Informer:
            informer = self._informer(resource)
            informer.add_handler(handler)
            static.append(informer)
            return informer

        crds = self._informer(CUSTOM_RESOURCE_DEFINITIONS)
        if isinstance(self._resolver, CrdAware):
            crds.add_handler(self._resolver.observe_crd)
        crds.add_handler(lambda _event: self.on_crd())
        static.append(crds)
        watch(CLUSTERS, self.on_cluster)
        watch(FLEETS, self.on_fleet)
        for source in self._sources:
            watch(source, lambda event, source=source: self.on_policy(source, event))
        self._binding_informers = {
            binding_type: watch(
                binding_type, lambda event, kind=binding_type: self.on_binding(kind, event)
            )
            for binding_type in (RESOURCE_BINDINGS, CLUSTER_RESOURCE_BINDINGS)
        }
        for informer in static:
            await informer.wait_synced()
        self.runner.start()
        return static

    async def stop(self) -> None:
        await self.runner.drain()

    @property
    def parallelism(self) -> int:
        """How many templates are reconciled at once right now."""
        return self._limit.limit

    # --- handlers: index and enqueue, never wait -------------------------------------------

    def on_policy(self, source: PolicySource, event: InformerEvent) -> None:
        namespace, name = event.key
        entries = self._sources[source]
        old = entries.pop((namespace, name), None)
        new: PolicyEntry | None = None
        if event.type != "DELETED":
            try:
                new = parse_policy(source, event.object)
            except ValidationError as error:
                log.warning("ignoring invalid %s %s/%s: %s", source.kind, namespace, name, error)
            if new is not None:
                entries[(namespace, name)] = new
        if source is not CLUSTER_PROPAGATION_POLICIES:
            self._index_namespace(namespace)
        kinds: set[tuple[str, str]] = set()
        for entry in (old, new):
            if entry is not None:
                kinds |= entry.selected_kinds()
                for key in list(self._claims.get(entry.claim(), ())):
                    self._enqueue(key)
        for api_version, kind in kinds:
            self.want_kind(api_version, kind)
            resource = self._resolver.resolve(api_version, kind)
            informer = self._templates.get(resource) if resource else None
            if resource is None or informer is None:
                continue
            scoped = resource.namespaced and source is not CLUSTER_PROPAGATION_POLICIES
            for obj in informer.list(namespace=namespace if scoped else None):
                self._enqueue(self._template_key(resource, obj))

    def _index_namespace(self, namespace: str) -> None:
        """PP beats a same-named DistributionPolicy: both claim through PP annotations."""
        merged: dict[str, PolicyEntry] = {}
        for source in (APPS_DISTRIBUTION_POLICIES, DISTRIBUTION_POLICIES, PROPAGATION_POLICIES):
            for (ns, name), entry in self._sources[source].items():
                if ns == namespace:
                    merged[name] = entry
        self._namespaced[namespace] = merged

    def on_cluster(self, event: InformerEvent) -> None:
        name = event.key[1]
        if event.type == "DELETED":
            self._clusters.pop(name, None)
            fingerprint = None
        else:
            try:
                self._clusters[name] = Cluster.model_validate(event.object)
            except ValidationError as error:
                log.warning("ignoring invalid Cluster %s: %s", name, error)
                return
            fingerprint = _fingerprint(event.object)
        if fingerprint is not None and self._prints.get(name) == fingerprint:
            return
        if fingerprint is None:
            self._prints.pop(name, None)
        else:
            self._prints[name] = fingerprint
        self._cluster_list = sorted(
            (c for c in self._clusters.values() if not c.metadata.deletion_timestamp),
            key=lambda c: c.name,
        )
        cluster = self._clusters.get(name)
        present = {(t.key, t.effect) for t in cluster.spec.taints} if cluster else set()
        for seen in [s for s in self._taint_seen if s[0] == name and (s[1], s[2]) not in present]:
            del self._taint_seen[seen]
        for key in list(self._by_cluster.get(name, ())):
            self._enqueue(key)
        for key in list(self._sensitive):
            self._enqueue(key)

    def on_fleet(self, event: InformerEvent) -> None:
        namespace, name = event.key
        fleets = self._fleets.setdefault(namespace, {})
        if event.type == "DELETED":
            fleets.pop(name, None)
        else:
            fleets[name] = event.object
        for resource, informer in self._templates.items():
            if resource.namespaced:
                for obj in informer.list(namespace=namespace):
                    self._enqueue(self._template_key(resource, obj))

    def on_template(self, resource: ResourceType, event: InformerEvent) -> None:
        key = self._template_key(resource, event.object)
        for obj, add in ((event.old, False), (event.object, event.type != "DELETED")):
            claim = claimed_by(template_meta(obj)) if obj is not None else None
            if claim is None:
                continue
            keys = self._claims.setdefault(claim, set())
            if add:
                keys.add(key)
            else:
                keys.discard(key)
        own = self._forget_written(resource, event)
        if event.type == "MODIFIED" and (
            own or _without_status(event.old) == _without_status(event.object)
        ):
            return
        self._enqueue(key)

    def on_binding(self, resource: ResourceType, event: InformerEvent) -> None:
        obj = event.object
        spec = obj.get("spec") or {}
        ref = spec.get("resource") or {}
        if not ref.get("name") or not ref.get("kind"):
            return
        key = TemplateKey(
            ref.get("apiVersion", ""), ref["kind"], ref.get("namespace") or "", ref["name"]
        )
        newest = self._fresh(resource, obj)
        own = self._forget_written(resource, event)
        self._index_binding(key, None if event.type == "DELETED" else newest)
        self.want_kind(key.api_version, key.kind)
        status = obj.get("status") or {}
        if event.type != "DELETED" and own:
            return
        if (
            event.type != "MODIFIED"
            or spec.get("gracefulEvictionTasks")
            or obj["metadata"].get("generation") != status.get("schedulerObservedGeneration")
        ):
            self._enqueue(key)

    def on_crd(self) -> None:
        """A new CRD may resolve kinds that policies selected before it existed."""
        for api_version, kind in list(self._pending_kinds):
            self.want_kind(api_version, kind)

    def _index_binding(self, key: TemplateKey, obj: Object | None) -> None:
        for cluster in self._bound.pop(key, set()):
            self._by_cluster.get(cluster, set()).discard(key)
        self._sensitive.discard(key)
        if obj is None:
            return
        spec = obj.get("spec") or {}
        names = {t["name"] for t in spec.get("clusters") or []}
        names |= {t["fromCluster"] for t in spec.get("gracefulEvictionTasks") or []}
        self._bound[key] = names
        for cluster in names:
            self._by_cluster.setdefault(cluster, set()).add(key)
        conditions = (obj.get("status") or {}).get("conditions") or []
        scheduled = any(
            c.get("type") == "Scheduled" and c.get("status") == "True" for c in conditions
        )
        placement = spec.get("placement") or {}
        duplicated = (placement.get("replicaScheduling") or {}).get(
            "replicaSchedulingType", "Divided"
        ) == "Duplicated" or "replicaScheduling" not in placement
        workload = bool(spec.get("replicas")) or bool(spec.get("replicaRequirements"))
        if duplicated or not workload or not scheduled:
            self._sensitive.add(key)

    # --- template kinds -------------------------------------------------------------------

    def want_kind(self, api_version: str, kind: str) -> None:
        """Watch the templates of a kind a policy selects (once its collection is known)."""
        group = api_version.split("/")[0] if "/" in api_version else ""
        if group in SKIPPED_GROUPS:
            return
        resource = self._resolver.resolve(api_version, kind)
        if resource is None:
            self._pending_kinds.add((api_version, kind))
            return
        self._pending_kinds.discard((api_version, kind))
        self._watch(resource)

    def _watch(self, resource: ResourceType) -> Informer:
        informer = self._templates.get(resource)
        if informer is None:
            informer = self._informer(resource)
            informer.add_handler(lambda event: self.on_template(resource, event))
            self._templates[resource] = informer
        return informer

    @staticmethod
    def _template_key(resource: ResourceType, obj: Object) -> TemplateKey:
        metadata = obj["metadata"]
        return TemplateKey(
            resource.api_version, resource.kind, metadata.get("namespace") or "", metadata["name"]
        )

    # --- read-your-writes -----------------------------------------------------------------

    def _forget_written(self, resource: ResourceType, event: InformerEvent) -> bool:
        """True when the event echoes this process's own latest write (or an older one)."""
        slot = (resource.group_resource, *event.key)
        written = self._written.get(slot)
        if written is None:
            return False
        own = event.type != "DELETED" and _revision(event.object) <= _revision(written)
        if event.type == "DELETED" or _revision(event.object) >= _revision(written):
            del self._written[slot]
        return own

    def _fresh(self, resource: ResourceType, cached: Object | None) -> Object | None:
        """The newer of the informer's copy and what this process wrote last."""
        if cached is None:
            return None
        written = self._written.get((resource.group_resource, *self._slot(cached)))
        return written if _revision(written) > _revision(cached) else cached

    @staticmethod
    def _slot(obj: Object) -> tuple[str, str]:
        return obj["metadata"].get("namespace") or "", obj["metadata"]["name"]

    def _remember(self, resource: ResourceType, obj: Object) -> Object:
        """Read-your-writes: later reconciles and the cluster index see this write at once,
        even while the informer still lags behind it."""
        self._written[(resource.group_resource, *self._slot(obj))] = obj
        if resource in (RESOURCE_BINDINGS, CLUSTER_RESOURCE_BINDINGS):
            ref = obj["spec"]["resource"]
            key = TemplateKey(
                ref["apiVersion"], ref["kind"], ref.get("namespace") or "", ref["name"]
            )
            self._index_binding(key, obj)
        return obj

    # --- the reconcile --------------------------------------------------------------------

    def _enqueue(self, key: TemplateKey) -> None:
        self._outstanding.add(key)
        self.runner.enqueue(key)

    @property
    def settled(self) -> bool:
        """No event-triggered work left (timed rechecks of tolerations and tasks aside)."""
        return not self._outstanding and self._active == 0

    async def reconcile(self, key: TemplateKey) -> Requeue | None:
        self._outstanding.discard(key)
        self._active += 1
        try:
            async with self._limit:
                started = time.monotonic()
                try:
                    return await self._reconcile(key)
                finally:
                    elapsed = time.monotonic() - started
                    if elapsed > SLOW_RECONCILE_S:
                        log.warning("slow reconcile of %s: %.1fs", key, elapsed)
        finally:
            self._active -= 1

    async def _reconcile(self, key: TemplateKey) -> Requeue | None:
        resource = self._resolver.resolve(key.api_version, key.kind)
        if resource is None:
            self._pending_kinds.add((key.api_version, key.kind))
            return None
        informer = self._watch(resource)
        if not informer.synced:
            return Requeue(after=UNSYNCED_RETRY_S)
        namespace = key.namespace if resource.namespaced else None
        binding_type = RESOURCE_BINDINGS if resource.namespaced else CLUSTER_RESOURCE_BINDINGS
        name = binding_name(key.name, key.kind)
        existing = self._existing_binding(binding_type, namespace, name, key)
        template = self._fresh(resource, informer.get(namespace, key.name))
        if template is None or template["metadata"].get("deletionTimestamp"):
            await self._delete_binding(binding_type, existing)
            return None
        entry = self._select(key, template_meta(template))
        if entry is None:
            if has_claim(template["metadata"]):
                unclaimed = {**template, "metadata": without_claim(template["metadata"])}
                written = await self._store.update(resource, unclaimed, current=template)
                self._remember(resource, written)
            await self._delete_binding(binding_type, existing)
            return None
        template = await self._claim(resource, template, entry)
        return await self._sync_binding(
            key=key,
            template=template,
            entry=entry,
            binding_type=binding_type,
            name=name,
            existing=existing,
        )

    def _existing_binding(
        self, binding_type: ResourceType, namespace: str | None, name: str, key: TemplateKey
    ) -> Object | None:
        """The binding of this template (a same-named binding of another kind is not ours)."""
        informer = self._binding_informers[binding_type]
        binding = self._fresh(binding_type, informer.get(namespace, name))
        if binding is None:
            written = self._written.get((binding_type.group_resource, namespace or "", name))
            binding = written
        if binding is None:
            return None
        ref = (binding.get("spec") or {}).get("resource") or {}
        if ref.get("kind") != key.kind or ref.get("apiVersion") != key.api_version:
            return None
        return binding

    def _select(self, key: TemplateKey, meta: ObjectMeta) -> PolicyEntry | None:
        namespaced = self._namespaced.get(key.namespace, {}) if key.namespace else {}
        clustered = self._sources[CLUSTER_PROPAGATION_POLICIES]
        policy = select_policy(
            api_version=key.api_version,
            kind=key.kind,
            meta=meta,
            propagation_policies=[e.policy for e in namespaced.values()],  # type: ignore[misc]
            cluster_propagation_policies=[e.policy for e in clustered.values()],  # type: ignore[misc]
            enable_preemption=self._preemption,
            skipped_namespaces=self._skipped_namespaces,
        )
        if policy is None:
            return None
        if isinstance(policy, PropagationPolicy):
            return namespaced.get(policy.metadata.name)
        return clustered.get(("", policy.metadata.name))

    async def _claim(self, resource: ResourceType, template: Object, entry: PolicyEntry) -> Object:
        """Write the policy's claim labels/annotations on the template when they differ."""
        current = template["metadata"]
        claimed = claim_metadata(template_meta(template), entry.policy)
        if claimed.labels == (current.get("labels") or {}) and claimed.annotations == (
            current.get("annotations") or {}
        ):
            return template
        metadata = {**current, "labels": claimed.labels, "annotations": claimed.annotations}
        written = await self._store.update(
            resource, {**template, "metadata": metadata}, current=template
        )
        return self._remember(resource, written)

    def _fleet(self, namespace: str) -> Object | None:
        fleets = self._fleets.get(namespace) or {}
        with_placement = [f for n, f in sorted(fleets.items()) if "placement" in f.get("spec", {})]
        return with_placement[0] if with_placement else None

    def _effective_placement(self, key: TemplateKey, entry: PolicyEntry) -> Placement:
        if isinstance(entry.policy, ClusterPropagationPolicy) or not key.namespace:
            return entry.placement
        return fleet_placement(entry.placement, self._fleet(key.namespace))

    def _taint_added(self, cluster: Cluster, taint: Taint) -> datetime:
        if taint.time_added:
            return parse_time(taint.time_added)
        return self._taint_seen.setdefault((cluster.name, taint.key, taint.effect), self._clock())

    async def _sync_binding(
        self,
        *,
        key: TemplateKey,
        template: Object,
        entry: PolicyEntry,
        binding_type: ResourceType,
        name: str,
        existing: Object | None,
    ) -> Requeue | None:
        try:
            replicas, requirements = interpret_replicas(ResourceTemplate.model_validate(template))
        except ValidationError as error:
            log.warning("cannot read replicas of %s: %s", key, error)
            replicas, requirements = 0, None
        placement = self._effective_placement(key, entry)
        extras = {k: v for k, v in entry.extras.to_dict().items() if v}
        placement_dict = {**placement.to_dict(), **extras}
        metadata = template["metadata"]
        resource_ref = ObjectReference(
            api_version=key.api_version,
            kind=key.kind,
            namespace=key.namespace,
            name=key.name,
            uid=metadata.get("uid") or "",
            resource_version=metadata.get("resourceVersion") or "",
        )
        old_spec = _parse(ResourceBindingSpec, existing.get("spec")) if existing else None
        old_status = ResourceBindingStatus.model_validate((existing or {}).get("status") or {})
        spec = detector_spec(
            existing=old_spec,
            resource=resource_ref,
            replicas=replicas,
            requirements=requirements,
            placement=placement_dict,
            policy=entry.policy,
        )
        now = self._clock()
        evictions = plan_evictions(
            spec=spec,
            clusters=self._clusters,
            tolerations=placement.all_tolerations(),
            now=now,
            added_at=self._taint_added,
            default_toleration_seconds=self._default_toleration,
        )
        for cluster in evictions.evict:
            evict_cluster(spec, cluster, now=now, message="untolerated NoExecute taint")
        new_metadata = binding_metadata(
            existing=existing,
            name=name,
            namespace=key.namespace if binding_type.namespaced else None,
            template=template,
            policy=entry.policy,
        )
        applied = placement_json(placement_dict)
        binding = ResourceBinding(
            metadata=ObjectMeta.model_validate(new_metadata), spec=spec, status=old_status
        )
        trigger = (
            "New"
            if existing is None
            else schedule_trigger(binding, clusters=self._clusters, applied_placement=applied)
        )
        if evictions.evict:
            trigger = "Failover"
        result: PlacementResult | None = None
        if trigger is not None:
            result = place_binding(
                binding,
                clusters=self._cluster_list,
                extras=entry.extras,
                empty_workload_propagation=self._empty_workload_propagation,
            )
            if result.clusters is not None:
                spec.clusters = result.clusters
                new_metadata["annotations"][APPLIED_PLACEMENT_ANNOTATION] = applied
        scheduled = result.scheduled if result is not None else is_scheduled(old_status)
        task_recheck = settle_tasks(
            spec,
            aggregated=old_status.aggregated_status,
            scheduled=scheduled,
            now=now,
            timeout_seconds=self._eviction_timeout,
        )
        decision_changed = old_spec is None or not same_targets(old_spec.clusters, spec.clusters)
        written = await self._write(
            binding_type=binding_type,
            existing=existing,
            old_spec=old_spec,
            metadata=new_metadata,
            spec=spec,
            status=old_status,
            result=result,
            now=format_time(now),
            decision_changed=decision_changed,
        )
        if evictions.evict:
            await self._publish_evictions(written, evictions.evict, old_spec)
        if decision_changed:
            await self._publish(written, old_spec, trigger, result)
        rechecks = [s for s in (evictions.recheck_after, task_recheck) if s is not None]
        return Requeue(after=min(rechecks) + RECHECK_MARGIN_S) if rechecks else None

    async def _write(
        self,
        *,
        binding_type: ResourceType,
        existing: Object | None,
        old_spec: ResourceBindingSpec | None,
        metadata: dict[str, Any],
        spec: ResourceBindingSpec,
        status: ResourceBindingStatus,
        result: PlacementResult | None,
        now: str,
        decision_changed: bool,
    ) -> Object:
        """Create, or update spec then status, each only when it differs from the store.

        Updates name the cached `existing` (informer or own last write) as the store's
        current object, so no write reads first; a stale cache is a Conflict as before."""
        body: Object = {
            "apiVersion": BINDING_API_VERSION,
            "kind": binding_type.kind,
            "metadata": metadata,
            "spec": spec.to_dict(),
        }
        if existing is None:
            body["status"] = scheduled_status(
                status, result=result, generation=1, now=now, decision_changed=True
            ).to_dict()
            return self._remember(binding_type, await self._store.create(binding_type, body))
        written = existing
        if (
            old_spec is None
            or old_spec.to_dict() != body["spec"]
            or existing["metadata"] != metadata
        ):
            updated = await self._store.update(binding_type, body, current=existing)
            written = self._remember(binding_type, updated)
        new_status = scheduled_status(
            status,
            result=result,
            generation=int(written["metadata"].get("generation") or 1),
            now=now,
            decision_changed=decision_changed,
        ).to_dict()
        if new_status != status.to_dict():
            updated = await self._store.update_status(
                binding_type, {**written, "status": new_status}, current=written
            )
            written = self._remember(binding_type, updated)
        return written

    async def _delete_binding(self, binding_type: ResourceType, existing: Object | None) -> None:
        if existing is None:
            return
        metadata = existing["metadata"]
        try:
            await self._store.delete(
                binding_type, metadata.get("namespace"), metadata["name"], uid=metadata.get("uid")
            )
        except NotFoundError:
            pass
        self._written.pop((binding_type.group_resource, *self._slot(existing)), None)

    def _subject(self, base: str, binding: Object) -> str:
        metadata = binding["metadata"]
        return subjects.subject(
            base, metadata.get("namespace") or CLUSTER_SCOPE_TOKEN, metadata["name"]
        )

    async def _publish(
        self,
        binding: Object,
        old_spec: ResourceBindingSpec | None,
        trigger: str | None,
        result: PlacementResult | None,
    ) -> None:
        spec = binding["spec"]
        payload = {
            "kind": binding["kind"],
            "namespace": binding["metadata"].get("namespace") or "",
            "name": binding["metadata"]["name"],
            "resourceVersion": binding["metadata"].get("resourceVersion"),
            "resource": spec["resource"],
            "clusters": spec.get("clusters") or [],
            "previous": targets_of(old_spec) if old_spec else [],
            "gracefulEvictionTasks": [
                t["fromCluster"] for t in spec.get("gracefulEvictionTasks") or []
            ],
            "trigger": trigger,
            "scheduled": result.scheduled if result else True,
            "message": result.condition().message if result else "",
        }
        await self._bus.publish(
            self._subject(subjects.BINDING_SCHEDULED, binding), orjson.dumps(payload)
        )

    async def _publish_evictions(
        self, binding: Object, clusters: Iterable[str], old_spec: ResourceBindingSpec | None
    ) -> None:
        for cluster in clusters:
            replicas = old_spec.assigned_replicas_for(cluster) if old_spec else 0
            report_eviction(self._events, binding=binding, cluster=cluster, replicas=replicas)
            payload = {
                "namespace": binding["metadata"].get("namespace") or "",
                "name": binding["metadata"]["name"],
                "cluster": cluster,
                "replicas": replicas,
                "reason": "TaintUntolerated",
            }
            await self._bus.publish(
                self._subject(subjects.BINDING_EVICTED, binding), orjson.dumps(payload)
            )


def _parse(model: type[ResourceBindingSpec], data: Any) -> ResourceBindingSpec | None:
    try:
        return model.model_validate(data or {})
    except ValidationError:
        return None
