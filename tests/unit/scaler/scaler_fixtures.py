"""Pods and metrics shaped like the fixtures of Kubernetes' replica_calculator_test.go.

Every pod has two containers with the same request; a resource level is per container, so a
pod's value is twice its level (`numContainersPerPod`). Start times default to Go's zero time;
`HOT` pods started now (inside the CPU initialization period), `COOL` ones three minutes ago.
"""

from services.scaler.replica_calculating import (
    GO_ZERO_TIME,
    CalculatorSettings,
    ContainerRequests,
    ContainerUsage,
    PodMetric,
    PodSample,
)
from shared.quantity import milli_value, parse_quantity

NOW = 1_700_000_000.0
HOT = NOW
COOL = NOW - 180
# defaultTestingCPUInitializationPeriod and defaultTestingDelayOfInitialReadinessStatus.
TEST_SETTINGS = CalculatorSettings(cpu_initialization_period=120, initial_readiness_delay=10)


def make_pods(
    count: int,
    *,
    requests: list[str] | None = None,
    readiness: list[str] | None = None,
    start: list[float] | None = None,
    phase: list[str] | None = None,
    deleting: list[bool] | None = None,
    resource: str = "cpu",
) -> list[PodSample]:
    """`buildFakePod`: failed pods beyond `count` come from a longer `phase` list."""
    total = max(count, len(phase or []))
    pods: list[PodSample] = []
    for index in range(total):
        container_requests: dict[str, int] = {}
        if requests is not None and index < len(requests):
            container_requests = {resource: milli_value(parse_quantity(requests[index]))}
        pods.append(
            PodSample(
                name=f"test-pod-{index}",
                containers=(
                    ContainerRequests("container1", container_requests),
                    ContainerRequests("container2", container_requests),
                ),
                phase=phase[index] if phase else "Running",  # type: ignore[arg-type]
                ready=readiness[index] if readiness and index < len(readiness) else "True",  # type: ignore[arg-type]
                start_time=start[index] if start else GO_ZERO_TIME,
                deleting=bool(deleting and deleting[index]),
            )
        )
    return pods


def usage_of(
    levels: list[list[int]], *, pod_names: list[str] | None = None
) -> dict[str, ContainerUsage]:
    """Resource-metrics samples, container by container, stamped with Go's zero time."""
    usage: dict[str, ContainerUsage] = {}
    for index, containers in enumerate(levels):
        name = pod_names[index] if pod_names and index < len(pod_names) else f"test-pod-{index}"
        usage[name] = ContainerUsage(
            {f"container{slot + 1}": value for slot, value in enumerate(containers)},
            timestamp=GO_ZERO_TIME,
        )
    return usage


def both(*levels: int) -> list[list[int]]:
    """`makePodMetricLevels`: both containers of pod i report levels[i]."""
    return [[level, level] for level in levels]


def pod_values(*levels: int) -> dict[str, PodMetric]:
    return {
        f"test-pod-{index}": PodMetric(level, GO_ZERO_TIME) for index, level in enumerate(levels)
    }
