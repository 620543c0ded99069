"""Eviction against PodDisruptionBudgets: minAvailable / maxUnavailable, ints and percents."""

import pytest

from services.simulator.evicting import (
    MULTIPLE_BUDGETS_MESSAGE,
    VIOLATION_MESSAGE,
    decide_eviction,
    expected_pods,
)


def pod(name: str, *, ready: bool = True, phase: str = "Running", app: str = "web") -> dict:
    return {
        "metadata": {
            "name": name,
            "labels": {"app": app},
            "ownerReferences": [
                {"kind": "ReplicaSet", "name": "web-1", "uid": "rs", "controller": True}
            ],
        },
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def pdb(name: str = "web-pdb", **spec: object) -> dict:
    return {
        "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec},
    }


CONTROLLERS = {
    ("ReplicaSet", "web-1"): {
        "kind": "ReplicaSet",
        "metadata": {
            "name": "web-1",
            "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True}],
        },
        "spec": {"replicas": 3},
    },
    ("Deployment", "web"): {
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 4},
    },
}
PODS = [pod("a"), pod("b"), pod("c")]


@pytest.mark.parametrize(
    ("budget", "allowed"),
    [
        ({"minAvailable": 2}, True),
        ({"minAvailable": 3}, False),
        ({"minAvailable": "50%"}, True),
        ({"minAvailable": "100%"}, False),
        ({"maxUnavailable": 1}, False),
        ({"maxUnavailable": 2}, True),
        ({"maxUnavailable": "25%"}, False),
        ({"maxUnavailable": "50%"}, True),
    ],
)
def test_budgets(budget: dict, allowed: bool) -> None:
    result = decide_eviction(PODS[0], [pdb(**budget)], PODS, CONTROLLERS)
    assert result.allowed is allowed
    if not allowed:
        assert result.code == 429
        assert result.message == VIOLATION_MESSAGE
        assert result.causes[0]["reason"] == "DisruptionBudget"


def test_expected_count_follows_the_deployment_for_max_unavailable() -> None:
    assert expected_pods(pdb(maxUnavailable=1), PODS, CONTROLLERS) == 4
    assert expected_pods(pdb(minAvailable=1), PODS, CONTROLLERS) == 3


def test_violation_message_names_the_budget() -> None:
    result = decide_eviction(PODS[0], [pdb(minAvailable=3)], PODS, CONTROLLERS)
    assert result.causes[0]["message"] == (
        "The disruption budget web-pdb needs 3 healthy pods and has 3 currently"
    )
    assert result.status()["code"] == 429
    assert result.status()["details"]["causes"] == result.causes


def test_pending_unready_and_uncovered_pods_are_always_evictable() -> None:
    strict = [pdb(minAvailable="100%")]
    assert decide_eviction(pod("p", phase="Pending"), strict, PODS, CONTROLLERS).allowed
    other = pod("o", app="other")
    assert decide_eviction(other, strict, [*PODS, other], CONTROLLERS).allowed
    unready = pod("u", ready=False)
    budget = [pdb(minAvailable=3)]
    assert decide_eviction(unready, budget, [*PODS, unready], CONTROLLERS).allowed


def test_two_budgets_for_one_pod_are_an_error() -> None:
    result = decide_eviction(PODS[0], [pdb("one"), pdb("two")], PODS, CONTROLLERS)
    assert (result.code, result.message) == (500, MULTIPLE_BUDGETS_MESSAGE)
