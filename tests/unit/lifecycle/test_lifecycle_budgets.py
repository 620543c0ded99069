"""PodDisruptionBudget arithmetic (disruption controller) and eviction answers (API server)."""

import pytest

from services.fleet_manager.lifecycle_budgets import (
    MULTIPLE_BUDGETS_MESSAGE,
    VIOLATION_MESSAGE,
    BudgetPods,
    EvictionStatus,
    PodDisruptionBudget,
    budget_state,
    eviction_verdict,
    verdict_from_status,
)

APP = {"app": "web"}


def budget(name: str = "web-pdb", **spec: object) -> PodDisruptionBudget:
    return PodDisruptionBudget.model_validate(
        {"metadata": {"name": name}, "spec": {"selector": {"matchLabels": APP}, **spec}}
    )


@pytest.mark.parametrize(
    ("spec", "pods", "expected", "desired", "allowed"),
    [
        ({"minAvailable": 3}, BudgetPods(matching=3, healthy=3, expected_scale=5), 3, 3, 0),
        ({"minAvailable": 3}, BudgetPods(matching=4, healthy=4, expected_scale=4), 4, 3, 1),
        ({"minAvailable": 3}, BudgetPods(matching=4, healthy=2, expected_scale=4), 4, 3, 0),
        ({"minAvailable": "28%"}, BudgetPods(matching=7, healthy=3, expected_scale=7), 7, 2, 1),
        ({"minAvailable": "50%"}, BudgetPods(matching=3, healthy=3, expected_scale=3), 3, 2, 1),
        ({"minAvailable": "100%"}, BudgetPods(matching=3, healthy=3, expected_scale=3), 3, 3, 0),
        ({"maxUnavailable": 1}, BudgetPods(matching=3, healthy=3, expected_scale=3), 3, 2, 1),
        (
            {"maxUnavailable": "25%"},
            BudgetPods(matching=10, healthy=10, expected_scale=10),
            10,
            7,
            3,
        ),
        (
            {"maxUnavailable": "25%"},
            BudgetPods(matching=10, healthy=8, expected_scale=10),
            10,
            7,
            1,
        ),
        ({"maxUnavailable": 2}, BudgetPods(matching=1, healthy=1, expected_scale=1), 1, 0, 1),
        ({"maxUnavailable": 0}, BudgetPods(matching=3, healthy=3, expected_scale=3), 3, 3, 0),
        ({"maxUnavailable": 1}, BudgetPods(matching=0, healthy=0, expected_scale=0), 0, 0, 0),
        ({}, BudgetPods(matching=2, healthy=2, expected_scale=2), 2, 0, 2),
    ],
)
def test_budget_arithmetic(
    spec: dict[str, object], pods: BudgetPods, expected: int, desired: int, allowed: int
) -> None:
    state = budget_state(budget(**spec), pods)
    assert (state.expected, state.desired_healthy, state.disruptions_allowed) == (
        expected,
        desired,
        allowed,
    )


def test_a_blocked_eviction_gets_the_api_servers_answer() -> None:
    verdict = eviction_verdict(
        pod_labels=APP,
        pod_ready=True,
        budgets=[(budget(minAvailable=2), BudgetPods(matching=2, healthy=2, expected_scale=2))],
    )
    assert (verdict.code, verdict.reason, verdict.message) == (
        429,
        "TooManyRequests",
        VIOLATION_MESSAGE,
    )
    assert verdict.budget == "web-pdb"
    assert verdict.cause == "The disruption budget web-pdb needs 2 healthy pods and has 2 currently"


@pytest.mark.parametrize(
    ("spec", "ready", "pods", "code"),
    [
        ({"minAvailable": 1}, True, BudgetPods(matching=2, healthy=2, expected_scale=2), 201),
        # Not Ready, budget met and wanting healthy pods: IfHealthyBudget lets it go.
        ({"minAvailable": 1}, False, BudgetPods(matching=2, healthy=1, expected_scale=2), 201),
        # Not Ready, budget not met: the unready pod waits like any other.
        ({"minAvailable": 2}, False, BudgetPods(matching=2, healthy=1, expected_scale=2), 429),
        # Not Ready and desiredHealthy 0: the fast path is skipped, disruptionsAllowed decides.
        ({"maxUnavailable": 1}, False, BudgetPods(matching=1, healthy=0, expected_scale=1), 429),
        (
            {"minAvailable": 2, "unhealthyPodEvictionPolicy": "AlwaysAllow"},
            False,
            BudgetPods(matching=2, healthy=1, expected_scale=2),
            201,
        ),
    ],
)
def test_unready_pods(spec: dict[str, object], ready: bool, pods: BudgetPods, code: int) -> None:
    verdict = eviction_verdict(pod_labels=APP, pod_ready=ready, budgets=[(budget(**spec), pods)])
    assert verdict.code == code


def test_budgets_that_do_not_cover_the_pod_do_not_count() -> None:
    pods = BudgetPods(matching=1, healthy=1, expected_scale=1)
    other = PodDisruptionBudget.model_validate(
        {
            "metadata": {"name": "db"},
            "spec": {"selector": {"matchLabels": {"app": "db"}}, "minAvailable": 1},
        }
    )
    no_selector = PodDisruptionBudget.model_validate(
        {"metadata": {"name": "none"}, "spec": {"minAvailable": 1}}
    )
    verdict = eviction_verdict(
        pod_labels=APP, pod_ready=True, budgets=[(other, pods), (no_selector, pods)]
    )
    assert verdict.allowed


def test_two_budgets_are_an_internal_error() -> None:
    pods = BudgetPods(matching=3, healthy=3, expected_scale=3)
    verdict = eviction_verdict(
        pod_labels=APP,
        pod_ready=True,
        budgets=[(budget("a", minAvailable=1), pods), (budget("b", minAvailable=1), pods)],
    )
    assert (verdict.code, verdict.message) == (
        500,
        f"Internal error occurred: {MULTIPLE_BUDGETS_MESSAGE}",
    )


def test_a_member_status_becomes_a_verdict_naming_the_budget() -> None:
    status = EvictionStatus.model_validate(
        {
            "kind": "Status",
            "status": "Failure",
            "code": 429,
            "reason": "TooManyRequests",
            "message": VIOLATION_MESSAGE,
            "details": {
                "causes": [
                    {
                        "reason": "DisruptionBudget",
                        "message": "The disruption budget web-pdb needs 3 healthy pods "
                        "and has 3 currently",
                    }
                ]
            },
        }
    )
    verdict = verdict_from_status(status)
    assert (verdict.code, verdict.budget) == (429, "web-pdb")
    plain = verdict_from_status(
        EvictionStatus(code=404, reason="NotFound", message='pods "x" not found')
    )
    assert (plain.code, plain.budget) == (404, None)
