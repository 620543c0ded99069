"""Karmada's (Cluster)PropagationPolicy and Kurator's DistributionPolicy, with webhook rules.

The gateway validates and defaults with these functions, the scheduler reads the models.
Field names are Karmada's (`policy.karmada.io/v1alpha1`). Navarch extensions are marked:
`spreadConstraints[].maxSkew`, `placement.tolerations` (alias the Kurator article uses for
`clusterTolerations`) and `clusterAffinity.preferredDuringSchedulingIgnoredDuringExecution`
(Fleet placement preferences, which rank clusters).
"""

from typing import Literal

from pydantic import Field

from shared.api.affinity import ClusterAffinity, FieldSelectorRequirement
from shared.api.base import KubeModel
from shared.api.meta import LabelSelector, ObjectMeta, Toleration
from shared.quantity import QuantityError, parse_quantity

POLICY_API_VERSION = "policy.karmada.io/v1alpha1"
KURATOR_POLICY_API_VERSION = "policy.kurator.dev/v1alpha1"
KURATOR_APPS_API_VERSION = "apps.kurator.dev/v1alpha1"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"

SpreadField = Literal["cluster", "region", "zone", "provider"]
FieldErrors = list[tuple[str, str]]


class ResourceSelector(KubeModel):
    api_version: str
    kind: str
    namespace: str = ""
    name: str = ""
    label_selector: LabelSelector | None = None


class SpreadConstraint(KubeModel):
    spread_by_field: SpreadField | Literal[""] = ""
    spread_by_label: str = ""
    max_groups: int = 0
    min_groups: int = 0
    max_skew: int | None = Field(default=None, description="Navarch: balance, not selection")


class StaticClusterWeight(KubeModel):
    target_cluster: ClusterAffinity
    weight: int


class ClusterPreferences(KubeModel):
    static_weight_list: list[StaticClusterWeight] = Field(default_factory=list)
    dynamic_weight: Literal["AvailableReplicas", ""] = ""


class ReplicaSchedulingStrategy(KubeModel):
    replica_scheduling_type: Literal["Duplicated", "Divided"] = "Divided"
    replica_division_preference: Literal["Aggregated", "Weighted", ""] = ""
    weight_preference: ClusterPreferences | None = None


class PreferenceTerm(KubeModel):
    """A node-selector term evaluated against cluster labels (and provider/region/zone)."""

    match_expressions: list[FieldSelectorRequirement] = Field(default_factory=list)


class PreferredClusterTerm(KubeModel):
    weight: int
    preference: PreferenceTerm


class PlacementClusterAffinity(ClusterAffinity):
    """Karmada's ClusterAffinity plus the Fleet's soft preferences (Navarch extension)."""

    preferred_during_scheduling_ignored_during_execution: list[PreferredClusterTerm] = Field(
        default_factory=list
    )


class OverflowClusterAffinity(ClusterAffinity):
    affinity_name: str


class ClusterAffinityTerm(ClusterAffinity):
    affinity_name: str
    overflow_affinities: list[OverflowClusterAffinity] | None = None


class WorkloadAffinityTerm(KubeModel):
    group_by_label_key: str


class WorkloadAffinity(KubeModel):
    affinity: WorkloadAffinityTerm | None = None
    anti_affinity: WorkloadAffinityTerm | None = None


class Placement(KubeModel):
    cluster_affinity: PlacementClusterAffinity | None = None
    cluster_affinities: list[ClusterAffinityTerm] | None = None
    cluster_tolerations: list[Toleration] = Field(default_factory=list)
    tolerations: list[Toleration] = Field(default_factory=list)
    spread_constraints: list[SpreadConstraint] = Field(default_factory=list)
    replica_scheduling: ReplicaSchedulingStrategy | None = None
    workload_affinity: WorkloadAffinity | None = None

    def all_tolerations(self) -> list[Toleration]:
        """`clusterTolerations` plus the article's `tolerations` spelling."""
        return [*self.cluster_tolerations, *self.tolerations]

    def replica_scheduling_type(self) -> str:
        """Karmada's Placement.ReplicaSchedulingType(): absent strategy means Duplicated."""
        if self.replica_scheduling is None:
            return "Duplicated"
        return self.replica_scheduling.replica_scheduling_type


class StatePreservationRule(KubeModel):
    alias_label_name: str
    json_path: str


class StatePreservation(KubeModel):
    rules: list[StatePreservationRule] = Field(default_factory=list)


class DecisionConditions(KubeModel):
    toleration_seconds: int | None = 300


PurgeMode = Literal["Directly", "Gracefully", "Never"]


class ApplicationFailoverBehavior(KubeModel):
    decision_conditions: DecisionConditions = Field(default_factory=DecisionConditions)
    purge_mode: PurgeMode = "Gracefully"
    grace_period_seconds: int | None = None
    state_preservation: StatePreservation | None = None


class ClusterFailoverBehavior(KubeModel):
    purge_mode: Literal["Directly", "Gracefully"] = "Gracefully"
    state_preservation: StatePreservation | None = None


class FailoverBehavior(KubeModel):
    application: ApplicationFailoverBehavior | None = None
    cluster: ClusterFailoverBehavior | None = None


class SuspendClusters(KubeModel):
    cluster_names: list[str] = Field(default_factory=list)


class Suspension(KubeModel):
    dispatching: bool | None = None
    dispatching_on_clusters: SuspendClusters | None = None


class SchedulePriority(KubeModel):
    priority_class_source: str
    priority_class_name: str


class PropagationSpec(KubeModel):
    resource_selectors: list[ResourceSelector] = Field(default_factory=list)
    association: bool = False
    propagate_deps: bool = False
    placement: Placement = Field(default_factory=Placement)
    priority: int | None = 0
    preemption: Literal["Always", "Never"] = "Never"
    dependent_overrides: list[str] = Field(default_factory=list)
    scheduler_name: str = "default-scheduler"
    failover: FailoverBehavior | None = None
    conflict_resolution: Literal["Abort", "Overwrite"] = "Abort"
    activation_preference: Literal["Lazy", ""] = ""
    suspension: Suspension | None = None
    preserve_resources_on_deletion: bool | None = None
    schedule_priority: SchedulePriority | None = None

    def explicit_priority(self) -> int:
        return self.priority or 0


class PropagationPolicy(KubeModel):
    api_version: str = POLICY_API_VERSION
    kind: Literal["PropagationPolicy"] = "PropagationPolicy"
    metadata: ObjectMeta
    spec: PropagationSpec


class ClusterPropagationPolicy(KubeModel):
    api_version: str = POLICY_API_VERSION
    kind: Literal["ClusterPropagationPolicy"] = "ClusterPropagationPolicy"
    metadata: ObjectMeta
    spec: PropagationSpec


# --- Kurator DistributionPolicy (the articles' policy group) ------------------------------


class ProductRequirement(KubeModel):
    """`{operator, values}` over the GPU product label of a cluster's nodes."""

    key: str = GPU_PRODUCT_LABEL
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"] = "In"
    values: list[str] = Field(default_factory=list)

    def matches(self, product: str | None) -> bool:
        if self.operator == "Exists":
            return product is not None
        if self.operator == "DoesNotExist":
            return product is None
        if self.operator == "In":
            return product is not None and product in self.values
        return product is None or product not in self.values


class ResourceConstraint(KubeModel):
    """Only clusters with at least `minQuantity` allocatable `name` of a matching product."""

    name: str
    requirements: list[ProductRequirement] = Field(default_factory=list)
    min_quantity: int | str = 0


class WeightedProductPreference(KubeModel):
    weight: int
    preference: ProductRequirement


class PlacementExtras(KubeModel):
    """What a DistributionPolicy adds to a Karmada placement."""

    resource_constraints: list[ResourceConstraint] = Field(default_factory=list)
    preference: list[WeightedProductPreference] = Field(default_factory=list)


class DistributionPlacement(Placement):
    resource_constraints: list[ResourceConstraint] = Field(default_factory=list)
    preference: list[WeightedProductPreference] = Field(default_factory=list)


class DistributionSpec(PropagationSpec):
    placement: DistributionPlacement = Field(default_factory=DistributionPlacement)


class DistributionPolicy(KubeModel):
    api_version: Literal["policy.kurator.dev/v1alpha1", "apps.kurator.dev/v1alpha1"] = (
        KURATOR_POLICY_API_VERSION
    )
    kind: Literal["DistributionPolicy"] = "DistributionPolicy"
    metadata: ObjectMeta
    spec: DistributionSpec


def distribution_to_propagation(
    policy: DistributionPolicy,
) -> tuple[PropagationPolicy, PlacementExtras]:
    """A DistributionPolicy is a namespaced PropagationPolicy plus resource extras."""
    placement_data = policy.spec.placement.model_dump(
        by_alias=True, exclude_none=True, exclude={"resource_constraints", "preference"}
    )
    spec_data = policy.spec.model_dump(by_alias=True, exclude_none=True, exclude={"placement"})
    spec = PropagationSpec.model_validate({**spec_data, "placement": placement_data})
    extras = PlacementExtras(
        resource_constraints=policy.spec.placement.resource_constraints,
        preference=policy.spec.placement.preference,
    )
    return PropagationPolicy(metadata=policy.metadata.model_copy(deep=True), spec=spec), extras


# --- webhook defaulting --------------------------------------------------------------------


def default_placement(placement: Placement) -> Placement:
    """Karmada's mutating webhook: spread field `cluster`, minGroups 1, Divided ⇒ Weighted."""
    result = placement.model_copy(deep=True)
    for constraint in result.spread_constraints:
        if not constraint.spread_by_field and not constraint.spread_by_label:
            constraint.spread_by_field = "cluster"
        if constraint.min_groups == 0:
            constraint.min_groups = 1
    strategy = result.replica_scheduling
    if (
        strategy is not None
        and strategy.replica_scheduling_type == "Divided"
        and not strategy.replica_division_preference
    ):
        strategy.replica_division_preference = "Weighted"
    return result


def default_propagation_spec(spec: PropagationSpec, *, namespace: str | None) -> PropagationSpec:
    """Defaults of the PP (namespace given) or CPP (None) webhook, on a copy."""
    result = spec.model_copy(deep=True)
    if namespace:
        for selector in result.resource_selectors:
            if not selector.namespace:
                selector.namespace = namespace
    result.placement = default_placement(result.placement)
    if any(
        s.api_version == "multicluster.x-k8s.io/v1alpha1" and s.kind == "ServiceImport"
        for s in result.resource_selectors
    ):
        result.propagate_deps = True
    application = result.failover.application if result.failover else None
    if (
        application is not None
        and application.purge_mode == "Gracefully"
        and application.grace_period_seconds is None
    ):
        application.grace_period_seconds = 600
    return result


# --- webhook validation --------------------------------------------------------------------


def _validate_affinity(affinity: ClusterAffinity, path: str) -> FieldErrors:
    if affinity.field_selector is None:
        return []
    for expression in affinity.field_selector.match_expressions:
        if expression.key not in ("provider", "region", "zone"):
            message = f'unsupported key "{expression.key}", must be provider, region, or zone'
            return [(f"{path}.fieldSelector", message)]
        if expression.operator not in ("In", "NotIn"):
            message = f'unsupported operator "{expression.operator}", must be In or NotIn'
            return [(f"{path}.fieldSelector", message)]
    return []


def _validate_spread(constraints: list[SpreadConstraint], path: str) -> FieldErrors:
    errors: FieldErrors = []
    seen: dict[str, bool] = {}
    for index, constraint in enumerate(constraints):
        here = f"{path}[{index}]"
        if constraint.spread_by_field and constraint.spread_by_label:
            errors.append((here, "spreadByLabel should not co-exist with spreadByField"))
        if constraint.min_groups < 0:
            errors.append((here, "minGroups lower than 0 is not allowed"))
        if constraint.max_groups < 0:
            errors.append((here, "maxGroups lower than 0 is not allowed"))
        if 0 < constraint.max_groups < constraint.min_groups:
            errors.append((here, "maxGroups lower than minGroups is not allowed"))
        if constraint.max_skew is not None:
            if constraint.max_skew < 1:
                errors.append((f"{here}.maxSkew", "must be ≥ 1"))
            if constraint.max_groups > 0:
                errors.append((f"{here}.maxSkew", "cannot be combined with maxGroups"))
            if constraint.spread_by_label:
                errors.append((f"{here}.maxSkew", "needs spreadByField"))
            continue
        if constraint.spread_by_field:
            field = constraint.spread_by_field
            if field in seen and not seen[field]:
                message = f"multiple {field} spread constraints are not allowed"
                errors.append((path, message))
                seen[field] = True
            seen.setdefault(field, False)
    if seen and "cluster" not in seen:
        message = (
            "the cluster spread constraint must be enabled in one of the constraints "
            "in case of SpreadByField is enabled"
        )
        errors.append((path, message))
    return errors


def _validate_replica_scheduling(strategy: ReplicaSchedulingStrategy, path: str) -> FieldErrors:
    errors: FieldErrors = []
    preference = strategy.weight_preference
    if preference is None:
        return errors
    for index, entry in enumerate(preference.static_weight_list):
        here = f"{path}.weightPreference.staticWeightList[{index}]"
        if entry.weight < 1:
            errors.append((f"{here}.weight", "must be ≥ 1"))
        errors.extend(_validate_affinity(entry.target_cluster, f"{here}.targetCluster"))
    return errors


def validate_placement(placement: Placement, path: str = "spec.placement") -> FieldErrors:
    """Karmada's ValidatePlacement plus the CRD bounds Karmada leaves to the schema."""
    errors: FieldErrors = []
    if placement.cluster_affinity is not None and placement.cluster_affinities is not None:
        errors.append((path, "clusterAffinities cannot co-exist with clusterAffinity"))
    strategy = placement.replica_scheduling
    overflow_allowed = strategy is not None and (
        strategy.replica_division_preference == "Aggregated"
        or (
            strategy.weight_preference is not None
            and bool(strategy.weight_preference.dynamic_weight)
        )
    )
    names: set[str] = set()
    for index, term in enumerate(placement.cluster_affinities or []):
        here = f"{path}.clusterAffinities[{index}]"
        if term.overflow_affinities is not None and not overflow_allowed:
            message = (
                "overflowAffinities can only be used together with dynamic weight or "
                "aggregated scheduling"
            )
            errors.append((f"{here}.overflowAffinities", message))
        if not term.affinity_name:
            errors.append((here, "name part must be non-empty"))
        if term.affinity_name in names:
            message = "each affinity term in a policy must have a unique name"
            errors.append((f"{path}.clusterAffinities", message))
        names.add(term.affinity_name)
        errors.extend(_validate_affinity(term, here))
        for o_index, overflow in enumerate(term.overflow_affinities or []):
            o_path = f"{here}.overflowAffinities[{o_index}]"
            if overflow.affinity_name == term.affinity_name:
                message = (
                    "overflow affinity name must be unique and must not duplicate the "
                    "primary group's affinityName"
                )
                errors.append((f"{o_path}.affinityName", message))
            errors.extend(_validate_affinity(overflow, o_path))
    if placement.cluster_affinity is not None:
        errors.extend(_validate_affinity(placement.cluster_affinity, f"{path}.clusterAffinity"))
        for index, term in enumerate(
            placement.cluster_affinity.preferred_during_scheduling_ignored_during_execution
        ):
            if not 1 <= term.weight <= 100:
                here = f"{path}.clusterAffinity.preferredDuringSchedulingIgnoredDuringExecution"
                errors.append((f"{here}[{index}].weight", "must be in the range 1-100"))
    errors.extend(_validate_spread(placement.spread_constraints, f"{path}.spreadConstraints"))
    if strategy is not None:
        errors.extend(_validate_replica_scheduling(strategy, f"{path}.replicaScheduling"))
    return errors


def validate_propagation_spec(spec: PropagationSpec, *, namespace: str | None) -> FieldErrors:
    """Karmada's ValidatePropagationSpec; `namespace` is the PP's, None for a CPP."""
    errors: FieldErrors = []
    if not spec.resource_selectors:
        errors.append(("spec.resourceSelectors", "must not be empty"))
    errors.extend(validate_placement(spec.placement))
    if spec.failover is not None and spec.failover.application is not None:
        application = spec.failover.application
        app_path = "spec.failover.application"
        if not spec.propagate_deps:
            errors.append(
                ("spec.propagateDeps", "application failover is set, propagateDeps must be true")
            )
        seconds = application.decision_conditions.toleration_seconds
        if seconds is not None and seconds < 0:
            errors.append(
                (
                    f"{app_path}.decisionConditions.tolerationSeconds",
                    "must be greater than or equal to 0",
                )
            )
        grace = application.grace_period_seconds
        if application.purge_mode != "Gracefully" and grace is not None:
            message = "only takes effect when purgeMode is gracefully"
            errors.append((f"{app_path}.gracePeriodSeconds", message))
        if application.purge_mode == "Gracefully" and grace is None:
            message = "should not be empty when purgeMode is gracefully"
            errors.append((f"{app_path}.gracePeriodSeconds", message))
        if grace is not None and grace <= 0:
            errors.append((f"{app_path}.gracePeriodSeconds", "must be greater than 0"))
    for index, selector in enumerate(spec.resource_selectors):
        here = f"spec.resourceSelectors[{index}]"
        if namespace and selector.namespace and selector.namespace != namespace:
            message = (
                "namespace of resource selector must be the same as the namespace of the policy"
            )
            errors.append((f"{here}.namespace", message))
        if spec.preemption == "Always" and not selector.name:
            message = (
                "name cannot be empty if preemption is Always, the empty name may cause "
                "unexpected resources preemption"
            )
            errors.append((f"{here}.name", message))
    suspension = spec.suspension
    if (
        suspension is not None
        and suspension.dispatching
        and suspension.dispatching_on_clusters is not None
        and suspension.dispatching_on_clusters.cluster_names
    ):
        message = "suspension dispatching cannot co-exist with dispatchingOnClusters.clusterNames"
        errors.append(("spec.suspension.suspension", message))
    return errors


def validate_placement_extras(extras: PlacementExtras, path: str = "spec.placement") -> FieldErrors:
    """Bounds of the DistributionPolicy extras (our wording)."""
    errors: FieldErrors = []
    for index, constraint in enumerate(extras.resource_constraints):
        here = f"{path}.resourceConstraints[{index}]"
        if not constraint.name:
            errors.append((f"{here}.name", "must not be empty"))
        try:
            if parse_quantity(str(constraint.min_quantity)) < 0:
                errors.append((f"{here}.minQuantity", "must be ≥ 0"))
        except QuantityError as error:
            errors.append((f"{here}.minQuantity", str(error)))
    for index, preference in enumerate(extras.preference):
        if not 1 <= preference.weight <= 100:
            errors.append((f"{path}.preference[{index}].weight", "must be in the range 1-100"))
    return errors
