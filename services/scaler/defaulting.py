"""Defaults of autoscaling/v2 HPAs and Karmada FederatedHPAs (`SetDefaultsFederatedHPA`).

minReplicas 1, no metrics → 80 % average CPU utilization, and a behavior that is present gets
Kubernetes' scale-up rules (0 s window, max of 4 pods or 100 % per 15 s) and scale-down rules
(100 % per 15 s; the window stays unset for the controller's 300 s) in its unset fields.
"""

from typing import TypeVar

from services.scaler.behaviors import DEFAULT_SCALE_DOWN, DEFAULT_SCALE_UP, ScalingRules
from services.scaler.models import (
    FederatedHPASpec,
    HorizontalPodAutoscalerBehavior,
    HorizontalPodAutoscalerSpec,
    HPAScalingPolicy,
    HPAScalingRules,
    MetricSpec,
    MetricTarget,
    ResourceMetricSource,
)

DEFAULT_CPU_UTILIZATION = 80

Spec = TypeVar("Spec", HorizontalPodAutoscalerSpec, FederatedHPASpec)


def default_metrics() -> list[MetricSpec]:
    return [
        MetricSpec(
            type="Resource",
            resource=ResourceMetricSource(
                name="cpu",
                target=MetricTarget(
                    type="Utilization", average_utilization=DEFAULT_CPU_UTILIZATION
                ),
            ),
        )
    ]


def _generated(rules: HPAScalingRules | None, defaults: ScalingRules) -> HPAScalingRules:
    """`GenerateHPAScale{Up,Down}Rules`: the defaults, overridden by the user's set fields."""
    policies = [
        HPAScalingPolicy(type=policy.type, value=policy.value, period_seconds=policy.period_seconds)
        for policy in defaults.policies
    ]
    generated = HPAScalingRules(
        stabilization_window_seconds=defaults.stabilization_window_seconds,
        select_policy=defaults.select_policy,
        policies=policies,
    )
    if rules is None:
        return generated
    if rules.select_policy is not None:
        generated.select_policy = rules.select_policy
    if rules.stabilization_window_seconds is not None:
        generated.stabilization_window_seconds = rules.stabilization_window_seconds
    if rules.policies is not None:
        generated.policies = [policy.model_copy() for policy in rules.policies]
    generated.tolerance = rules.tolerance
    return generated


def default_spec(spec: Spec) -> Spec:
    """A defaulted copy; the input is left as the user wrote it."""
    defaulted = spec.model_copy(deep=True)
    if defaulted.min_replicas is None:
        defaulted.min_replicas = 1
    if not defaulted.metrics:
        defaulted.metrics = default_metrics()
    if defaulted.behavior is not None:
        defaulted.behavior = HorizontalPodAutoscalerBehavior(
            scale_up=_generated(defaulted.behavior.scale_up, DEFAULT_SCALE_UP),
            scale_down=_generated(defaulted.behavior.scale_down, DEFAULT_SCALE_DOWN),
        )
    return defaulted
