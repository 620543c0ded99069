"""The detector's decisions: claims, binding spec, Karmada's §3 triggers, status, Fleet default."""

from typing import Any

import pytest

from services.scheduler.binding_sync import (
    APPLIED_PLACEMENT_ANNOTATION,
    binding_name,
    claim_marks,
    detector_spec,
    placement_json,
    released_binding,
    schedule_trigger,
    scheduled_status,
    with_label,
    without_claim,
)
from shared.api.binding import (
    ObjectReference,
    ReplicaRequirements,
    ResourceBinding,
    ResourceBindingStatus,
    TargetCluster,
)
from shared.api.cluster import Cluster
from shared.api.meta import Condition, ObjectMeta
from shared.api.propagation import Placement, PropagationPolicy
from shared.placement.placing import PlacementResult, SchedulingFailure
from shared.placement.policies import fleet_placement

POLICY = PropagationPolicy.model_validate(
    {
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "pp-uid",
            "labels": {"propagationpolicy.karmada.io/permanent-id": "pp-id"},
        },
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
            "placement": {"replicaScheduling": {"replicaSchedulingType": "Divided"}},
        },
    }
)
RESOURCE = ObjectReference(
    api_version="apps/v1", kind="Deployment", namespace="default", name="web"
)
CLUSTERS = {n: Cluster.model_validate({"metadata": {"name": n}}) for n in ("a", "b")}
SCHEDULED = Condition(type="Scheduled", status="True", reason="Success")


def binding(
    *,
    replicas: int = 4,
    clusters: dict[str, int] | None = None,
    placement: dict[str, Any] | None = None,
    applied: dict[str, Any] | None = None,
    conditions: list[Condition] | None = None,
) -> ResourceBinding:
    placement = placement if placement is not None else POLICY.spec.placement.to_dict()
    spec = detector_spec(
        existing=None,
        resource=RESOURCE,
        replicas=replicas,
        requirements=ReplicaRequirements(resource_request={"cpu": "1"}),
        placement=placement,
        policy=POLICY,
    )
    spec.clusters = [TargetCluster(name=n, replicas=r) for n, r in (clusters or {}).items()]
    applied = applied or (spec.placement or Placement()).to_dict()
    annotations = {APPLIED_PLACEMENT_ANNOTATION: placement_json(applied)}
    return ResourceBinding(
        metadata=ObjectMeta(name="web-deployment", annotations=annotations),
        spec=spec,
        status=ResourceBindingStatus(conditions=[SCHEDULED] if conditions is None else conditions),
    )


def trigger(rb: ResourceBinding) -> str | None:
    placement = (rb.spec.placement or Placement()).to_dict()
    return schedule_trigger(rb, clusters=CLUSTERS, applied_placement=placement_json(placement))


def test_names_and_claim_marks_are_karmadas() -> None:
    assert binding_name("nginx", "Deployment") == "nginx-deployment"
    labels, annotations = claim_marks(POLICY)
    assert labels == {"propagationpolicy.karmada.io/permanent-id": "pp-id"}
    assert annotations == {
        "propagationpolicy.karmada.io/namespace": "default",
        "propagationpolicy.karmada.io/name": "web",
    }
    claimed = {"name": "x", "labels": {"app": "a", **labels}, "annotations": annotations}
    assert without_claim(claimed) == {"name": "x", "labels": {"app": "a"}}


def test_a_permanent_id_is_written_once() -> None:
    """Karmada's mutating webhooks: `if GetLabelValue(...) == "" { MergeLabel(uuid) }`."""
    policy = {"metadata": {"name": "web", "labels": {"app": "a"}}}
    labelled = with_label(policy, label="propagationpolicy.karmada.io/permanent-id", value="1")
    assert labelled is not None
    assert labelled["metadata"]["labels"] == {
        "app": "a",
        "propagationpolicy.karmada.io/permanent-id": "1",
    }
    assert (
        with_label(labelled, label="propagationpolicy.karmada.io/permanent-id", value="2") is None
    )


def test_released_binding_keeps_everything_but_the_claim_marks() -> None:
    """`CleanupResourceBindingClaimMetadata`: the binding's own id, result and spec stay."""
    labels, annotations = claim_marks(POLICY)
    binding = {
        "metadata": {
            "name": "web-deployment",
            "labels": {"resourcebinding.karmada.io/permanent-id": "rb-id", **labels},
            "annotations": {APPLIED_PLACEMENT_ANNOTATION: "{}", **annotations},
        },
        "spec": {"clusters": [{"name": "a", "replicas": 2}]},
    }
    released = released_binding(binding)
    assert released is not None
    assert released["metadata"] == {
        "name": "web-deployment",
        "labels": {"resourcebinding.karmada.io/permanent-id": "rb-id"},
        "annotations": {APPLIED_PLACEMENT_ANNOTATION: "{}"},
    }
    assert released["spec"] == binding["spec"]
    assert released_binding(released) is None


def test_divided_workload_is_left_alone_when_nothing_that_matters_changed() -> None:
    assert trigger(binding(clusters={"a": 2, "b": 2})) is None


@pytest.mark.parametrize(
    ("rb", "expected"),
    [
        (binding(clusters={"a": 2, "b": 2}, conditions=[]), "NotScheduled"),
        (binding(clusters={"a": 2, "b": 2}, applied={"clusterAffinity": {}}), "PlacementChanged"),
        (binding(replicas=6, clusters={"a": 2, "b": 2}), "ReplicasChanged"),
        (binding(clusters={"a": 4}, placement={}), "Always"),
        (binding(clusters={"gone": 4}), "ClusterDeleted"),
    ],
)
def test_karmadas_rescheduling_triggers(rb: ResourceBinding, expected: str) -> None:
    assert trigger(rb) == expected


def test_status_keeps_transition_time_and_moves_last_scheduled_only_on_change() -> None:
    same = PlacementResult([TargetCluster(name="a", replicas=1)])
    current = ResourceBindingStatus(
        conditions=[same.condition().model_copy(update={"last_transition_time": "T0"})],
        last_scheduled_time="T0",
    )
    status = scheduled_status(current, result=same, generation=3, now="T1", decision_changed=False)
    assert status.conditions[0].last_transition_time == "T0"
    assert status.last_scheduled_time == "T0"
    assert status.scheduler_observed_generation == 3
    moved = scheduled_status(current, result=same, generation=3, now="T1", decision_changed=True)
    assert moved.last_scheduled_time == "T1"
    failure = SchedulingFailure("NoClusterFit", "0/2 clusters are available: ...")
    failed = scheduled_status(
        current,
        result=PlacementResult([], failure=failure),
        generation=3,
        now="T2",
        decision_changed=True,
    )
    condition = failed.conditions[0]
    assert (condition.status, condition.reason, condition.last_transition_time) == (
        "False",
        "NoClusterFit",
        "T2",
    )
    assert failed.last_scheduled_time == "T0"


FLEET = {
    "metadata": {"name": "global", "namespace": "default"},
    "spec": {
        "clusters": [{"name": "a"}, {"name": "b"}],
        "placement": {
            "spreadConstraints": [{"maxGroups": 2}],
            "clusterAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 60,
                        "preference": {
                            "matchExpressions": [
                                {"key": "region", "operator": "In", "values": ["asia"]}
                            ]
                        },
                    }
                ]
            },
        },
    },
}


def test_fleet_placement_fills_a_policy_that_names_no_clusters() -> None:
    placement = fleet_placement(Placement(), FLEET)
    assert placement.cluster_affinity is not None
    assert placement.cluster_affinity.cluster_names == ["a", "b"]
    preferred = placement.cluster_affinity.preferred_during_scheduling_ignored_during_execution
    assert preferred[0].weight == 60
    [constraint] = placement.spread_constraints
    assert (constraint.spread_by_field, constraint.max_groups, constraint.min_groups) == (
        "cluster",
        2,
        1,
    )


def test_a_policy_with_its_own_affinity_ignores_the_fleet() -> None:
    own = Placement.model_validate({"clusterAffinity": {"clusterNames": ["c"]}})
    assert fleet_placement(own, FLEET) == own
    assert fleet_placement(Placement(), None) == Placement()
