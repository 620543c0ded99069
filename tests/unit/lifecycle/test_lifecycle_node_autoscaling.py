"""The cluster autoscaler's decisions: bounds, Karpenter's batching, scale-up, scale-down."""

from datetime import UTC, datetime, timedelta

import pytest

from services.scaler.node_autoscaling import (
    AutoscaledPool,
    BoundsError,
    ClusterNode,
    NodeAutoscalingPolicy,
    PendingBatch,
    PendingPod,
    PoolBounds,
    ScaleDown,
    batch_closed,
    batch_closes_at,
    decide_scale_down,
    decide_scale_up,
    observe_pending_pod,
    pool_bounds,
)
from shared.api.pods import Node, Pod

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
POOLS = ["c-md-0", "c-md-1"]
POLICY = NodeAutoscalingPolicy()


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        ({}, {}),
        ({"cluster.navarch.dev/min-nodes": "1"}, {}),
        (
            {"cluster.navarch.dev/max-nodes": "5"},
            {"c-md-0": PoolBounds(max_nodes=5), "c-md-1": PoolBounds(max_nodes=5)},
        ),
        (
            {"cluster.navarch.dev/min-nodes": "2", "cluster.navarch.dev/max-nodes": "0=4"},
            {"c-md-0": PoolBounds(min_nodes=2, max_nodes=4)},
        ),
        (
            {
                "cluster.navarch.dev/min-nodes": "c-md-1=1",
                "cluster.navarch.dev/max-nodes": "0=3, c-md-1=2",
            },
            {"c-md-0": PoolBounds(max_nodes=3), "c-md-1": PoolBounds(min_nodes=1, max_nodes=2)},
        ),
    ],
)
def test_pool_bounds(annotations: dict[str, str], expected: dict[str, PoolBounds]) -> None:
    assert pool_bounds(annotations, pools=POOLS) == expected


@pytest.mark.parametrize(
    ("annotations", "message"),
    [
        (
            {"cluster.navarch.dev/max-nodes": "many"},
            'metadata.annotations[cluster.navarch.dev/max-nodes]: Invalid value: "many": '
            "must be a non-negative integer or a list of <pool>=<count>",
        ),
        (
            {"cluster.navarch.dev/max-nodes": "0=-1"},
            'metadata.annotations[cluster.navarch.dev/max-nodes]: Invalid value: "0=-1": '
            "must be a non-negative integer or a list of <pool>=<count>",
        ),
        (
            {"cluster.navarch.dev/max-nodes": "0=1,7"},
            'metadata.annotations[cluster.navarch.dev/max-nodes]: Invalid value: "0=1,7": '
            "must be a non-negative integer or a list of <pool>=<count>",
        ),
        (
            {"cluster.navarch.dev/max-nodes": "gpu=2"},
            'metadata.annotations[cluster.navarch.dev/max-nodes]: Invalid value: "gpu=2": '
            'no pool "gpu" (pools: c-md-0, c-md-1)',
        ),
        (
            {"cluster.navarch.dev/min-nodes": "3", "cluster.navarch.dev/max-nodes": "2"},
            "metadata.annotations[cluster.navarch.dev/min-nodes]: Invalid value: 3: must be less "
            "than or equal to cluster.navarch.dev/max-nodes (2) for pool c-md-0",
        ),
    ],
)
def test_bad_bounds_name_the_annotation(annotations: dict[str, str], message: str) -> None:
    with pytest.raises(BoundsError) as caught:
        pool_bounds(annotations, pools=POOLS)
    assert str(caught.value) == message


def test_a_batch_closes_after_one_idle_second() -> None:
    batch = observe_pending_pod(PendingBatch(), now=T0)
    batch = observe_pending_pod(batch, now=T0 + timedelta(milliseconds=500))
    assert batch_closes_at(batch, policy=POLICY) == T0 + timedelta(milliseconds=1500)
    assert not batch_closed(batch, now=T0 + timedelta(milliseconds=1499), policy=POLICY)
    assert batch_closed(batch, now=T0 + timedelta(milliseconds=1500), policy=POLICY)
    assert batch_closes_at(PendingBatch(), policy=POLICY) is None


def test_a_busy_batch_closes_after_ten_seconds() -> None:
    batch = PendingBatch()
    for tenth in range(0, 150, 5):
        batch = observe_pending_pod(batch, now=T0 + timedelta(seconds=tenth / 10))
    assert batch.started_at == T0
    assert batch_closes_at(batch, policy=POLICY) == T0 + timedelta(seconds=10)
    quick = NodeAutoscalingPolicy(batch_idle=timedelta(seconds=2), batch_max=timedelta(seconds=3))
    assert batch_closes_at(batch, policy=quick) == T0 + timedelta(seconds=3)


def pending(
    key: str, cpu: str, memory: str, *, gpus: int = 0, unschedulable: bool = True
) -> PendingPod:
    requests = {"cpu": cpu, "memory": memory}
    if gpus:
        requests["nvidia.com/gpu"] = str(gpus)
    return PendingPod(key=key, requests=requests, unschedulable=unschedulable)


WEB = AutoscaledPool(
    name="c-md-0", instance_type="m5.large", replicas=2, bounds=PoolBounds(max_nodes=5)
)
COMPUTE = AutoscaledPool(
    name="c-md-1", instance_type="c5.2xlarge", replicas=1, bounds=PoolBounds(max_nodes=3)
)
GPU = AutoscaledPool(
    name="c-md-2", instance_type="g4dn.xlarge", replicas=0, bounds=PoolBounds(max_nodes=2)
)


def test_scale_up_grows_the_least_waste_pool() -> None:
    pods = [pending(f"default/cpu-{i}", "1500m", "1Gi") for i in range(4)]
    decision = decide_scale_up(pools=[WEB, COMPUTE], pending=pods)
    assert decision is not None
    assert (decision.pool, decision.instance_type, decision.added, decision.replicas) == (
        "c-md-1",
        "c5.2xlarge",
        1,
        2,
    )
    assert decision.pods == [f"default/cpu-{i}" for i in range(4)]


def test_scale_up_stays_within_the_maximum() -> None:
    pods = [pending(f"default/web-{i}", "1", "6Gi") for i in range(6)]
    decision = decide_scale_up(pools=[WEB], pending=pods)
    assert decision is not None
    assert (decision.added, decision.replicas) == (3, 5)
    full = WEB.model_copy(update={"replicas": 5})
    assert decide_scale_up(pools=[full], pending=pods) is None


def test_pods_no_pool_fits_are_reported_and_scheduled_pods_ignored() -> None:
    pods = [
        pending("default/train", "2", "8Gi", gpus=1),
        pending("default/web", "1", "1Gi"),
        pending("default/huge", "64", "1Gi"),
        pending("default/placed", "1", "1Gi", unschedulable=False),
    ]
    # One g4dn.xlarge takes both the GPU pod and the web pod (0.25 + 0.44 wasted); an
    # m5.large would take the web pod alone (0.5 + 0.88).
    decision = decide_scale_up(pools=[WEB, GPU], pending=pods)
    assert decision is not None
    assert (decision.pool, decision.added) == ("c-md-2", 1)
    assert decision.pods == ["default/train", "default/web"]
    assert decision.unhelped == ["default/huge"]
    web_only = decide_scale_up(pools=[WEB], pending=pods)
    assert web_only is not None and web_only.pool == "c-md-0"
    assert web_only.unhelped == ["default/huge", "default/train"]
    assert decide_scale_up(pools=[WEB], pending=pods[2:]) is None


def node(
    name: str, *, cpu: str = "2", memory: str = "8Gi", annotations: dict[str, str] | None = None
) -> Node:
    return Node.model_validate(
        {
            "metadata": {"name": name, "annotations": annotations or {}},
            "status": {
                "allocatable": {"cpu": cpu, "memory": memory, "pods": "29"},
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        }
    )


def pod(
    name: str, cpu: str, *, namespace: str = "default", owner: str | None = "ReplicaSet"
) -> Pod:
    metadata: dict[str, object] = {"name": name, "namespace": namespace}
    if owner:
        metadata["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": owner, "name": "o", "uid": "u", "controller": True}
        ]
    return Pod.model_validate(
        {
            "metadata": metadata,
            "spec": {"containers": [{"resources": {"requests": {"cpu": cpu, "memory": "1Gi"}}}]},
        }
    )


def cluster(light: list[Pod], *, busy_cpu: str = "1", **light_node: object) -> list[ClusterNode]:
    return [
        ClusterNode(node=node("n1", **light_node), pods=light, pool="c-md-0"),  # type: ignore[arg-type]
        ClusterNode(node=node("n2"), pods=[pod("busy", busy_cpu)], pool="c-md-0"),
    ]


POOL = AutoscaledPool(
    name="c-md-0", instance_type="m5.large", replicas=2, bounds=PoolBounds(max_nodes=4)
)


def scale_down(
    nodes: list[ClusterNode],
    *,
    since: dict[str, datetime] | None = None,
    last_up: datetime | None = None,
    pools: list[AutoscaledPool] | None = None,
) -> ScaleDown:
    return decide_scale_down(
        nodes=nodes,
        pools=pools or [POOL],
        unneeded_since=since or {},
        last_scale_up_at=last_up,
        now=T0,
        policy=POLICY,
    )


def test_an_underused_node_becomes_unneeded_then_is_removed() -> None:
    nodes = cluster([pod("light", "500m"), pod("logs", "100m", owner="DaemonSet")])
    first = scale_down(nodes)
    assert first.unneeded_since == {"n1": T0} and first.remove == {}
    nine = scale_down(nodes, since={"n1": T0 - timedelta(minutes=9)})
    assert nine.unneeded_since == {"n1": T0 - timedelta(minutes=9)} and nine.remove == {}
    ten = scale_down(nodes, since={"n1": T0 - timedelta(minutes=10)})
    assert ten.remove == {"c-md-0": ["n1"]}


@pytest.mark.parametrize(
    ("nodes", "reason"),
    [
        (cluster([pod("half", "1")]), "at the 50% threshold"),
        (cluster([pod("light", "500m")], busy_cpu="1800m"), "its pods fit nowhere else"),
        (cluster([pod("naked", "100m", owner=None)]), "a pod without a controller"),
        (cluster([pod("dns", "100m", namespace="kube-system")]), "a kube-system pod"),
        (
            cluster(
                [pod("light", "100m")],
                annotations={"cluster-autoscaler.kubernetes.io/scale-down-disabled": "true"},
            ),
            "scale-down disabled",
        ),
    ],
)
def test_nodes_that_stay(nodes: list[ClusterNode], reason: str) -> None:
    decision = scale_down(nodes, since={"n1": T0 - timedelta(hours=1)})
    assert "n1" not in decision.unneeded_since, reason
    assert decision.remove == {}, reason


def test_bounds_and_the_delay_after_a_scale_up_hold_removals_back() -> None:
    nodes = cluster([pod("light", "500m")])
    long_ago = {"n1": T0 - timedelta(hours=1)}
    at_minimum = POOL.model_copy(update={"bounds": PoolBounds(min_nodes=2, max_nodes=4)})
    assert scale_down(nodes, since=long_ago, pools=[at_minimum]).remove == {}
    recent = scale_down(nodes, since=long_ago, last_up=T0 - timedelta(minutes=5))
    assert recent.remove == {} and "n1" in recent.unneeded_since
    assert scale_down(nodes, since=long_ago, last_up=T0 - timedelta(minutes=10)).remove
    unscaled = [entry.model_copy(update={"pool": None}) for entry in nodes]
    assert scale_down(unscaled, since=long_ago).unneeded_since == {}


def test_empty_nodes_go_together_and_busy_ones_one_at_a_time() -> None:
    nodes = [
        ClusterNode(node=node("e1"), pods=[pod("logs", "100m", owner="DaemonSet")], pool="c-md-0"),
        ClusterNode(node=node("e2"), pods=[], pool="c-md-0"),
        ClusterNode(node=node("l1"), pods=[pod("a", "200m")], pool="c-md-0"),
        ClusterNode(node=node("l2"), pods=[pod("b", "200m")], pool="c-md-0"),
        ClusterNode(node=node("z"), pods=[pod("big", "1500m")], pool="c-md-0"),
    ]
    pool = POOL.model_copy(update={"replicas": 5, "bounds": PoolBounds(max_nodes=6)})
    long_ago = {name: T0 - timedelta(hours=1) for name in ("e1", "e2", "l1", "l2")}
    decision = scale_down(nodes, since=long_ago, pools=[pool])
    assert decision.remove == {"c-md-0": ["e1", "e2", "l1"]}


def test_a_node_taking_anothers_pods_stays_in_the_same_pass() -> None:
    nodes = [
        ClusterNode(node=node("a"), pods=[pod("x", "300m")], pool="c-md-0"),
        ClusterNode(node=node("b"), pods=[pod("y", "300m")], pool="c-md-0"),
        ClusterNode(node=node("c"), pods=[pod("z", "1100m")], pool="c-md-0"),
    ]
    decision = scale_down(nodes, pools=[POOL.model_copy(update={"replicas": 3})])
    assert decision.unneeded_since == {"a": T0}
