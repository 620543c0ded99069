"""Whole evaluations, after the controller cases of Kubernetes' horizontal_test.go."""

import pytest

from services.scaler.autoscaling import (
    ScaleObservation,
    ScalingHistory,
    evaluate,
    rescale_failed,
    rfc3339,
)
from services.scaler.behaviors import Recommendation
from services.scaler.defaulting import default_spec
from services.scaler.metric_proposals import MetricObservation
from services.scaler.models import (
    CrossVersionObjectReference,
    ExternalMetricSource,
    FederatedHPASpec,
    HorizontalPodAutoscalerBehavior,
    HorizontalPodAutoscalerCondition,
    HorizontalPodAutoscalerSpec,
    HorizontalPodAutoscalerStatus,
    HPAScalingRules,
    MetricIdentifier,
    MetricSpec,
    MetricTarget,
    MetricValueStatus,
    ResourceMetricSource,
    build,
)
from services.scaler.replica_calculating import ContainerRequests, ContainerUsage, PodSample
from shared.api.meta import LabelSelector
from tests.unit.scaler.scaler_fixtures import NOW, TEST_SETTINGS

TARGET = CrossVersionObjectReference(kind="ReplicationController", name="test-rc", api_version="v1")
CPU_NAME = "cpu resource utilization (percentage of request)"


def cpu_metric(target: int) -> MetricSpec:
    return MetricSpec(
        type="Resource",
        resource=ResourceMetricSource(
            name="cpu", target=MetricTarget(type="Utilization", average_utilization=target)
        ),
    )


def spec(*, low: int, high: int, metrics: list[MetricSpec], behavior=None):
    return HorizontalPodAutoscalerSpec(
        scale_target_ref=TARGET,
        min_replicas=low,
        max_replicas=high,
        metrics=metrics,
        behavior=behavior,
    )


def pods(count: int, request: str = "1000") -> list[PodSample]:
    """horizontal_test.go's pods: one container each, requesting 1 CPU, ready and running."""
    return [
        PodSample(f"test-pod-{index}", (ContainerRequests("container", {"cpu": int(request)}),))
        for index in range(count)
    ]


def cpu_levels(*levels: int) -> MetricObservation:
    usage = {
        f"test-pod-{index}": ContainerUsage({"container": level}, timestamp=NOW)
        for index, level in enumerate(levels)
    }
    return MetricObservation(usage=usage)


def run(hpa_spec, replicas: int, observations, *, history=None, status=None, calibration=1.0):
    return evaluate(
        spec=hpa_spec,
        status=status or HorizontalPodAutoscalerStatus(),
        namespace="test-namespace",
        scale=ScaleObservation(replicas, replicas, calibration),
        pods=pods(replicas),
        observations=observations,
        history=history or ScalingHistory(),
        now=NOW,
        settings=TEST_SETTINGS,
    )


def conditions(decision) -> list[tuple[str, str, str]]:
    return [(c.type, c.status, c.reason) for c in decision.status.conditions]


def test_scale_up() -> None:
    """TestScaleUp: 50 % against a 30 % target, 3 → 5 replicas."""
    decision = run(spec(low=2, high=6, metrics=[cpu_metric(30)]), 3, [cpu_levels(300, 500, 700)])
    assert (decision.rescale, decision.desired_replicas) == (True, 5)
    assert conditions(decision) == [
        ("AbleToScale", "True", "SucceededRescale"),
        ("ScalingActive", "True", "ValidMetricFound"),
        ("ScalingLimited", "False", "DesiredWithinRange"),
    ]
    status = decision.status.to_dict()
    assert status["currentMetrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "current": {"averageValue": "500m", "averageUtilization": 50},
            },
        }
    ]
    assert (status["currentReplicas"], status["desiredReplicas"]) == (3, 5)
    assert status["lastScaleTime"] == rfc3339(NOW)
    messages = {c.reason: c.message for c in decision.status.conditions}
    assert (
        messages["SucceededRescale"]
        == "the HPA controller was able to update the target scale to 5"
    )
    assert messages["ValidMetricFound"] == (
        f"the HPA was able to successfully calculate a replica count from {CPU_NAME}"
    )
    assert decision.events[-1].message == f"New size: 5; reason: {CPU_NAME} above target"


def test_scale_up_with_one_invalid_metric() -> None:
    """TestScaleUpOneMetricInvalid: a broken metric does not block a scale-up."""
    cheddar = MetricSpec.model_construct(type="CheddarCheese")
    decision = run(
        spec(low=2, high=6, metrics=[cpu_metric(30), cheddar]),
        3,
        [cpu_levels(300, 400, 500), MetricObservation()],
    )
    assert decision.desired_replicas == 4
    assert decision.error == (
        "invalid metrics (1 invalid out of 2), first error is: unknown metric source type "
        '"CheddarCheese"'
    )
    assert [status.type for status in decision.status.current_metrics] == ["Resource", ""]


def test_no_scale_down_when_a_metric_is_invalid() -> None:
    """computeReplicasForMetrics: some metrics invalid and the rest would scale down → -1."""
    cheddar = MetricSpec.model_construct(type="CheddarCheese")
    decision = run(
        spec(low=2, high=6, metrics=[cpu_metric(50), cheddar]),
        5,
        [cpu_levels(100, 300, 500, 250, 250), MetricObservation()],
        status=HorizontalPodAutoscalerStatus(desired_replicas=5),
    )
    assert (decision.rescale, decision.desired_replicas) == (False, 5)
    assert ("ScalingActive", "False", "InvalidMetricSourceType") in conditions(decision)


def test_scale_down_without_history() -> None:
    """TestScaleDown: with an empty (not unknown) history nothing holds the scale-down back."""
    decision = run(
        spec(low=2, high=6, metrics=[cpu_metric(50)]),
        5,
        [cpu_levels(100, 300, 500, 250, 250)],
        history=ScalingHistory(recommendations=[]),
    )
    assert decision.desired_replicas == 3
    assert decision.events[-1].message == "New size: 3; reason: All metrics below target"


def test_first_scale_down_is_stabilized() -> None:
    """recordInitialRecommendation seeds the window with the current count: no drop at once."""
    decision = run(
        spec(low=2, high=6, metrics=[cpu_metric(50)]), 5, [cpu_levels(100, 100, 100, 100, 100)]
    )
    assert (decision.rescale, decision.desired_replicas) == (False, 5)
    assert ("AbleToScale", "True", "ScaleDownStabilized") in conditions(decision)
    assert [entry.replicas for entry in decision.history.recommendations or []] == [5, 1]


def test_zero_replicas_disable_scaling() -> None:
    """TestZeroReplicas."""
    decision = run(spec(low=3, high=5, metrics=[cpu_metric(90)]), 0, [])
    assert (decision.rescale, decision.desired_replicas) == (False, 0)
    assert conditions(decision) == [
        ("AbleToScale", "True", "SucceededGetScale"),
        ("ScalingActive", "False", "ScalingDisabled"),
    ]
    assert decision.status.conditions[1].message == (
        "scaling is disabled since the replica count of the target is zero"
    )


@pytest.mark.parametrize(
    ("replicas", "expected", "reason"),
    [
        (2, 3, "Current number of replicas below Spec.MinReplicas"),  # TestTooFewReplicas
        (10, 5, "Current number of replicas above Spec.MaxReplicas"),  # TestTooManyReplicas
    ],
)
def test_outside_min_max(replicas, expected, reason) -> None:
    decision = run(spec(low=3, high=5, metrics=[cpu_metric(90)]), replicas, [])
    assert (decision.desired_replicas, decision.rescale_reason) == (expected, reason)
    assert conditions(decision) == [("AbleToScale", "True", "SucceededRescale")]


def test_every_metric_failing_keeps_the_scale() -> None:
    decision = run(
        spec(low=1, high=5, metrics=[cpu_metric(50)]),
        3,
        [MetricObservation(error="something went wrong")],
        status=HorizontalPodAutoscalerStatus(desired_replicas=3, last_scale_time="T"),
    )
    assert (decision.rescale, decision.status.desired_replicas) == (False, 3)
    active = decision.status.conditions[1]
    assert (active.status, active.reason) == ("False", "FailedGetResourceMetric")
    assert active.message == (
        "the HPA was unable to compute the replica count: failed to get cpu utilization: "
        "unable to get metrics for resource cpu: something went wrong"
    )
    assert decision.error == (
        "failed to compute desired number of replicas based on listed metrics for "
        "ReplicationController/test-namespace/test-rc: invalid metrics (1 invalid out of 1), "
        "first error is: failed to get cpu resource metric value: failed to get cpu "
        "utilization: unable to get metrics for resource cpu: something went wrong"
    )
    assert decision.status.last_scale_time == "T"


def test_external_metric_name_prints_the_selector_like_go() -> None:
    external = MetricSpec(
        type="External",
        external=ExternalMetricSource(
            metric=MetricIdentifier(
                name="qps", selector=LabelSelector(match_labels={"label": "value"})
            ),
            target=MetricTarget(type="Value", value="4400m"),
        ),
    )
    decision = run(spec(low=1, high=10, metrics=[external]), 3, [MetricObservation(values=(8600,))])
    assert decision.desired_replicas == 6
    assert decision.status.conditions[1].message == (
        "the HPA was able to successfully calculate a replica count from external metric "
        "qps(&LabelSelector{MatchLabels:map[string]string{label: value,},"
        "MatchExpressions:[]LabelSelectorRequirement{},})"
    )
    assert decision.status.current_metrics[0].to_dict()["external"]["current"] == {"value": "8600m"}


def test_behavior_limits_scale_up_and_records_the_event() -> None:
    behavior = HorizontalPodAutoscalerBehavior(scale_up=HPAScalingRules(select_policy="Min"))
    decision = run(
        spec(low=1, high=100, metrics=[cpu_metric(10)], behavior=behavior),
        2,
        [cpu_levels(1000, 1000)],
    )
    assert decision.desired_replicas == 4  # min(2 + 4 pods, 2 * 200 %) per 15 s
    assert ("ScalingLimited", "True", "ScaleUpLimit") in conditions(decision)
    assert [event.change for event in decision.history.scale_up_events] == [2]


def test_failed_rescale_reports_and_forgets_the_event() -> None:
    behavior = HorizontalPodAutoscalerBehavior()
    decision = run(
        spec(low=1, high=10, metrics=[cpu_metric(30)], behavior=behavior),
        3,
        [cpu_levels(300, 500, 700)],
        status=HorizontalPodAutoscalerStatus(desired_replicas=3),
    )
    failed = rescale_failed(decision, error="conflict")
    able = failed.status.conditions[0]
    assert (able.status, able.reason) == ("False", "FailedUpdateScale")
    assert able.message == "the HPA controller was unable to update the target scale: conflict"
    assert (failed.status.desired_replicas, failed.status.last_scale_time) == (3, None)
    assert failed.history.scale_up_events == []
    assert failed.events[-1].message == (
        f"New size: 5; reason: {CPU_NAME} above target; error: conflict"
    )
    assert (
        failed.error == "failed to rescale ReplicationController/test-namespace/test-rc: conflict"
    )


def test_transition_time_moves_only_when_status_changes() -> None:
    earlier = HorizontalPodAutoscalerStatus(
        conditions=[
            HorizontalPodAutoscalerCondition(
                type="ScalingActive",
                status="True",
                reason="ValidMetricFound",
                message="old",
                last_transition_time="2020-01-01T00:00:00Z",
            ),
            HorizontalPodAutoscalerCondition(
                type="AbleToScale",
                status="False",
                reason="FailedGetScale",
                last_transition_time="X",
            ),
        ]
    )
    decision = run(
        spec(low=2, high=6, metrics=[cpu_metric(30)]),
        3,
        [cpu_levels(300, 500, 700)],
        status=earlier,
    )
    times = {c.type: c.last_transition_time for c in decision.status.conditions}
    assert times == {
        "ScalingActive": "2020-01-01T00:00:00Z",
        "AbleToScale": rfc3339(NOW),
        "ScalingLimited": rfc3339(NOW),
    }


def test_federated_hpa_calibration_divides_the_proposal() -> None:
    """Karmada's FederatedHPA: members run twice the template's replicas → half the proposal."""
    fhpa = default_spec(FederatedHPASpec(scale_target_ref=TARGET, max_replicas=20))
    decision = run(fhpa, 4, [cpu_levels(1600, 1600, 1600, 1600)], calibration=2.0)
    assert decision.desired_replicas == 4  # ceil(2.0 * 4 / 2.0); 8 without calibration


def test_defaults() -> None:
    """SetDefaultsFederatedHPA / autoscaling/v2 defaults."""
    defaulted = default_spec(
        FederatedHPASpec(
            scale_target_ref=TARGET,
            max_replicas=5,
            behavior=HorizontalPodAutoscalerBehavior(
                scale_down=HPAScalingRules(stabilization_window_seconds=60)
            ),
        )
    )
    assert defaulted.min_replicas == 1
    assert defaulted.metrics[0].to_dict() == {
        "type": "Resource",
        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
    }
    behavior = defaulted.behavior.to_dict()
    assert behavior["scaleUp"] == {
        "stabilizationWindowSeconds": 0,
        "selectPolicy": "Max",
        "policies": [
            {"type": "Pods", "value": 4, "periodSeconds": 15},
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ],
    }
    assert behavior["scaleDown"] == {
        "stabilizationWindowSeconds": 60,
        "selectPolicy": "Max",
        "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
    }


def test_history_seed_is_the_current_count() -> None:
    decision = run(spec(low=1, high=6, metrics=[cpu_metric(50)]), 3, [cpu_levels(500, 500, 500)])
    assert decision.history.recommendations == [Recommendation(3, NOW), Recommendation(3, NOW)]


def test_build_matches_model_construct() -> None:
    """The hot-path constructor gives the same model (dump and fields set) as model_construct."""
    fast = build(HorizontalPodAutoscalerStatus, current_replicas=3, desired_replicas=4)
    slow = HorizontalPodAutoscalerStatus.model_construct(current_replicas=3, desired_replicas=4)
    assert fast == slow
    assert (
        fast.model_fields_set == slow.model_fields_set == {"current_replicas", "desired_replicas"}
    )
    assert fast.to_dict() == {
        "currentReplicas": 3,
        "desiredReplicas": 4,
        "currentMetrics": [],
        "conditions": [],
    }
    assert fast.current_metrics is not build(HorizontalPodAutoscalerStatus).current_metrics
    assert build(MetricValueStatus, value="1").to_dict() == {"value": "1"}
