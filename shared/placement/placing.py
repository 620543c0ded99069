"""The one entry point of the placement core: resource + placement + clusters ⇒ targets.

Runs Karmada's pipeline (filter, score, select, assign) once per attempt, and walks
`clusterAffinities` in order like `scheduleResourceBindingWithClusterAffinities`. Results
carry Karmada's condition reason and message, and say whether the previous result is kept.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from shared.api.affinity import ClusterAffinity, FieldSelectorRequirement, cluster_matches
from shared.api.binding import (
    CONDITION_SCHEDULED,
    REASON_NO_CLUSTER_FIT,
    REASON_SCHEDULER_ERROR,
    REASON_SUCCESS,
    REASON_UNSCHEDULABLE,
    ObjectReference,
    ReplicaRequirements,
    ResourceBinding,
    TargetCluster,
)
from shared.api.cluster import Cluster
from shared.api.meta import Condition
from shared.api.propagation import Placement, PlacementExtras
from shared.placement.caching import FleetView, requirements_key, view_of
from shared.placement.dividing import (
    Candidate,
    SchedulingError,
    UnschedulableError,
    assign_replicas,
)
from shared.placement.estimating import MAX_INT32, is_workload
from shared.placement.filtering import FilterContext, FitError, Verdict, gpu_product, verdict
from shared.placement.spreading import select_clusters, skew_rules, sort_candidates

LOCALITY_SCORE = 100
NO_OVERFLOW_TERM = 1000
SUCCESS_MESSAGE = "Binding has been scheduled successfully."

_NO_EXTRAS = PlacementExtras()
FailureReason = Literal["NoClusterFit", "Unschedulable", "SchedulerError"]


@dataclass(frozen=True)
class SchedulingFailure:
    """Why an attempt failed; `cluster_reasons` names each filtered cluster's reason."""

    reason: FailureReason
    message: str
    cluster_reasons: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PlacementResult:
    """`clusters` is the new `spec.clusters`, or None when the previous result is kept."""

    clusters: list[TargetCluster] | None
    affinity_name: str = ""
    failure: SchedulingFailure | None = None

    @property
    def scheduled(self) -> bool:
        return self.failure is None

    def condition(self) -> Condition:
        """The binding's `Scheduled` condition as Karmada's `getConditionByError` sets it."""
        if self.failure is None:
            return Condition(
                type=CONDITION_SCHEDULED,
                status="True",
                reason=REASON_SUCCESS,
                message=SUCCESS_MESSAGE,
            )
        return Condition(
            type=CONDITION_SCHEDULED,
            status="False",
            reason=self.failure.reason,
            message=self.failure.message,
        )


@dataclass(frozen=True)
class _Request:
    resource: ObjectReference
    replicas: int
    requirements: ReplicaRequirements | None
    placement: Placement
    clusters: Sequence[Cluster]
    previous: Sequence[TargetCluster]
    evicting: Collection[str]
    fresh: bool
    extras: PlacementExtras
    empty_workload_propagation: bool
    view: FleetView
    placement_key: str
    """The placement's and the extras' JSON: what memoized verdicts are keyed by."""


def _preference_matches(requirement: FieldSelectorRequirement, cluster: Cluster) -> bool:
    """Fleet preferences read cluster labels; provider/region/zone fall back to the spec."""
    fields = {"provider": cluster.spec.provider, "region": cluster.spec.region}
    zones = cluster.effective_zones()
    values: list[str]
    if requirement.key in cluster.metadata.labels:
        values = [cluster.metadata.labels[requirement.key]]
    elif requirement.key == "zone":
        values = zones
    else:
        value = fields.get(requirement.key)
        values = [value] if value else []
    if requirement.operator == "In":
        return any(v in requirement.values for v in values)
    if requirement.operator == "NotIn":
        return not any(v in requirement.values for v in values)
    if requirement.operator == "Exists":
        return bool(values)
    if requirement.operator == "DoesNotExist":
        return not values
    return False


def _preference_score(request: _Request, cluster: Cluster) -> int:
    """Navarch preference weights (ClusterLocality is added per binding)."""
    score = 0
    affinity = request.placement.cluster_affinity
    for term in affinity.preferred_during_scheduling_ignored_during_execution if affinity else []:
        expressions = term.preference.match_expressions
        if all(_preference_matches(e, cluster) for e in expressions):
            score += term.weight
    for preference in request.extras.preference:
        if preference.preference.matches(gpu_product(cluster)):
            score += preference.weight
    return score


def _affinities(request: _Request, name: str) -> tuple[list[ClusterAffinity] | None, bool]:
    """The affinities the filter accepts (None = all) and whether overflow tiers are on.

    With `clusterAffinities`: the observed term plus, for workloads, its overflow terms.
    """
    placement = request.placement
    if placement.cluster_affinity is not None:
        return [placement.cluster_affinity], False
    for term in placement.cluster_affinities or []:
        if term.affinity_name != name:
            continue
        affinities: list[ClusterAffinity] = [term]
        workload = is_workload(request.replicas, request.requirements)
        if workload:
            affinities.extend(term.overflow_affinities or [])
        return affinities, term.overflow_affinities is not None
    return None, False


def _overflow_order(request: _Request, cluster: Cluster, name: str) -> int:
    placement = request.placement
    if placement.cluster_affinity is not None or not placement.cluster_affinities:
        return 0
    for term in placement.cluster_affinities:
        if term.affinity_name != name:
            continue
        if cluster_matches(cluster, term):
            return 0
        for index, overflow in enumerate(term.overflow_affinities or []):
            if cluster_matches(cluster, overflow):
                return index + 1
        break
    return NO_OVERFLOW_TERM


@dataclass(frozen=True, slots=True)
class _Row:
    """A live cluster as one placement sees it, before the binding is known."""

    index: int
    name: str
    cluster: Cluster
    verdict: Verdict
    overflow_order: int
    score: int


@dataclass(frozen=True)
class _Verdicts:
    rows: list[_Row]
    feasible: list[_Row]
    """The rows that pass when the binding targets and evicts nothing."""
    rejected: dict[str, str]


def _verdicts(
    request: _Request, affinity_name: str, affinities: list[ClusterAffinity] | None
) -> _Verdicts:
    """Run the filter plugins and the static scores over every live cluster of the view."""
    placement = request.placement
    context = FilterContext(
        api_version=request.resource.api_version,
        kind=request.resource.kind,
        affinities=affinities,
        tolerations=placement.all_tolerations(),
        spread_constraints=placement.spread_constraints,
        resource_constraints=request.extras.resource_constraints,
    )
    rows: list[_Row] = []
    feasible: list[_Row] = []
    rejected: dict[str, str] = {}
    for index, facts in enumerate(request.view.facts):
        if facts.deleting:
            continue
        cluster = facts.cluster
        row = _Row(
            index=index,
            name=facts.name,
            cluster=cluster,
            verdict=verdict(context, cluster),
            overflow_order=_overflow_order(request, cluster, affinity_name),
            score=_preference_score(request, cluster),
        )
        rows.append(row)
        reason = row.verdict.reason(scheduled=False, evicting=False)
        if reason is None:
            feasible.append(row)
        else:
            rejected[row.name] = reason
    return _Verdicts(rows, feasible, rejected)


def _candidates(request: _Request, affinity_name: str, workload: bool) -> list[Candidate]:
    """Filter, estimate and score (Karmada's order of candidates); raises FitError.

    Verdicts, estimates and, for a binding with no previous result and no eviction, the
    sorted candidates themselves are memoized on the view: they depend only on the
    clusters, the placement (its JSON), the resource kind and the requirements.
    """
    affinities, _ = _affinities(request, affinity_name)
    view = request.view
    key = (
        request.resource.api_version,
        request.resource.kind,
        request.placement_key,
        affinity_name,
        workload,
    )
    verdicts: _Verdicts = view.memo(
        ("verdicts", key), lambda: _verdicts(request, affinity_name, affinities)
    )
    replicas, requirements = request.replicas, request.requirements
    needs = requirements_key(requirements)
    estimates, unlimited = view.estimates(needs, requirements)
    variant = 0 if replicas == 0 else replicas if unlimited else -1

    def allocatable(row: _Row) -> int:
        """`calAvailableReplicas`: replicas 0 gives 0, no estimate gives `replicas`."""
        if replicas == 0:
            return 0
        estimate = estimates[row.index]
        return replicas if estimate == MAX_INT32 else estimate

    def candidate(row: _Row) -> Candidate:
        free = allocatable(row)
        return Candidate(
            name=row.name,
            cluster=row.cluster,
            allocatable_replicas=free,
            available_replicas=free,
            overflow_order=row.overflow_order,
            score=row.score,
        )

    previous, evicting = request.previous, request.evicting
    if not previous and not evicting:
        if not verdicts.feasible:
            raise FitError(num_all_clusters=len(request.clusters), reasons=verdicts.rejected)
        sorted_candidates: list[Candidate] = view.memo(
            ("candidates", key, needs, variant),
            lambda: sort_candidates([candidate(row) for row in verdicts.feasible]),
        )
        return sorted_candidates
    scheduled = {t.name for t in previous}
    assigned = {t.name: t.replicas for t in previous}
    rejected: dict[str, str] = {}
    chosen: list[Candidate] = []
    unbound: dict[int, Candidate] = view.memo(("unbound", key, needs, variant), dict)
    for row in verdicts.rows:
        bound = row.name in scheduled
        reason = row.verdict.reason(scheduled=bound, evicting=row.name in evicting)
        if reason is not None:
            rejected[row.name] = reason
        elif bound:
            free = allocatable(row)
            chosen.append(
                Candidate(
                    name=row.name,
                    cluster=row.cluster,
                    allocatable_replicas=free,
                    available_replicas=free + assigned.get(row.name, 0),
                    overflow_order=row.overflow_order,
                    score=row.score + LOCALITY_SCORE,
                )
            )
        else:
            found = unbound.get(row.index)
            if found is None:
                found = unbound[row.index] = candidate(row)
            chosen.append(found)
    if not chosen:
        raise FitError(num_all_clusters=len(request.clusters), reasons=rejected)
    return sort_candidates(chosen)


def _attempt(request: _Request, affinity_name: str) -> list[TargetCluster]:
    """One `genericScheduler.Schedule`; raises FitError, UnschedulableError, SchedulingError."""
    placement = request.placement
    _, overflow = _affinities(request, affinity_name)
    workload = is_workload(request.replicas, request.requirements)
    candidates = _candidates(request, affinity_name, workload)
    try:
        selected = select_clusters(
            candidates, placement=placement, replicas=request.replicas, presorted=True
        )
    except SchedulingError as error:
        raise SchedulingError(f"failed to select clusters: {error}") from error
    try:
        result = assign_replicas(
            selected,
            placement=placement,
            replicas=request.replicas,
            workload=workload,
            uid=request.resource.uid,
            previous=request.previous,
            fresh=request.fresh,
            overflow=overflow and workload,
            skew=skew_rules(placement, selected),
        )
    except UnschedulableError as error:
        raise UnschedulableError(f"failed to assign replicas: {error}") from error
    except SchedulingError as error:
        raise SchedulingError(f"failed to assign replicas: {error}") from error
    if request.empty_workload_propagation:
        present = {t.name for t in result}
        result.extend(TargetCluster(name=c.name) for c in selected if c.name not in present)
    return result


def _failure(error: Exception) -> SchedulingFailure:
    if isinstance(error, FitError):
        return SchedulingFailure(REASON_NO_CLUSTER_FIT, error.message, error.reasons)
    if isinstance(error, UnschedulableError):
        return SchedulingFailure(REASON_UNSCHEDULABLE, str(error))
    return SchedulingFailure(REASON_SCHEDULER_ERROR, str(error))


def _with_affinities(request: _Request, observed: str) -> PlacementResult:
    terms = request.placement.cluster_affinities or []
    names = [term.affinity_name for term in terms]
    index = 0 if request.fresh or observed not in names else names.index(observed)
    first_error: Exception | None = None
    for term in terms[index:]:
        try:
            return PlacementResult(_attempt(request, term.affinity_name), term.affinity_name)
        except (FitError, UnschedulableError, SchedulingError) as error:
            first_error = first_error or error
    if first_error is None:
        return PlacementResult(list(request.previous), observed)
    cleared = [] if isinstance(first_error, FitError) else None
    return PlacementResult(cleared, observed, _failure(first_error))


def place(
    *,
    resource: ObjectReference,
    replicas: int,
    replica_requirements: ReplicaRequirements | None,
    placement: Placement,
    clusters: Sequence[Cluster],
    previous: Sequence[TargetCluster] = (),
    observed_affinity_name: str = "",
    evicting: Collection[str] = frozenset(),
    reschedule: bool = False,
    extras: PlacementExtras | None = None,
    empty_workload_propagation: bool = False,
) -> PlacementResult:
    """Schedule one resource; a FitError clears the result, other failures keep `previous`.

    `placement` should already carry webhook defaults (`default_placement`); `reschedule`
    is Karmada's Fresh mode (`rescheduleTriggeredAt` newer than `lastScheduledTime`).
    """
    request = _Request(
        resource=resource,
        replicas=replicas,
        requirements=replica_requirements,
        placement=placement,
        clusters=clusters,
        previous=previous,
        evicting=evicting,
        fresh=reschedule,
        extras=_NO_EXTRAS if extras is None else extras,
        empty_workload_propagation=empty_workload_propagation,
        view=view_of(clusters),
        placement_key=placement.model_dump_json()
        + ("" if extras is None else extras.model_dump_json()),
    )
    if placement.cluster_affinity is None and placement.cluster_affinities is not None:
        return _with_affinities(request, observed_affinity_name)
    try:
        return PlacementResult(_attempt(request, observed_affinity_name), observed_affinity_name)
    except (FitError, UnschedulableError, SchedulingError) as error:
        cleared = [] if isinstance(error, FitError) else None
        return PlacementResult(cleared, observed_affinity_name, _failure(error))


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def reschedule_required(triggered_at: str | None, last_scheduled: str | None) -> bool:
    """`util.RescheduleRequired`: only after a first successful schedule."""
    if triggered_at is None or last_scheduled is None:
        return False
    return _parse_time(triggered_at) > _parse_time(last_scheduled)


def place_binding(
    binding: ResourceBinding,
    *,
    clusters: Sequence[Cluster],
    extras: PlacementExtras | None = None,
    empty_workload_propagation: bool = False,
) -> PlacementResult:
    """`place` for a (Cluster)ResourceBinding: previous result, eviction tasks, Fresh mode."""
    spec, status = binding.spec, binding.status
    return place(
        resource=spec.resource,
        replicas=spec.replicas,
        replica_requirements=spec.replica_requirements,
        placement=spec.placement or Placement(),
        clusters=clusters,
        previous=spec.clusters,
        observed_affinity_name=status.scheduler_observed_affinity_name,
        evicting=spec.evicting_clusters(),
        reschedule=reschedule_required(spec.reschedule_triggered_at, status.last_scheduled_time),
        extras=extras,
        empty_workload_propagation=empty_workload_propagation,
    )
