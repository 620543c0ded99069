"""Kubernetes' replica_calculator_test.go for Pods, Object and External metrics, ported."""

import pytest

from services.scaler.replica_calculating import (
    MetricComputationError,
    Tolerances,
    per_pod_replicas,
    plain_metric_replicas,
    usage_ratio_replicas,
)
from tests.unit.scaler.scaler_fixtures import COOL, HOT, NOW, TEST_SETTINGS, make_pods, pod_values

T, F = "True", "False"
R = "Running"
DEFAULT = Tolerances(0.1, 0.1)

# (origin, replicas, levels, readiness, start, target, expected replicas, expected usage)
PODS_METRIC_CASES = [
    ("TestReplicaCalcScaleUpCM", 3, (20000, 10000, 30000), None, None, 15000, 4, 20000),
    ("TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale", 3, (50000, 10000, 30000), [T, T, F],
     [COOL, COOL, HOT], 15000, 6, 30000),
    ("TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown", 3, (50000, 15000, 30000),
     [F, T, F], [HOT, COOL, HOT], 15000, 7, 31666),
    ("TestReplicaCalcScaleDownCM", 5, (12000,) * 5, None, None, 20000, 3, 12000),
    ("TestReplicaCalcToleranceCM", 3, (20000, 21000, 21000), None, None, 20000, 3, 20666),
    ("TestPlainMetricReplicaCalcMissingMetricsNoChangeEq", 5, (20000, 19000, 21000), None, None,
     20000, 5, 20000),
]  # fmt: skip


@pytest.mark.parametrize(
    ("replicas", "levels", "readiness", "start", "target", "expected", "usage"),
    [case[1:] for case in PODS_METRIC_CASES],
    ids=[case[0] for case in PODS_METRIC_CASES],
)
def test_pods_metric_replicas(replicas, levels, readiness, start, target, expected, usage) -> None:
    pods = make_pods(replicas, readiness=readiness, start=start)
    assert plain_metric_replicas(
        current_replicas=replicas,
        target_usage=target,
        pods=pods,
        metrics=pod_values(*levels),
        tolerances=DEFAULT,
        now=NOW,
        settings=TEST_SETTINGS,
    ) == (expected, usage)


def test_rolling_update_with_max_surge_custom_metric() -> None:
    """TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM: the surge pod has no metric yet."""
    pods = make_pods(2, phase=[R, R, R])
    assert plain_metric_replicas(
        current_replicas=2,
        target_usage=17000,
        pods=pods,
        metrics=pod_values(10000, 10000),
        tolerances=DEFAULT,
        now=NOW,
        settings=TEST_SETTINGS,
    ) == (2, 10000)


def test_configurable_tolerance_custom_metric() -> None:
    """TestReplicaCalcConfigurableToleranceCM: a 1 % scale-up tolerance acts on 3.3 %."""
    assert plain_metric_replicas(
        current_replicas=3,
        target_usage=20000,
        pods=make_pods(3),
        metrics=pod_values(20000, 21000, 21000),
        tolerances=Tolerances(0.1, 0.01),
        now=NOW,
        settings=TEST_SETTINGS,
    ) == (4, 20666)


# (origin, replicas, readiness, usage, target, tolerances, expected)
USAGE_RATIO_CASES = [
    ("TestReplicaCalcScaleUpCMObject", 3, None, 20000, 15000, DEFAULT, 4),
    ("TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods", 3, [F, T, F], 50000, 10000, DEFAULT, 5),
    ("TestReplicaCalcScaleDownCMObject", 5, None, 12000, 20000, DEFAULT, 3),
    ("TestReplicaCalcToleranceCMObject", 3, None, 20666, 20000, DEFAULT, 3),
    ("TestReplicaCalcConfigurableToleranceCMObject", 3, None, 20666, 20000,
     Tolerances(0.1, 0.01), 4),
    ("TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods", 3, [F, T, F], 8600, 4400, DEFAULT, 2),
    ("TestReplicaCalcScaleDownCMExternal", 5, None, 8600, 14334, DEFAULT, 3),
    ("TestReplicaCalcToleranceCMExternal", 3, None, 8600, 8888, DEFAULT, 3),
    ("TestReplicaCalcConfigurableToleranceCMExternal", 3, None, 8900, 8800,
     Tolerances(0.1, 0.01), 4),
]  # fmt: skip


@pytest.mark.parametrize(
    ("replicas", "readiness", "usage", "target", "tolerances", "expected"),
    [case[1:] for case in USAGE_RATIO_CASES],
    ids=[case[0] for case in USAGE_RATIO_CASES],
)
def test_object_and_external_value_replicas(
    replicas, readiness, usage, target, tolerances, expected
) -> None:
    assert (
        usage_ratio_replicas(
            current_replicas=replicas,
            usage_ratio=usage / target,
            pods=make_pods(replicas, readiness=readiness),
            tolerances=tolerances,
        )
        == expected
    )


def test_scale_from_zero_ignores_pods_and_tolerance() -> None:
    """getUsageRatioReplicaCount: with currentReplicas=0 the HPA scales to ceil(ratio)."""
    assert (
        usage_ratio_replicas(current_replicas=0, usage_ratio=1.05, pods=[], tolerances=DEFAULT) == 2
    )


# (origin, status replicas, usage, per-pod target, tolerances, expected replicas, usage)
PER_POD_CASES = [
    ("TestReplicaCalcScaleUpCMPerPodObject", 3, 20000, 5000, DEFAULT, 4, 6667),
    ("TestReplicaCalcScaleDownPerPodCMObject", 5, 6000, 2000, DEFAULT, 3, 1200),
    ("TestReplicaCalcTolerancePerPodCMObject", 4, 20166, 5000, DEFAULT, 4, 5042),
    ("TestReplicaCalcConfigurableTolerancePerPodCMObject", 4, 20208, 5000,
     Tolerances(0.1, 0.01), 5, 5052),
    ("TestReplicaCalcScaleUpPerPodCMExternal", 3, 8600, 2150, DEFAULT, 4, 2867),
    ("TestReplicaCalcScaleDownPerPodCMExternal", 5, 8600, 2867, DEFAULT, 3, 1720),
    ("TestReplicaCalcTolerancePerPodCMExternal", 3, 8600, 2900, DEFAULT, 3, 2867),
    ("TestExternalPerPodMetricReplicaOverflow", 1, 2**63 - 1, 1, DEFAULT, 2**31 - 1, 2**63 - 1),
    ("TestExternalPerPodMetricUsageOverflow", 1, 2**63 - 1, 2**63 - 1, DEFAULT, 1, 2**63 - 1),
]  # fmt: skip


@pytest.mark.parametrize(
    ("replicas", "usage", "target", "tolerances", "expected", "average"),
    [case[1:] for case in PER_POD_CASES],
    ids=[case[0] for case in PER_POD_CASES],
)
def test_per_pod_replicas(replicas, usage, target, tolerances, expected, average) -> None:
    assert per_pod_replicas(
        status_replicas=replicas, usage=usage, target_per_pod=target, tolerances=tolerances
    ) == (expected, average)


def test_no_pods_is_an_error() -> None:
    with pytest.raises(MetricComputationError, match="no pods returned by selector"):
        plain_metric_replicas(
            current_replicas=1,
            target_usage=1,
            pods=[],
            metrics=pod_values(1),
            tolerances=DEFAULT,
            now=NOW,
            settings=TEST_SETTINGS,
        )
