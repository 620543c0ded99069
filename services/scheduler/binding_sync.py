"""What the binding of a claimed template should say: Karmada's detector, as pure functions.

The reconcile in `scheduling.py` reads the store and writes; everything it decides (claim
metadata, the binding's spec from template and policy, whether §3 asks for a new schedule,
the status after an attempt) is computed here so it can be tested without I/O.
"""

from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson

from shared.api.binding import (
    CONDITION_SCHEDULED,
    BindingSuspension,
    ObjectReference,
    ReplicaRequirements,
    ResourceBinding,
    ResourceBindingSpec,
    ResourceBindingStatus,
    TargetCluster,
)
from shared.api.cluster import Cluster
from shared.api.meta import Condition, ObjectMeta
from shared.api.propagation import (
    Placement,
    PropagationPolicy,
)
from shared.placement.estimating import is_workload
from shared.placement.matching import (
    CPP_NAME_ANNOTATION,
    CPP_PERMANENT_ID_LABEL,
    PP_NAME_ANNOTATION,
    PP_NAMESPACE_ANNOTATION,
    PP_PERMANENT_ID_LABEL,
    AnyPolicy,
)
from shared.placement.placing import PlacementResult, reschedule_required

APPLIED_PLACEMENT_ANNOTATION = "policy.karmada.io/applied-placement"
RB_PERMANENT_ID_LABEL = "resourcebinding.karmada.io/permanent-id"
CRB_PERMANENT_ID_LABEL = "clusterresourcebinding.karmada.io/permanent-id"
CLAIM_LABELS = (PP_PERMANENT_ID_LABEL, CPP_PERMANENT_ID_LABEL)
CLAIM_ANNOTATIONS = (PP_NAMESPACE_ANNOTATION, PP_NAME_ANNOTATION, CPP_NAME_ANNOTATION)
Object = dict[str, Any]


class TemplateKey(NamedTuple):
    """A resource template as the work queue names it."""

    api_version: str
    kind: str
    namespace: str
    name: str


def binding_name(name: str, kind: str) -> str:
    """Karmada's `names.GenerateBindingName`: `<name>-<kind lowercased>`."""
    return f"{name}-{kind.lower()}"


def with_label(obj: Object, *, label: str, value: str) -> Object | None:
    """The object with `label` set to `value`; None when it already carries that label.

    Karmada's mutating webhooks give every policy and binding a permanent id once; a
    later write never changes it."""
    labels = obj["metadata"].get("labels") or {}
    if labels.get(label):
        return None
    return {**obj, "metadata": {**obj["metadata"], "labels": {**labels, label: value}}}


def released_binding(binding: Object) -> Object | None:
    """The binding without its policy's claim marks (`CleanupResourceBindingClaimMetadata`);
    None when it carries none. The binding, its result and its Works stay."""
    if not has_claim(binding["metadata"]):
        return None
    return {**binding, "metadata": without_claim(binding["metadata"])}


def without_claim(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Template metadata with every PP/CPP claim label and annotation removed."""
    result = dict(metadata)
    labels = {k: v for k, v in (metadata.get("labels") or {}).items() if k not in CLAIM_LABELS}
    annotations = {
        k: v for k, v in (metadata.get("annotations") or {}).items() if k not in CLAIM_ANNOTATIONS
    }
    for field, value in (("labels", labels), ("annotations", annotations)):
        if value:
            result[field] = value
        else:
            result.pop(field, None)
    return result


def has_claim(metadata: Mapping[str, Any]) -> bool:
    return any(k in (metadata.get("labels") or {}) for k in CLAIM_LABELS) or any(
        k in (metadata.get("annotations") or {}) for k in CLAIM_ANNOTATIONS
    )


def claim_marks(policy: AnyPolicy) -> tuple[dict[str, str], dict[str, str]]:
    """The labels and annotations a claimed template and its binding carry."""
    if isinstance(policy, PropagationPolicy):
        return (
            {PP_PERMANENT_ID_LABEL: policy.metadata.labels.get(PP_PERMANENT_ID_LABEL, "")},
            {
                PP_NAMESPACE_ANNOTATION: policy.metadata.namespace or "",
                PP_NAME_ANNOTATION: policy.metadata.name,
            },
        )
    return (
        {CPP_PERMANENT_ID_LABEL: policy.metadata.labels.get(CPP_PERMANENT_ID_LABEL, "")},
        {CPP_NAME_ANNOTATION: policy.metadata.name},
    )


def placement_json(placement: Object) -> str:
    """The applied-placement annotation: stable JSON of what was scheduled against."""
    return orjson.dumps(placement, option=orjson.OPT_SORT_KEYS).decode()


def detector_spec(
    *,
    existing: ResourceBindingSpec | None,
    resource: ObjectReference,
    replicas: int,
    requirements: ReplicaRequirements | None,
    placement: Object,
    policy: AnyPolicy,
) -> ResourceBindingSpec:
    """The detector's fields from template and policy over the scheduler's own fields."""
    spec = policy.spec
    suspension = None
    if spec.suspension is not None:
        on_clusters = spec.suspension.dispatching_on_clusters
        suspension = BindingSuspension(
            dispatching=spec.suspension.dispatching,
            dispatching_on_clusters=(
                {"clusterNames": on_clusters.cluster_names} if on_clusters is not None else None
            ),
        )
    return ResourceBindingSpec.model_validate(
        {
            **(existing.to_dict() if existing is not None else {}),
            "resource": resource.to_dict(),
            "replicas": replicas,
            "replicaRequirements": requirements.to_dict() if requirements else None,
            "placement": placement,
            "propagateDeps": spec.propagate_deps,
            "schedulerName": spec.scheduler_name,
            "failover": spec.failover.to_dict() if spec.failover else None,
            "conflictResolution": spec.conflict_resolution,
            "suspension": suspension.to_dict() if suspension else None,
            "preserveResourcesOnDeletion": spec.preserve_resources_on_deletion,
        }
    )


def replicas_changed(spec: ResourceBindingSpec) -> bool:
    """`IsBindingReplicasChanged`: Duplicated per target, Divided by the sum."""
    if not is_workload(spec.replicas, spec.replica_requirements):
        return False
    placement = spec.placement or Placement()
    if placement.replica_scheduling_type() == "Duplicated":
        return any(target.replicas != spec.replicas for target in spec.clusters)
    return sum(target.replicas for target in spec.clusters) != spec.replicas


def is_scheduled(status: ResourceBindingStatus) -> bool:
    condition = next((c for c in status.conditions if c.type == CONDITION_SCHEDULED), None)
    return condition is not None and condition.status == "True"


def always_rescheduled(spec: ResourceBindingSpec) -> bool:
    """Duplicated placements and non-workloads follow every cluster change (§3)."""
    placement = spec.placement or Placement()
    return placement.replica_scheduling_type() == "Duplicated" or not is_workload(
        spec.replicas, spec.replica_requirements
    )


def schedule_trigger(
    binding: ResourceBinding, *, clusters: Mapping[str, Cluster], applied_placement: str
) -> str | None:
    """Why Karmada would schedule this binding now (§3), or None to leave it as it is."""
    spec, status = binding.spec, binding.status
    if not is_scheduled(status):
        return "NotScheduled"
    if binding.metadata.annotations.get(APPLIED_PLACEMENT_ANNOTATION) != applied_placement:
        return "PlacementChanged"
    if replicas_changed(spec):
        return "ReplicasChanged"
    if reschedule_required(spec.reschedule_triggered_at, status.last_scheduled_time):
        return "RescheduleTriggered"
    if always_rescheduled(spec):
        return "Always"
    for target in spec.clusters:
        cluster = clusters.get(target.name)
        if cluster is None or cluster.metadata.deletion_timestamp:
            return "ClusterDeleted"
    return None


def scheduled_status(
    current: ResourceBindingStatus,
    *,
    result: PlacementResult | None,
    generation: int,
    now: str,
    decision_changed: bool,
) -> ResourceBindingStatus:
    """Status after a pass: condition (transition time kept), generation, affinity, time.

    `lastScheduledTime` moves only when a scheduling attempt changed something, so passes
    that decide the same again write nothing.
    """
    # Shallow: only top-level fields are reassigned below (conditions as a new list).
    status = current.model_copy()
    status.scheduler_observed_generation = generation
    if result is None:
        return status
    condition: Condition = result.condition()
    previous = next((c for c in status.conditions if c.type == CONDITION_SCHEDULED), None)
    same = previous is not None and previous.status == condition.status
    condition.last_transition_time = previous.last_transition_time if same and previous else now
    changed = previous is None or previous.model_dump() != condition.model_dump()
    status.conditions = [c for c in status.conditions if c.type != CONDITION_SCHEDULED]
    status.conditions.append(condition)
    status.scheduler_observed_affinity_name = result.affinity_name
    if result.scheduled and (decision_changed or changed or status.last_scheduled_time is None):
        status.last_scheduled_time = now
    return status


def targets_of(spec: ResourceBindingSpec) -> list[dict[str, Any]]:
    return [{"name": t.name, "replicas": t.replicas} for t in spec.clusters]


def same_targets(left: list[TargetCluster], right: list[TargetCluster]) -> bool:
    return [t.to_dict() for t in left] == [t.to_dict() for t in right]


def owner_reference(template: Object) -> dict[str, Any]:
    metadata = template["metadata"]
    return {
        "apiVersion": template.get("apiVersion", ""),
        "kind": template.get("kind", ""),
        "name": metadata["name"],
        "uid": metadata.get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def binding_metadata(
    *,
    existing: Object | None,
    name: str,
    namespace: str | None,
    template: Object,
    policy: AnyPolicy,
    permanent_id: str,
) -> dict[str, Any]:
    """Binding metadata: its permanent id (kept once set), claim marks of the policy, owner
    reference to the template."""
    metadata: dict[str, Any] = dict(existing["metadata"]) if existing else {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    labels, annotations = claim_marks(policy)
    kept_labels = {k: v for k, v in (metadata.get("labels") or {}).items() if k not in CLAIM_LABELS}
    kept_annotations = {
        k: v for k, v in (metadata.get("annotations") or {}).items() if k not in CLAIM_ANNOTATIONS
    }
    id_label = RB_PERMANENT_ID_LABEL if namespace else CRB_PERMANENT_ID_LABEL
    kept_labels[id_label] = kept_labels.get(id_label) or permanent_id
    metadata["labels"] = {**kept_labels, **labels}
    metadata["annotations"] = {**kept_annotations, **annotations}
    metadata["ownerReferences"] = [owner_reference(template)]
    return metadata


def template_meta(template: Object) -> ObjectMeta:
    return ObjectMeta.model_validate(template["metadata"])
