"""One scheduling pass over one binding, as a pure function: detector fields, taint-based
eviction, the §3 trigger, the placement, task cleanup — and what to write.

The reconcile calls `decide_binding` with the binding as it read it; on a write conflict the
kit's writer calls it again with the stored copy, so the same decision is re-applied to
what is really there.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from services.scheduler.binding_sync import (
    APPLIED_PLACEMENT_ANNOTATION,
    TemplateKey,
    binding_metadata,
    detector_spec,
    is_scheduled,
    placement_json,
    same_targets,
    schedule_trigger,
    scheduled_status,
)
from services.scheduler.detecting import PolicyEntry
from services.scheduler.failover import TaintClock, evict_cluster, plan_evictions, settle_tasks
from shared.api.binding import (
    BINDING_API_VERSION,
    ObjectReference,
    ResourceBinding,
    ResourceBindingSpec,
    ResourceBindingStatus,
)
from shared.api.cluster import Cluster
from shared.api.meta import ObjectMeta
from shared.api.propagation import Placement
from shared.api.resources import ResourceType
from shared.placement.estimating import ResourceTemplate, interpret_replicas
from shared.placement.placing import PlacementResult, place_binding
from shared.placement.policies import fleet_placement
from shared.runtime.clock import format_timestamp
from shared.store.objects import Object

log = logging.getLogger(__name__)

RECHECK_MARGIN_S = 0.01
"""Look again just after a toleration or task deadline, never just before it."""
EVICTION_MESSAGE = "untolerated NoExecute taint"


@dataclass(frozen=True)
class SchedulingOptions:
    """The scheduler's settings that shape a decision."""

    default_toleration_seconds: float
    graceful_eviction_timeout_seconds: float
    empty_workload_propagation: bool


@dataclass(frozen=True)
class BindingTarget:
    """The binding a template gets: its kind, name and namespace."""

    resource: ResourceType
    name: str
    namespace: str | None


@dataclass(frozen=True)
class BindingDecision:
    """What one pass decided for a binding, and the writes it needs."""

    kind: str
    metadata: dict[str, Any]
    spec: ResourceBindingSpec
    old_spec: ResourceBindingSpec | None
    status: ResourceBindingStatus
    result: PlacementResult | None
    trigger: str | None
    evicted: list[str]
    recheck_after: float | None
    now: datetime

    @property
    def decision_changed(self) -> bool:
        return self.old_spec is None or not same_targets(self.old_spec.clusters, self.spec.clusters)

    def body(self) -> Object:
        """The binding's metadata and spec as they should be stored."""
        return {
            "apiVersion": BINDING_API_VERSION,
            "kind": self.kind,
            "metadata": self.metadata,
            "spec": self.spec.to_dict(),
        }

    def created(self) -> Object:
        """The body of a new binding, status included."""
        return {**self.body(), "status": self.status_for(self.status, generation=1)}

    def spec_differs(self, stored: Object) -> bool:
        return (
            self.old_spec is None
            or self.old_spec.to_dict() != self.spec.to_dict()
            or stored["metadata"] != self.metadata
        )

    def status_for(self, current: ResourceBindingStatus, *, generation: int) -> dict[str, Any]:
        return scheduled_status(
            current,
            result=self.result,
            generation=generation,
            now=format_timestamp(self.now),
            decision_changed=self.decision_changed,
        ).to_dict()

    def with_status(self, stored: Object) -> Object | None:
        """The stored binding with this pass's status; None when it already says so."""
        current = ResourceBindingStatus.model_validate(stored.get("status") or {})
        generation = int(stored["metadata"].get("generation") or 1)
        status = self.status_for(current, generation=generation)
        if status == current.to_dict():
            return None
        return {**stored, "status": status}


def effective_placement(key: TemplateKey, entry: PolicyEntry, fleet: Object | None) -> Placement:
    """A namespaced policy inherits what its namespace's Fleet places (example 06)."""
    if entry.cluster_scoped or not key.namespace:
        return entry.placement
    return fleet_placement(entry.placement, fleet)


def template_reference(key: TemplateKey, template: Object) -> ObjectReference:
    metadata = template["metadata"]
    return ObjectReference(
        api_version=key.api_version,
        kind=key.kind,
        namespace=key.namespace,
        name=key.name,
        uid=metadata.get("uid") or "",
        resource_version=metadata.get("resourceVersion") or "",
    )


def template_replicas(key: TemplateKey, template: Object) -> tuple[int, Any]:
    """Karmada's default replica interpretation; an unreadable template counts none."""
    try:
        return interpret_replicas(ResourceTemplate.model_validate(template))
    except ValidationError as error:
        log.warning("cannot read replicas of %s: %s", key, error)
        return 0, None


def parsed_spec(binding: Object) -> ResourceBindingSpec | None:
    try:
        return ResourceBindingSpec.model_validate(binding.get("spec") or {})
    except ValidationError:
        return None


def decide_binding(
    *,
    key: TemplateKey,
    template: Object,
    entry: PolicyEntry,
    placement: Placement,
    target: BindingTarget,
    existing: Object | None,
    clusters: Mapping[str, Cluster],
    schedulable: Sequence[Cluster],
    added_at: TaintClock,
    now: datetime,
    options: SchedulingOptions,
    permanent_id: str,
) -> BindingDecision:
    """The pass Karmada's detector, taint manager and scheduler would make, in that order.

    `permanent_id`: the binding's id if it has none yet (a new binding)."""
    replicas, requirements = template_replicas(key, template)
    extras = {k: v for k, v in entry.extras.to_dict().items() if v}
    placement_dict = {**placement.to_dict(), **extras}
    old_spec = parsed_spec(existing) if existing else None
    old_status = ResourceBindingStatus.model_validate((existing or {}).get("status") or {})
    spec = detector_spec(
        existing=old_spec,
        resource=template_reference(key, template),
        replicas=replicas,
        requirements=requirements,
        placement=placement_dict,
        policy=entry.policy,
    )
    evictions = plan_evictions(
        spec=spec,
        clusters=clusters,
        tolerations=placement.all_tolerations(),
        now=now,
        added_at=added_at,
        default_toleration_seconds=options.default_toleration_seconds,
    )
    for cluster in evictions.evict:
        evict_cluster(spec, cluster, now=now, message=EVICTION_MESSAGE)
    metadata = binding_metadata(
        existing=existing,
        name=target.name,
        namespace=target.namespace,
        template=template,
        policy=entry.policy,
        permanent_id=permanent_id,
    )
    applied = placement_json(placement_dict)
    binding = ResourceBinding(
        metadata=ObjectMeta.model_validate(metadata), spec=spec, status=old_status
    )
    trigger = (
        "New"
        if existing is None
        else schedule_trigger(binding, clusters=clusters, applied_placement=applied)
    )
    if evictions.evict:
        trigger = "Failover"
    result: PlacementResult | None = None
    if trigger is not None:
        result = place_binding(
            binding,
            clusters=list(schedulable),
            extras=entry.extras,
            empty_workload_propagation=options.empty_workload_propagation,
        )
        if result.clusters is not None:
            spec.clusters = result.clusters
            metadata["annotations"][APPLIED_PLACEMENT_ANNOTATION] = applied
    scheduled = result.scheduled if result is not None else is_scheduled(old_status)
    task_recheck = settle_tasks(
        spec,
        aggregated=old_status.aggregated_status,
        scheduled=scheduled,
        now=now,
        timeout_seconds=options.graceful_eviction_timeout_seconds,
    )
    rechecks = [s for s in (evictions.recheck_after, task_recheck) if s is not None]
    return BindingDecision(
        kind=target.resource.kind,
        metadata=metadata,
        spec=spec,
        old_spec=old_spec,
        status=old_status,
        result=result,
        trigger=trigger,
        evicted=list(evictions.evict),
        recheck_after=min(rechecks) + RECHECK_MARGIN_S if rechecks else None,
        now=now,
    )
