"""The fault model: commands parsed and validated, standing faults, per-request verdicts."""

import pytest

from services.simulator.faults import (
    Fault,
    FaultError,
    FaultState,
    Verdict,
    apply_fault,
    cluster_of,
    decide,
    parse_fault,
)
from services.simulator.generating import generated_fleet


@pytest.mark.parametrize(
    ("action", "value", "expected"),
    [
        ("down", None, Fault("down")),
        ("up", "", Fault("up")),
        ("latency", "250", Fault("latency", 250.0)),
        ("latency", 0, Fault("latency", 0.0)),
        ("errors", "0.25", Fault("errors", 0.25)),
        ("errors", 1, Fault("errors", 1.0)),
        ("drop-watches", None, Fault("drop-watches")),
        ("expire", None, Fault("expire")),
        ("partition", None, Fault("partition")),
    ],
)
def test_valid_commands(action: str, value: object, expected: Fault) -> None:
    assert parse_fault(action, value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("action", "value", "message"),
    [
        ("melt", None, "unknown fault 'melt'"),
        ("latency", None, "needs milliseconds"),
        ("errors", "", "needs a ratio between 0 and 1"),
        ("errors", "1.5", "between 0 and 1"),
        ("latency", "-5", "must not be negative"),
        ("latency", "soon", "is not a number"),
        ("latency", "nan", "is not a number"),
        ("down", "3", "takes no value"),
    ],
)
def test_invalid_commands(action: str, value: str | None, message: str) -> None:
    with pytest.raises(FaultError, match=message):
        parse_fault(action, value)


def test_faults_accumulate_and_up_clears_them() -> None:
    state = FaultState()
    for action, value in (("latency", "100"), ("errors", "0.5"), ("down", None)):
        state = apply_fault(state, parse_fault(action, value))
    assert state == FaultState(down=True, latency_ms=100.0, error_ratio=0.5)
    assert state.describe() == ["down", "latency=100ms", "errors=0.5"]
    assert apply_fault(state, Fault("expire")) == state, "one-shot actions leave faults be"
    assert apply_fault(state, Fault("drop-watches")) == state
    assert apply_fault(state, Fault("latency", 0.0)).latency_ms == 0
    healed = apply_fault(state, Fault("up"))
    assert healed.healthy and healed.describe() == []
    assert Fault("expire").one_shot and not Fault("down").one_shot


@pytest.mark.parametrize(
    ("state", "roll", "verdict"),
    [
        (FaultState(), 0.0, Verdict.PASS),
        (FaultState(down=True, partitioned=True), 0.9, Verdict.REFUSE),
        (FaultState(partitioned=True, error_ratio=1.0), 0.0, Verdict.HANG),
        (FaultState(error_ratio=0.3), 0.29, Verdict.FAIL),
        (FaultState(error_ratio=0.3), 0.3, Verdict.PASS),
        (FaultState(latency_ms=500), 0.0, Verdict.PASS),
    ],
)
def test_verdicts(state: FaultState, roll: float, verdict: Verdict) -> None:
    assert decide(state, roll=roll) is verdict


@pytest.mark.parametrize(
    ("path", "cluster"),
    [
        ("/clusters/east/api/v1/pods", "east"),
        ("/clusters/east", "east"),
        ("/clusters//api", None),
        ("/admin/clusters/east/faults", None),
        ("/readyz", None),
    ],
)
def test_cluster_of_a_path(path: str, cluster: str | None) -> None:
    assert cluster_of(path) == cluster


def test_generated_fleet_names_and_defaults() -> None:
    fleet = generated_fleet(4)
    assert [cluster.name for cluster in fleet.clusters] == [f"member-{i}" for i in range(1, 5)]
    assert [cluster.region for cluster in fleet.clusters][:3] == [
        "us-east",
        "us-west",
        "eu-central",
    ]
    assert all(cluster.nodes[0].count == 3 for cluster in fleet.clusters)
    assert fleet.clusters[0].nodes[0].capacity["pods"] == "110"
    combined = generated_fleet(1, base=generated_fleet(0))
    assert [cluster.name for cluster in combined.clusters] == ["member-1"]
    with pytest.raises(ValueError, match="must be unique"):
        generated_fleet(1, base=generated_fleet(1))
    with pytest.raises(ValueError, match="negative"):
        generated_fleet(-1)
