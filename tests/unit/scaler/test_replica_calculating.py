"""Kubernetes' replica_calculator_test.go, ported case by case (origin in each row's comment)."""

import pytest

from services.scaler.replica_calculating import (
    MetricComputationError,
    Tolerances,
    resource_pod_metrics,
    resource_replicas,
)
from tests.unit.scaler.scaler_fixtures import (
    COOL,
    HOT,
    NOW,
    TEST_SETTINGS,
    both,
    make_pods,
    usage_of,
)

T, F = "True", "False"
R, P, X = "Running", "Pending", "Failed"
ONE = ["1.0"] * 7
DEFAULT = Tolerances(0.1, 0.1)

# (origin, replicas, requests, levels, readiness, start, phase, deleting, container, target,
#  expected replicas, expected utilization, expected raw average)
RESOURCE_CASES = [
    # TestReplicaCalcResourceScale "scale up"
    ("scale up", 3, ONE[:3], both(300, 500, 700), None, None, None, None, "", 30, 5, 50, 1000),
    # TestReplicaCalcResourceScale "scale up: container metric"
    (
        "container up",
        3,
        ONE[:3],
        [[1000, 300], [1000, 500], [1000, 700]],
        None,
        None,
        None,
        None,
        "container2",
        30,
        5,
        50,
        500,
    ),
    # TestReplicaCalcResourceScale "scale up: unready pod scales less"
    (
        "unready less",
        3,
        ONE[:3],
        both(300, 500, 700),
        [F, T, T],
        None,
        None,
        None,
        "",
        30,
        4,
        60,
        1200,
    ),
    # TestReplicaCalcResourceScale "scale up: hot-CPU container scales less"
    (
        "hot container",
        3,
        ONE[:3],
        [[0, 300], [0, 500], [0, 700]],
        None,
        [HOT, COOL, COOL],
        None,
        None,
        "container2",
        30,
        4,
        60,
        600,
    ),
    # TestReplicaCalcResourceScale "scale up: hot-CPU pod scales less"
    (
        "hot pod",
        3,
        ONE[:3],
        both(300, 500, 700),
        None,
        [HOT, COOL, COOL],
        None,
        None,
        "",
        30,
        4,
        60,
        1200,
    ),
    # TestReplicaCalcResourceScale "no scale: unready pods ignored"
    (
        "unready ignored",
        3,
        ONE[:3],
        both(400, 500, 700),
        [T, F, F],
        None,
        None,
        None,
        "",
        30,
        3,
        40,
        800,
    ),
    # TestReplicaCalcResourceScale "no scale: hot-CPU pods ignored"
    (
        "hot ignored",
        3,
        ONE[:3],
        both(400, 500, 700),
        [T, F, F],
        [COOL, HOT, HOT],
        None,
        None,
        "",
        30,
        3,
        40,
        800,
    ),
    # TestReplicaCalcResourceScale "scale up: failed pods ignored"
    (
        "failed up",
        2,
        ONE[:4],
        both(500, 700),
        [T, T, F, F],
        None,
        [R, R, X, X],
        None,
        "",
        30,
        4,
        60,
        1200,
    ),
    # TestReplicaCalcResourceScale "scale up: failed pods ignored with missing container metric"
    (
        "failed missing",
        2,
        ONE[:4],
        [[1000, 500], [9000, 700], [1000], [9000]],
        [T, T, F, F],
        None,
        [R, R, X, X],
        None,
        "container2",
        30,
        4,
        60,
        600,
    ),
    # TestReplicaCalcResourceScale "scale up: pods being deleted are ignored"
    (
        "deleted up",
        2,
        ONE[:4],
        both(500, 700),
        [T, T, F, F],
        None,
        [R, R, R, R],
        [False, False, True, True],
        "",
        30,
        4,
        60,
        1200,
    ),
    # TestReplicaCalcResourceScale "scale down"
    (
        "scale down",
        5,
        ONE[:5],
        both(100, 300, 500, 250, 250),
        None,
        None,
        None,
        None,
        "",
        50,
        3,
        28,
        560,
    ),
    # TestReplicaCalcResourceScale "scale down: container metric"
    (
        "container down",
        5,
        ONE[:5],
        [[1000, v] for v in (100, 300, 500, 250, 250)],
        None,
        None,
        None,
        None,
        "container2",
        50,
        3,
        28,
        280,
    ),
    # TestReplicaCalcResourceScale "scale down: exclude unready pods"
    (
        "down unready",
        5,
        ONE[:5],
        both(100, 300, 500, 250, 250),
        [T, T, T, F, F],
        None,
        None,
        None,
        "",
        50,
        2,
        30,
        600,
    ),
    # TestReplicaCalcResourceScale "scale down: exclude unscheduled pods"
    (
        "down pending",
        5,
        ONE[:5],
        both(100),
        [T, F, F, F, F],
        None,
        [R, P, P, P, P],
        None,
        "",
        50,
        1,
        10,
        200,
    ),
    # TestReplicaCalcResourceScale "scale down: ignore hot-CPU pods"
    (
        "down hot",
        5,
        ONE[:5],
        both(100, 300, 500, 250, 250),
        None,
        [COOL, COOL, COOL, HOT, HOT],
        None,
        None,
        "",
        50,
        2,
        30,
        600,
    ),
    # TestReplicaCalcResourceScale "scale down: failed pods ignored"
    (
        "down failed",
        5,
        ONE[:7],
        both(100, 300, 500, 250, 250),
        [T, T, T, T, T, F, F],
        None,
        [R, R, R, R, R, X, X],
        None,
        "",
        50,
        3,
        28,
        560,
    ),
    # TestReplicaCalcResourceScale "scale down: still-running pods being deleted are ignored"
    (
        "down deleting",
        5,
        ONE[:7],
        [[1000, v] for v in (100, 300, 500, 250, 250)],
        [T, T, T, T, T, F, F],
        None,
        [R] * 7,
        [False] * 5 + [True, True],
        "container2",
        50,
        3,
        28,
        280,
    ),
    # TestReplicaCalcTolerance
    (
        "tolerance",
        3,
        ["0.9", "1.0", "1.1"],
        both(1010, 1030, 1020),
        None,
        None,
        None,
        None,
        "",
        100,
        3,
        102,
        2040,
    ),
    # TestReplicaCalcSuperfluousMetrics
    (
        "superfluous",
        4,
        ONE[:4],
        both(4000, 9500, 3000, 7000, 3200, 2000),
        None,
        None,
        None,
        None,
        "",
        100,
        24,
        587,
        11750,
    ),
    # TestReplicaCalcMissingMetrics
    ("missing", 4, ONE[:4], both(400, 95), None, None, None, None, "", 100, 3, 24, 495),
    # TestReplicaCalcMissingMetricsNoChangeEq
    ("missing eq", 2, ONE[:2], both(1000), None, None, None, None, "", 100, 2, 100, 2000),
    # TestReplicaCalcMissingMetricsNoChangeGt
    ("missing gt", 2, ONE[:2], both(1900), None, None, None, None, "", 100, 2, 190, 3800),
    # TestReplicaCalcMissingMetricsNoChangeLt
    ("missing lt", 2, ONE[:2], both(600), None, None, None, None, "", 100, 2, 60, 1200),
    # TestReplicaCalcMissingMetricsUnreadyChange
    (
        "missing unready",
        3,
        ONE[:3],
        both(100, 450),
        [F, T, T],
        None,
        None,
        None,
        "",
        50,
        3,
        45,
        900,
    ),
    # TestReplicaCalcMissingMetricsHotCpuNoChange
    (
        "missing hot",
        3,
        ONE[:3],
        both(100, 450),
        None,
        [HOT, COOL, COOL],
        None,
        None,
        "",
        50,
        3,
        45,
        900,
    ),
    # TestReplicaCalcMissingMetricsUnreadyScaleUp
    (
        "missing unready up",
        3,
        ONE[:3],
        both(100, 2000),
        [F, T, T],
        None,
        None,
        None,
        "",
        50,
        4,
        200,
        4000,
    ),
    # TestReplicaCalcMissingMetricsHotCpuScaleUp
    (
        "missing hot up",
        3,
        ONE[:3],
        both(100, 2000),
        [F, T, T],
        [HOT, COOL, COOL],
        None,
        None,
        "",
        50,
        4,
        200,
        4000,
    ),
    # TestReplicaCalcMissingMetricsUnreadyScaleDown
    (
        "missing unready down",
        4,
        ONE[:4],
        both(100, 100, 100),
        [F, T, T, T],
        None,
        None,
        None,
        "",
        50,
        3,
        10,
        200,
    ),
    # TestReplicaCalcMissingMetricsScaleDownTargetOver100
    (
        "missing over 100",
        4,
        ["1.0", "1.0", "2.0", "2.0"],
        both(200, 100, 100),
        [F, T, T, T],
        None,
        None,
        None,
        "",
        300,
        2,
        6,
        200,
    ),
    # TestReplicaCalcDuringRollingUpdateWithMaxSurge
    ("max surge", 2, ONE[:3], both(100, 100), None, None, [R, R, R], None, "", 50, 2, 10, 200),
]


@pytest.mark.parametrize(
    ("replicas", "requests", "levels", "readiness", "start", "phase", "deleting", "container",
     "target", "expected", "utilization", "raw"),
    [case[1:] for case in RESOURCE_CASES],
    ids=[case[0] for case in RESOURCE_CASES],
)  # fmt: skip
def test_resource_replicas(
    replicas, requests, levels, readiness, start, phase, deleting, container, target, expected,
    utilization, raw,
) -> None:  # fmt: skip
    pods = make_pods(
        replicas, requests=requests, readiness=readiness, start=start, phase=phase,
        deleting=deleting,
    )  # fmt: skip
    metrics, timestamp = resource_pod_metrics(usage_of(levels), container=container)
    proposal = resource_replicas(
        current_replicas=replicas,
        target_utilization=target,
        resource="cpu",
        pods=pods,
        metrics=metrics,
        timestamp=timestamp,
        tolerances=DEFAULT,
        now=NOW,
        settings=TEST_SETTINGS,
        container=container,
    )
    assert (proposal.replicas, proposal.utilization, proposal.raw_average) == (
        expected,
        utilization,
        raw,
    )


# TestReplicaCalcConfigurableTolerance: (name, tolerances, levels, expected, utilization)
TOLERANCE_CASES = [
    ("Outside of a 0% tolerance", Tolerances(0.0, 0.0), (909, 1010, 1111), 4, 101),
    ("Within a 200% scale-up tolerance", Tolerances(0.1, 2.0), (1890, 1910, 1900), 3, 190),
    ("Outside 8% scale-up tolerance", Tolerances(2.0, 0.08), (1100, 1080, 1090), 4, 109),
    ("Within a 36% scale-down tolerance", Tolerances(0.36, 0.1), (660, 640, 650), 3, 65),
    ("Outside a 34% scale-down tolerance", Tolerances(0.34, 0.1), (660, 640, 650), 2, 65),
]


@pytest.mark.parametrize(
    ("tolerances", "levels", "expected", "utilization"),
    [case[1:] for case in TOLERANCE_CASES],
    ids=[case[0] for case in TOLERANCE_CASES],
)
def test_configurable_tolerance(tolerances, levels, expected, utilization) -> None:
    pods = make_pods(3, requests=["0.9", "1.0", "1.1"])
    metrics, timestamp = resource_pod_metrics(usage_of(both(*levels)))
    proposal = resource_replicas(
        current_replicas=3,
        target_utilization=100,
        resource="cpu",
        pods=pods,
        metrics=metrics,
        timestamp=timestamp,
        tolerances=tolerances,
        now=NOW,
        settings=TEST_SETTINGS,
    )
    assert (proposal.replicas, proposal.utilization) == (expected, utilization)


@pytest.mark.parametrize(
    ("requests", "levels", "pod_names", "message"),
    [
        # TestReplicaCalcDisjointResourcesMetrics
        (["1.0"], both(100), ["an-older-pod-name"], "no metrics returned matched known pods"),
        # TestReplicaCalcEmptyCPURequest
        ([], both(200), None, "missing request for cpu in container container1 of Pod test-pod-0"),
    ],
)
def test_resource_replicas_errors(requests, levels, pod_names, message) -> None:
    metrics, timestamp = resource_pod_metrics(usage_of(levels, pod_names=pod_names))
    pods = make_pods(1, requests=requests)
    with pytest.raises(MetricComputationError, match=message):
        resource_replicas(
            current_replicas=1,
            target_utilization=100,
            resource="cpu",
            pods=pods,
            metrics=metrics,
            timestamp=timestamp,
            tolerances=DEFAULT,
            now=NOW,
            settings=TEST_SETTINGS,
        )


def test_computed_tolerance_boundary() -> None:
    """TestReplicaCalcComputedToleranceAlgImplementation: just past vs. just inside 10 %."""
    per_pod = 300
    requests = [f"{per_pod + delta}m" for delta in (100, -100, 10, -10, 2, -2, 1, -1, 0, 0)]
    pods = make_pods(10, requests=requests)
    metrics, timestamp = resource_pod_metrics(usage_of(both(*[150] * 10)))
    breach = int((abs(1 / (2.0 * (1 - 0.1))) + 0.01) * 100)
    inside = int((abs(1 / (2.0 * (1 - 0.1))) + 0.004) * 100)
    results = [
        resource_replicas(
            current_replicas=10,
            target_utilization=target,
            resource="cpu",
            pods=pods,
            metrics=metrics,
            timestamp=timestamp,
            tolerances=DEFAULT,
            now=NOW,
            settings=TEST_SETTINGS,
        ).replicas
        for target in (breach, inside)
    ]
    assert (breach, inside) == (56, 55)
    assert results == [9, 10]
