"""autoscaling/v2 HorizontalPodAutoscaler and Karmada's autoscaling.karmada.io/v1alpha1 kinds.

Field by field after `k8s.io/api/autoscaling/v2` types.go and Karmada's
`pkg/apis/autoscaling/v1alpha1` (federatedhpa_types.go, cronfederatedhpa_types.go), so users'
YAML round-trips unchanged. Quantities stay strings as written; the cores read their milli
values through `milli_quantity`, cached because the same targets are read every evaluation.
"""

from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal, TypeVar

from pydantic import Field

from shared.api.base import KubeModel
from shared.api.meta import LabelSelector, ObjectMeta
from shared.quantity import milli_value, parse_quantity

AUTOSCALING_V2 = "autoscaling/v2"
KARMADA_AUTOSCALING = "autoscaling.karmada.io/v1alpha1"
FEDERATED_HPA_KIND = "FederatedHPA"
CRON_FEDERATED_HPA_KIND = "CronFederatedHPA"

MetricSourceType = Literal["Object", "Pods", "Resource", "ContainerResource", "External"]
MetricTargetType = Literal["Utilization", "Value", "AverageValue"]
ScalingPolicyType = Literal["Pods", "Percent"]
ScalingPolicySelect = Literal["Max", "Min", "Disabled"]
ConditionStatus = Literal["True", "False", "Unknown"]
HpaConditionType = Literal["ScalingActive", "AbleToScale", "ScalingLimited"]


Model = TypeVar("Model", bound=KubeModel)
_BLANKS: dict[type, tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]] = {}


def _blank(
    model: type[KubeModel],
) -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]:
    defaults: dict[str, Any] = {}
    factories: list[tuple[str, Callable[[], Any]]] = []
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            factories.append((name, field.default_factory))  # type: ignore[arg-type]
        elif not field.is_required():
            defaults[name] = field.default
    _BLANKS[model] = (defaults, tuple(factories))
    return _BLANKS[model]


def build(model: type[Model], /, **values: Any) -> Model:
    """`model_construct` for the evaluation hot path: the same instance, without its field loop.

    Values are the cores' own, by field name; defaults are read once per model class.
    """
    defaults, factories = _BLANKS.get(model) or _blank(model)
    data = {**defaults, **values}
    for name, factory in factories:
        if name not in values:
            data[name] = factory()
    instance = model.__new__(model)
    object.__setattr__(instance, "__dict__", data)
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    object.__setattr__(instance, "__pydantic_extra__", {})
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


@lru_cache(maxsize=4096)
def milli_quantity(text: str) -> int:
    """`Quantity.MilliValue()` of a quantity string (exact, rounded up like Kubernetes)."""
    return milli_value(parse_quantity(text))


class CrossVersionObjectReference(KubeModel):
    kind: str
    name: str
    api_version: str = ""


class MetricIdentifier(KubeModel):
    name: str
    selector: LabelSelector | None = None


class MetricTarget(KubeModel):
    type: MetricTargetType
    value: str | None = None
    average_value: str | None = None
    average_utilization: int | None = None


class ResourceMetricSource(KubeModel):
    name: str
    target: MetricTarget


class ContainerResourceMetricSource(KubeModel):
    name: str
    target: MetricTarget
    container: str


class PodsMetricSource(KubeModel):
    metric: MetricIdentifier
    target: MetricTarget


class ObjectMetricSource(KubeModel):
    described_object: CrossVersionObjectReference
    target: MetricTarget
    metric: MetricIdentifier


class ExternalMetricSource(KubeModel):
    metric: MetricIdentifier
    target: MetricTarget


class MetricSpec(KubeModel):
    type: MetricSourceType
    object: ObjectMetricSource | None = None
    pods: PodsMetricSource | None = None
    resource: ResourceMetricSource | None = None
    container_resource: ContainerResourceMetricSource | None = None
    external: ExternalMetricSource | None = None


class HPAScalingPolicy(KubeModel):
    type: ScalingPolicyType
    value: int
    period_seconds: int


class HPAScalingRules(KubeModel):
    stabilization_window_seconds: int | None = None
    select_policy: ScalingPolicySelect | None = None
    policies: list[HPAScalingPolicy] | None = None
    tolerance: str | None = Field(default=None, description="HPAConfigurableTolerance (beta)")


class HorizontalPodAutoscalerBehavior(KubeModel):
    scale_up: HPAScalingRules | None = None
    scale_down: HPAScalingRules | None = None


class HorizontalPodAutoscalerSpec(KubeModel):
    scale_target_ref: CrossVersionObjectReference
    min_replicas: int | None = None
    max_replicas: int
    metrics: list[MetricSpec] = Field(default_factory=list)
    behavior: HorizontalPodAutoscalerBehavior | None = None


class MetricValueStatus(KubeModel):
    value: str | None = None
    average_value: str | None = None
    average_utilization: int | None = None


class ResourceMetricStatus(KubeModel):
    name: str
    current: MetricValueStatus


class ContainerResourceMetricStatus(KubeModel):
    name: str
    current: MetricValueStatus
    container: str


class PodsMetricStatus(KubeModel):
    metric: MetricIdentifier
    current: MetricValueStatus


class ObjectMetricStatus(KubeModel):
    metric: MetricIdentifier
    current: MetricValueStatus
    described_object: CrossVersionObjectReference | None = None


class ExternalMetricStatus(KubeModel):
    metric: MetricIdentifier
    current: MetricValueStatus


class MetricStatus(KubeModel):
    """`type` is "" for a metric that could not be computed: Kubernetes leaves a zero entry."""

    type: MetricSourceType | Literal[""]
    object: ObjectMetricStatus | None = None
    pods: PodsMetricStatus | None = None
    resource: ResourceMetricStatus | None = None
    container_resource: ContainerResourceMetricStatus | None = None
    external: ExternalMetricStatus | None = None


class HorizontalPodAutoscalerCondition(KubeModel):
    type: HpaConditionType
    status: ConditionStatus
    last_transition_time: str | None = None
    reason: str = ""
    message: str = ""


class HorizontalPodAutoscalerStatus(KubeModel):
    observed_generation: int | None = None
    last_scale_time: str | None = None
    current_replicas: int = 0
    desired_replicas: int = 0
    current_metrics: list[MetricStatus] = Field(default_factory=list)
    conditions: list[HorizontalPodAutoscalerCondition] = Field(default_factory=list)


class HorizontalPodAutoscaler(KubeModel):
    api_version: str = AUTOSCALING_V2
    kind: str = "HorizontalPodAutoscaler"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: HorizontalPodAutoscalerSpec
    status: HorizontalPodAutoscalerStatus = Field(default_factory=HorizontalPodAutoscalerStatus)


class FederatedHPASpec(KubeModel):
    """Karmada's FederatedHPASpec: the HPA spec minus nothing, metrics default to 80 % CPU."""

    scale_target_ref: CrossVersionObjectReference
    min_replicas: int | None = None
    max_replicas: int
    metrics: list[MetricSpec] = Field(default_factory=list)
    behavior: HorizontalPodAutoscalerBehavior | None = None


class FederatedHPA(KubeModel):
    api_version: str = KARMADA_AUTOSCALING
    kind: str = FEDERATED_HPA_KIND
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: FederatedHPASpec
    status: HorizontalPodAutoscalerStatus = Field(default_factory=HorizontalPodAutoscalerStatus)


class CronFederatedHPARule(KubeModel):
    name: str
    schedule: str
    target_replicas: int | None = None
    target_min_replicas: int | None = None
    target_max_replicas: int | None = None
    suspend: bool | None = None
    time_zone: str | None = None
    successful_history_limit: int | None = None
    failed_history_limit: int | None = None


class CronFederatedHPASpec(KubeModel):
    scale_target_ref: CrossVersionObjectReference
    rules: list[CronFederatedHPARule]


class SuccessfulExecution(KubeModel):
    schedule_time: str | None
    execution_time: str | None
    applied_replicas: int | None = None
    applied_max_replicas: int | None = None
    applied_min_replicas: int | None = None


class FailedExecution(KubeModel):
    schedule_time: str | None
    execution_time: str | None
    message: str


class ExecutionHistory(KubeModel):
    rule_name: str
    next_execution_time: str | None = None
    successful_executions: list[SuccessfulExecution] = Field(default_factory=list)
    failed_executions: list[FailedExecution] = Field(default_factory=list)


class CronFederatedHPAStatus(KubeModel):
    execution_histories: list[ExecutionHistory] = Field(default_factory=list)


class CronFederatedHPA(KubeModel):
    api_version: str = KARMADA_AUTOSCALING
    kind: str = CRON_FEDERATED_HPA_KIND
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: CronFederatedHPASpec
    status: CronFederatedHPAStatus = Field(default_factory=CronFederatedHPAStatus)
