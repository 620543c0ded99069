"""The scheduler's fit function: requests, selectors, taints, cordon, GPUs, and wording."""

from decimal import Decimal

import pytest

from services.simulator.podscheduling import NodeInfo, fit, node_infos, pod_requests


def node(
    name: str,
    *,
    cpu: str = "4",
    memory: str = "8Gi",
    pods: str = "110",
    gpus: str | None = None,
    labels: dict[str, str] | None = None,
    taints: list[dict] | None = None,
    unschedulable: bool = False,
) -> dict:
    allocatable = {"cpu": cpu, "memory": memory, "pods": pods}
    if gpus is not None:
        allocatable["nvidia.com/gpu"] = gpus
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"taints": taints or [], "unschedulable": unschedulable},
        "status": {"allocatable": allocatable},
    }


def pod(
    *,
    cpu: str | None = None,
    memory: str | None = None,
    gpus: str | None = None,
    node_name: str | None = None,
    phase: str = "Pending",
    **spec: object,
) -> dict:
    requests = {
        key: value
        for key, value in (("cpu", cpu), ("memory", memory), ("nvidia.com/gpu", gpus))
        if value is not None
    }
    containers = [{"name": "app", "resources": {"requests": requests}}]
    body: dict = {"containers": containers, **spec}
    if node_name:
        body["nodeName"] = node_name
    return {
        "metadata": {"name": "p", "namespace": "default"},
        "spec": body,
        "status": {"phase": phase},
    }


def infos(nodes: list[dict], pods: list[dict] | None = None) -> list[NodeInfo]:
    return list(node_infos(nodes, pods or []).values())


def test_requests_sum_containers_and_max_with_init_containers() -> None:
    spec = {
        "containers": [
            {"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}},
            {"name": "b", "resources": {"limits": {"cpu": "500m"}}},
        ],
        "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "1", "memory": "1Mi"}}}],
        "overhead": {"cpu": "10m"},
    }
    assert pod_requests(spec) == {
        "cpu": Decimal("1.01"),
        "memory": Decimal(64 * 1024 * 1024),
    }


def test_least_allocated_node_wins_and_bound_pods_count() -> None:
    nodes = [node("a"), node("b")]
    bound = [pod(cpu="3", node_name="a", phase="Running")]
    assert fit(pod(cpu="1"), infos(nodes, bound)).node == "b"
    finished = [pod(cpu="3", node_name="b", phase="Succeeded"), *bound]
    assert fit(pod(cpu="1"), infos(nodes, finished)).node == "b", "finished pods free room"


@pytest.mark.parametrize(
    ("candidate", "nodes", "message"),
    [
        (
            pod(cpu="5"),
            [node("a"), node("b"), node("c")],
            "0/3 nodes are available: 3 Insufficient cpu.",
        ),
        (
            pod(cpu="5", memory="16Gi"),
            [node("a")],
            "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.",
        ),
        (
            pod(cpu="1"),
            [node("a", pods="0")],
            "0/1 nodes are available: 1 Too many pods.",
        ),
        (
            pod(cpu="1", nodeSelector={"disk": "ssd"}),
            [node("a"), node("b", cpu="1")],
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.",
        ),
        (
            pod(cpu="1"),
            [node("a", unschedulable=True), node("b", cpu="500m")],
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable.",
        ),
        (
            pod(),
            [node("a", taints=[{"key": "dedicated", "value": "special", "effect": "NoSchedule"}])],
            "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: special}.",
        ),
        (
            pod(gpus="1"),
            [node("a"), node("b", gpus="0")],
            "0/2 nodes are available: 2 Insufficient nvidia.com/gpu.",
        ),
    ],
)
def test_unschedulable_messages_use_kubernetes_wording(
    candidate: dict, nodes: list[dict], message: str
) -> None:
    result = fit(candidate, infos(nodes))
    assert result.node is None
    assert result.message == message


def test_node_selector_picks_the_matching_node() -> None:
    nodes = [node("a", labels={"nvidia.com/gpu.product": "a100"}), node("b")]
    candidate = pod(nodeSelector={"nvidia.com/gpu.product": "a100"})
    assert fit(candidate, infos(nodes)).node == "a"


def test_required_node_affinity_is_honoured() -> None:
    nodes = [node("a", labels={"zone": "z1"}), node("b", labels={"zone": "z2"})]
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z2"]}]}
                ]
            }
        }
    }
    assert fit(pod(affinity=affinity), infos(nodes)).node == "b"


def test_gpu_pods_land_only_where_gpus_are_free() -> None:
    nodes = [node("cpu-only"), node("gpu", gpus="8")]
    assert fit(pod(gpus="4"), infos(nodes)).node == "gpu"
    busy = [pod(gpus="6", node_name="gpu", phase="Running")]
    result = fit(pod(gpus="4"), infos(nodes, busy))
    assert result.message == "0/2 nodes are available: 2 Insufficient nvidia.com/gpu."


@pytest.mark.parametrize(
    ("tolerations", "fits"),
    [
        ([], False),
        (
            [{"key": "dedicated", "operator": "Equal", "value": "special", "effect": "NoSchedule"}],
            True,
        ),
        ([{"key": "dedicated", "operator": "Exists"}], True),
        ([{"key": "dedicated", "operator": "Equal", "value": "other"}], False),
        ([{"operator": "Exists"}], True),
        ([{"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}], False),
    ],
)
def test_taints_against_tolerations(tolerations: list[dict], fits: bool) -> None:
    taint = {"key": "dedicated", "value": "special", "effect": "NoSchedule"}
    result = fit(pod(tolerations=tolerations), infos([node("a", taints=[taint])]))
    assert (result.node == "a") is fits


def test_prefer_no_schedule_and_no_execute() -> None:
    soft = {"key": "spot", "effect": "PreferNoSchedule"}
    assert fit(pod(), infos([node("a", taints=[soft])])).node == "a"
    hard = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}
    result = fit(pod(), infos([node("a", taints=[hard])]))
    assert result.message == (
        "0/1 nodes are available: "
        "1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }."
    )


def test_cordoned_nodes_only_take_pods_tolerating_unschedulable() -> None:
    cordoned = [node("a", unschedulable=True)]
    assert fit(pod(), infos(cordoned)).message == (
        "0/1 nodes are available: 1 node(s) were unschedulable."
    )
    toleration = {"key": "node.kubernetes.io/unschedulable", "operator": "Exists"}
    assert fit(pod(tolerations=[toleration]), infos(cordoned)).node == "a"


def test_no_nodes() -> None:
    assert fit(pod(), []).message == "0/0 nodes are available."
