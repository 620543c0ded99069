"""Member answers read into samples; CPU counters integrated between samples."""

import pytest

from services.telemetry.samples import (
    ClusterSample,
    PodSample,
    deployment_samples,
    integrate,
    node_samples,
    pod_samples,
    quantity,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("250000000n", 0.25),
        ("1500m", 1.5),
        ("16", 16.0),
        ("8Mi", 8 * 2**20),
        ("64Gi", 64 * 2**30),
        ("1024Ki", 2**20),
        ("1.5", 1.5),
        ("2k", 2000.0),
        ("bogus", 0.0),
    ],
)
def test_quantities(text: str, value: float) -> None:
    assert quantity(text) == pytest.approx(value)


def test_nodes_join_their_metrics() -> None:
    nodes = [
        {
            "metadata": {"name": "n1"},
            "spec": {"unschedulable": True},
            "status": {
                "capacity": {"cpu": "16", "memory": "64Gi", "nvidia.com/gpu": "8"},
                "allocatable": {"cpu": "15500m"},
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        },
        {
            "metadata": {"name": "n2"},
            "status": {"conditions": [{"type": "Ready", "status": "False"}]},
        },
    ]
    metrics = [{"metadata": {"name": "n1"}, "usage": {"cpu": "500000000n", "memory": "1Gi"}}]
    first, second = node_samples(nodes, metrics)
    assert (first.ready, first.unschedulable, first.cpu_cores, first.memory_bytes) == (
        True,
        True,
        0.5,
        2**30,
    )
    assert first.capacity == {"cpu": 16.0, "memory": 64 * 2**30, "nvidia.com/gpu": 8.0}
    assert first.allocatable == {"cpu": 15.5}
    assert (second.ready, second.cpu_cores) == (False, None)


def test_pods_sum_their_containers() -> None:
    (sample,) = pod_samples(
        [
            {
                "metadata": {"name": "p", "namespace": "web"},
                "containers": [
                    {"name": "a", "usage": {"cpu": "100m", "memory": "8Mi"}},
                    {"name": "b", "usage": {"cpu": "200m", "memory": "8Mi"}},
                ],
            }
        ]
    )
    assert (sample.namespace, sample.name) == ("web", "p")
    assert sample.cpu_cores == pytest.approx(0.3)
    assert sample.memory_bytes == 16 * 2**20


def test_deployments_read_desired_and_ready() -> None:
    (sample,) = deployment_samples(
        [
            {
                "metadata": {"name": "nginx", "namespace": "web"},
                "spec": {"replicas": 6},
                "status": {"readyReplicas": 4, "availableReplicas": 3},
            }
        ]
    )
    assert (sample.desired, sample.ready, sample.available) == (6, 4, 3)
    (defaulted,) = deployment_samples([{"metadata": {"name": "x"}, "spec": {}}])
    assert (defaulted.desired, defaulted.ready) == (1, 0)


def sample(at: float, **pods: float) -> ClusterSample:
    return ClusterSample(
        cluster="east",
        taken_at=at,
        pods=[
            PodSample(namespace="web", name=name, cpu_cores=cpu, memory_bytes=0)
            for name, cpu in pods.items()
        ],
    )


def test_counters_integrate_usage_over_time_and_start_at_zero() -> None:
    first = sample(100.0, a=0.5)
    integrate(None, first)
    second = sample(110.0, a=1.0, b=2.0)
    integrate(first, second)
    third = sample(115.0, a=1.0)
    integrate(second, third)
    assert [p.cpu_seconds for p in first.pods] == [0.0]
    assert [p.cpu_seconds for p in second.pods] == [10.0, 0.0]
    assert [p.cpu_seconds for p in third.pods] == [15.0]


def test_a_failed_sample_does_not_carry_counters() -> None:
    failed = ClusterSample(cluster="east", taken_at=100.0, error="down")
    current = sample(110.0, a=1.0)
    integrate(failed, current)
    assert current.pods[0].cpu_seconds == 0.0
