"""Node utilization, ported from cluster-autoscaler/simulator/utilization/info_test.go."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.api.pods import Node, Pod
from shared.node_utilization import UtilizationError, node_utilization

TEST_TIME = datetime(2020, 12, 18, 17, 0, tzinfo=UTC)


def build_pod(
    name: str,
    cpu_milli: int,
    memory: int,
    *,
    owner: str | None = None,
    annotations: dict[str, str] | None = None,
    gpus: int = 0,
    deleted: datetime | None = None,
) -> Pod:
    requests: dict[str, str] = {}
    if cpu_milli >= 0:
        requests["cpu"] = f"{cpu_milli}m"
    if memory >= 0:
        requests["memory"] = str(memory)
    if gpus:
        requests["nvidia.com/gpu"] = str(gpus)
    metadata: dict[str, object] = {"name": name, "annotations": annotations or {}}
    if owner:
        metadata["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": owner, "name": "ds", "uid": "u", "controller": True}
        ]
    if deleted:
        metadata["deletionTimestamp"] = deleted.strftime("%Y-%m-%dT%H:%M:%SZ")
    return Pod.model_validate(
        {"metadata": metadata, "spec": {"containers": [{"resources": {"requests": requests}}]}}
    )


def build_node(
    name: str, cpu_milli: int, memory: int, *, gpus: int = 0, labels: dict[str, str] | None = None
) -> Node:
    allocatable = {"cpu": f"{cpu_milli}m", "pods": "100"}
    if memory >= 0:
        allocatable["memory"] = str(memory)
    if gpus:
        allocatable["nvidia.com/gpu"] = str(gpus)
    return Node.model_validate(
        {
            "metadata": {"name": name, "labels": labels or {}},
            "status": {"allocatable": allocatable, "capacity": allocatable},
        }
    )


POD = build_pod("p1", 100, 200000)
POD2 = build_pod("p2", -1, -1)
DAEMONSET_POD = build_pod("p3", 100, 200000, owner="DaemonSet")
ANNOTATED_DAEMONSET_POD = build_pod(
    "p4", 100, 200000, annotations={"cluster-autoscaler.kubernetes.io/daemonset-pod": "true"}
)
MIRROR_POD = build_pod("p4", 100, 200000, annotations={"kubernetes.io/config.mirror": ""})
TERMINATED_POD = build_pod("t", 100, 200000, deleted=TEST_TIME - timedelta(minutes=10))
NODE = build_node("node1", 2000, 2000000)


@pytest.mark.parametrize(
    ("pods", "skip_daemonsets", "skip_mirrors", "expected"),
    [
        ([POD, POD, POD2], False, False, 2.0 / 10),
        ([POD, POD, POD2, DAEMONSET_POD, ANNOTATED_DAEMONSET_POD], True, False, 2.5 / 10),
        ([POD, POD2, DAEMONSET_POD], False, False, 2.0 / 10),
        ([POD, POD, POD2, TERMINATED_POD], False, False, 2.0 / 10),
        ([POD, POD, POD2, MIRROR_POD], False, True, 2.0 / 9.0),
        ([POD, POD2, MIRROR_POD], False, False, 2.0 / 10),
        ([POD, MIRROR_POD, DAEMONSET_POD], True, True, 1.0 / 8.0),
    ],
)
def test_utilization(
    pods: list[Pod], skip_daemonsets: bool, skip_mirrors: bool, expected: float
) -> None:
    measured = node_utilization(
        NODE,
        pods,
        now=TEST_TIME,
        skip_daemonset_pods=skip_daemonsets,
        skip_mirror_pods=skip_mirrors,
    )
    assert measured.utilization == pytest.approx(expected, rel=0.01)


def test_cpu_share_is_reported_beside_the_maximum() -> None:
    measured = node_utilization(NODE, [POD, POD, POD2], now=TEST_TIME)
    assert measured.cpu == pytest.approx(0.1)
    assert measured.resource_name == "memory"


def test_a_node_without_memory_cannot_be_measured() -> None:
    with pytest.raises(UtilizationError, match="failed to get memory from node2"):
        node_utilization(build_node("node2", 2000, -1), [POD], now=TEST_TIME)
    with pytest.raises(UtilizationError, match="memory is 0 at node3"):
        node_utilization(build_node("node3", 2000, 0), [POD], now=TEST_TIME)


def test_gpu_nodes_are_measured_by_their_gpus() -> None:
    gpu_node = build_node("gpu_node", 2000, 2000000, gpus=1)
    gpu_pod = build_pod("gpu_pod", 100, 200000, gpus=1)
    measured = node_utilization(gpu_node, [POD, POD, gpu_pod], now=TEST_TIME)
    assert (measured.utilization, measured.resource_name) == (1.0, "nvidia.com/gpu")
    unready = build_node("gpu_node", 2000, 2000000, labels={"nvidia.com/gpu.product": "t4"})
    assert node_utilization(unready, [POD, POD], now=TEST_TIME).utilization == 0


def test_a_pod_within_its_grace_period_still_counts() -> None:
    recent = build_pod("r", 100, 200000, deleted=TEST_TIME - timedelta(seconds=10))
    measured = node_utilization(NODE, [POD, recent], now=TEST_TIME)
    assert measured.utilization == pytest.approx(2.0 / 10)
