"""Whether evicting a pod would break its PodDisruptionBudget, decided as Kubernetes does.

The arithmetic is the disruption controller's (`pkg/controller/disruption/disruption.go`,
`getExpectedPodCount`): `maxUnavailable` (int or percentage of the controllers' scale,
rounded up) gives `desiredHealthy = expected - maxUnavailable`, floored at 0; an integer
`minAvailable` is `desiredHealthy` itself with the matching pods as the expected count; a
percentage `minAvailable` is that share of the controllers' scale, rounded up.
A pod that is not Ready may go when the budget is met and wants at least one healthy pod
(`IfHealthyBudget`, the default) or always (`AlwaysAllow`).
`disruptionsAllowed = currentHealthy - desiredHealthy`, 0 when negative or when nothing is
expected. The eviction answer and its wording are the API server's
(`pkg/registry/core/pod/storage/eviction.go`), so a node drain reports what `kubectl drain`
would print.
"""

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from shared.api.base import KubeModel
from shared.api.meta import LabelSelector, ObjectMeta
from shared.intstr import IntOrString, scaled_value

VIOLATION_MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget."
MULTIPLE_BUDGETS_MESSAGE = (
    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not "
    "support."
)
DISRUPTION_BUDGET_CAUSE = "DisruptionBudget"
_CAUSE_RE = re.compile(
    r"^The disruption budget (?P<name>\S+) needs (?P<desired>-?\d+) healthy pods "
    r"and has (?P<healthy>-?\d+) currently$"
)


class PodDisruptionBudgetSpec(KubeModel):
    min_available: IntOrString | None = None
    max_unavailable: IntOrString | None = None
    selector: LabelSelector | None = None
    unhealthy_pod_eviction_policy: Literal["IfHealthyBudget", "AlwaysAllow"] | None = None


class PodDisruptionBudget(KubeModel):
    api_version: str = "policy/v1"
    kind: str = "PodDisruptionBudget"
    metadata: ObjectMeta
    spec: PodDisruptionBudgetSpec = Field(default_factory=PodDisruptionBudgetSpec)

    @property
    def name(self) -> str:
        return self.metadata.name

    def covers(self, labels: dict[str, str]) -> bool:
        """policy/v1: a null selector selects nothing, an empty one everything."""
        return self.spec.selector is not None and self.spec.selector.matches(labels)


class BudgetPods(BaseModel):
    """What the disruption controller counts for one budget."""

    matching: int = Field(ge=0, description="pods the selector matches")
    healthy: int = Field(ge=0, description="matching pods Ready and not being deleted")
    expected_scale: int = Field(
        ge=0, description="the matching pods' controllers' replicas (getExpectedScale)"
    )


class BudgetState(BaseModel):
    expected: int
    desired_healthy: int
    current_healthy: int

    @property
    def disruptions_allowed(self) -> int:
        allowed = self.current_healthy - self.desired_healthy
        if self.expected <= 0 or allowed <= 0:
            return 0
        return allowed


def budget_state(budget: PodDisruptionBudget, pods: BudgetPods) -> BudgetState:
    """`getExpectedPodCount` and `updatePdbStatus`'s counts for one budget."""
    spec = budget.spec
    if spec.max_unavailable is not None:
        expected = pods.expected_scale
        unavailable = scaled_value(spec.max_unavailable, expected, round_up=True)
        desired = max(0, expected - unavailable)
    elif isinstance(spec.min_available, int):
        expected = pods.matching
        desired = spec.min_available
    elif spec.min_available is not None:
        expected = pods.expected_scale
        desired = scaled_value(spec.min_available, expected, round_up=True)
    else:
        expected, desired = pods.matching, 0
    return BudgetState(expected=expected, desired_healthy=desired, current_healthy=pods.healthy)


class EvictionVerdict(BaseModel):
    """The Eviction API's answer: 201 when the pod may go, else the Status it would return."""

    code: int
    reason: str = ""
    message: str = ""
    budget: str | None = None
    cause: str = ""

    @property
    def allowed(self) -> bool:
        return self.code == 201


def budget_cause(name: str, state: BudgetState) -> str:
    return (
        f"The disruption budget {name} needs {state.desired_healthy} healthy pods "
        f"and has {state.current_healthy} currently"
    )


def eviction_verdict(
    *,
    pod_labels: dict[str, str],
    pod_ready: bool,
    budgets: Sequence[tuple[PodDisruptionBudget, BudgetPods]],
) -> EvictionVerdict:
    """Whether the Eviction API would let this pod go, given the budgets of its namespace."""
    covering = [(budget, pods) for budget, pods in budgets if budget.covers(pod_labels)]
    if not covering:
        return EvictionVerdict(code=201)
    if len(covering) > 1:
        return EvictionVerdict(
            code=500,
            reason="InternalError",
            message=f"Internal error occurred: {MULTIPLE_BUDGETS_MESSAGE}",
        )
    budget, pods = covering[0]
    state = budget_state(budget, pods)
    if not pod_ready:
        policy = budget.spec.unhealthy_pod_eviction_policy or "IfHealthyBudget"
        if policy == "AlwaysAllow":
            return EvictionVerdict(code=201)
        if state.current_healthy >= state.desired_healthy and state.desired_healthy > 0:
            return EvictionVerdict(code=201)
    if state.disruptions_allowed > 0:
        return EvictionVerdict(code=201)
    return EvictionVerdict(
        code=429,
        reason="TooManyRequests",
        message=VIOLATION_MESSAGE,
        budget=budget.name,
        cause=budget_cause(budget.name, state),
    )


class StatusCause(KubeModel):
    reason: str = ""
    message: str = ""
    field: str | None = None


class StatusDetails(KubeModel):
    causes: list[StatusCause] = Field(default_factory=list)


class EvictionStatus(KubeModel):
    """The meta/v1 Status a member's Eviction API answered with."""

    code: int
    reason: str = ""
    message: str = ""
    details: StatusDetails | None = None


def verdict_from_status(status: EvictionStatus) -> EvictionVerdict:
    """The one place an API answer becomes a verdict; the budget is read from its cause."""
    verdict = EvictionVerdict(code=status.code, reason=status.reason, message=status.message)
    causes = status.details.causes if status.details else []
    for cause in causes:
        match = _CAUSE_RE.match(cause.message)
        if cause.reason == DISRUPTION_BUDGET_CAUSE and match:
            return verdict.model_copy(update={"budget": match["name"], "cause": cause.message})
    return verdict
