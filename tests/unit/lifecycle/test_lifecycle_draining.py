"""Which nodes a shrinking pool loses, kubectl drain's plan for each, and eviction retries."""

from datetime import UTC, datetime, timedelta

import pytest

from services.fleet_manager.lifecycle_budgets import EvictionVerdict
from services.fleet_manager.lifecycle_draining import (
    DrainOptions,
    DrainPod,
    EvictionProgress,
    EvictionRetryPolicy,
    go_duration,
    next_eviction_step,
    plan_drain,
    select_nodes_to_remove,
)
from shared.api.pods import Node, Pod

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def node(name: str, *, created: str, ready: bool = True, cpu: str = "2") -> Node:
    return Node.model_validate(
        {
            "metadata": {"name": name, "creationTimestamp": created},
            "status": {
                "allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "29"},
                "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            },
        }
    )


def pod(cpu: str, memory: str = "1Gi") -> Pod:
    return Pod.model_validate(
        {"spec": {"containers": [{"resources": {"requests": {"cpu": cpu, "memory": memory}}}]}}
    )


NODES = [
    node("a", created="2026-01-01T00:00:00Z"),
    node("b", created="2026-01-02T00:00:00Z"),
    node("c", created="2026-01-03T00:00:00Z"),
    node("d", created="2026-01-04T00:00:00Z"),
]
PODS = {"a": [pod("1500m")], "b": [pod("500m")], "c": [pod("500m")], "d": [pod("1")]}


@pytest.mark.parametrize(
    ("new_count", "order", "expected"),
    [
        (4, "Oldest", []),
        (6, "Oldest", []),
        (3, "Oldest", ["b"]),
        (3, "Newest", ["c"]),
        (2, "Oldest", ["b", "c"]),
        (1, "Newest", ["c", "b", "d"]),
        (0, "Oldest", ["b", "c", "d", "a"]),
        (-1, "Oldest", ["b", "c", "d", "a"]),
    ],
)
def test_lowest_utilization_then_age(new_count: int, order: str, expected: list[str]) -> None:
    selection = select_nodes_to_remove(
        nodes=NODES,
        pods_by_node=PODS,
        new_count=new_count,
        cluster_healthy=True,
        order=order,  # type: ignore[arg-type]
        now=NOW,
    )
    assert selection.nodes == expected


def test_not_ready_and_unmeasurable_nodes_go_first() -> None:
    broken = node("z", created="2026-01-05T00:00:00Z", ready=False)
    empty = Node.model_validate(
        {"metadata": {"name": "y"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    )
    selection = select_nodes_to_remove(
        nodes=[*NODES, broken, empty],
        pods_by_node={**PODS, "z": [pod("2")]},
        new_count=4,
        cluster_healthy=True,
        order="Oldest",
        now=NOW,
    )
    assert selection.nodes == ["z", "y"]


def test_an_unhealthy_cluster_waits() -> None:
    selection = select_nodes_to_remove(
        nodes=NODES, pods_by_node=PODS, new_count=2, cluster_healthy=False, order="Oldest", now=NOW
    )
    assert selection.nodes == []
    assert "not healthy" in selection.waiting


def drain_pod(name: str, *, owner: str | None = "ReplicaSet", **extra: object) -> DrainPod:
    metadata: dict[str, object] = {"name": name, "namespace": "default"}
    if owner:
        metadata["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": owner, "name": "o", "uid": "u", "controller": True}
        ]
    metadata.update(extra.pop("metadata", {}))  # type: ignore[arg-type]
    return DrainPod.model_validate({"metadata": metadata, **extra})


WEB = drain_pod("web")
DAEMON = drain_pod("logs", owner="DaemonSet")
MIRROR = drain_pod(
    "etcd", owner=None, metadata={"annotations": {"kubernetes.io/config.mirror": "x"}}
)
CACHE = drain_pod("cache", spec={"volumes": [{"name": "scratch", "emptyDir": {}}]})
NAKED = drain_pod("naked", owner=None)
DONE = drain_pod("job", owner=None, status={"phase": "Succeeded"})
LEAVING = drain_pod("leaving", metadata={"deletionTimestamp": "2026-03-01T11:59:00Z"})
ALL = [WEB, DAEMON, MIRROR, CACHE, NAKED, DONE, LEAVING]


def test_cluster_api_defaults_evict_everything_but_daemonsets_and_mirrors() -> None:
    plan = plan_drain(node="n1", cordoned=False, pods=ALL, options=DrainOptions())
    assert plan.cordon and not plan.blocked
    assert plan.evict == ["default/web", "default/cache", "default/naked", "default/job"]
    assert plan.wait_for == ["default/leaving"]
    assert plan.warnings == [
        "ignoring DaemonSet-managed Pods: default/logs",
        "deleting Pods with local storage: default/cache",
        "deleting Pods that declare no controller: default/naked",
    ]


def test_kubectl_defaults_refuse_with_kubectls_words() -> None:
    options = DrainOptions(ignore_daemonsets=False, delete_emptydir_data=False, force=False)
    plan = plan_drain(node="n1", cordoned=True, pods=ALL, options=options)
    assert not plan.cordon and plan.blocked
    assert plan.errors == [
        "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/logs",
        "cannot delete Pods with local storage (use --delete-emptydir-data to override): "
        "default/cache",
        "cannot delete Pods that declare no controller (use --force to override): default/naked",
    ]
    assert plan.evict == ["default/web", "default/job"]


POLICY = EvictionRetryPolicy(
    initial_backoff=timedelta(seconds=5),
    max_backoff=timedelta(seconds=30),
    timeout=timedelta(minutes=2),
)
BLOCKED = EvictionVerdict(
    code=429,
    reason="TooManyRequests",
    message="Cannot evict pod as it would violate the pod's disruption budget.",
    budget="web-pdb",
    cause="The disruption budget web-pdb needs 2 healthy pods and has 2 currently",
)


def test_refused_evictions_back_off_then_give_up_naming_the_budget() -> None:
    progress = EvictionProgress(pod="default/web", started_at=NOW)
    now = NOW
    waits = []
    while True:
        step = next_eviction_step(progress, verdict=BLOCKED, now=now, policy=POLICY)
        if step.action != "retry":
            break
        assert step.retry_at is not None
        waits.append((step.retry_at - now).total_seconds())
        now, progress = step.retry_at, step.progress
    assert waits == [5, 10, 20, 30, 30]
    assert step.action == "failed"
    assert step.progress.blocked_by == "web-pdb"
    assert step.error == (
        'error when evicting pods/"web" -n "default": global timeout reached: 2m0s '
        '(blocked by PodDisruptionBudget "web-pdb": The disruption budget web-pdb needs 2 '
        "healthy pods and has 2 currently)"
    )


@pytest.mark.parametrize(
    ("verdict", "action"),
    [
        (EvictionVerdict(code=201), "done"),
        (EvictionVerdict(code=404, reason="NotFound"), "done"),
        (EvictionVerdict(code=403, reason="Forbidden", message="forbidden"), "failed"),
    ],
)
def test_other_answers(verdict: EvictionVerdict, action: str) -> None:
    progress = EvictionProgress(pod="default/web", started_at=NOW)
    step = next_eviction_step(progress, verdict=verdict, now=NOW, policy=POLICY)
    assert step.action == action
    assert step.progress.attempts == 1
    if action == "failed":
        assert step.error == 'error when evicting pods/"web" -n "default": forbidden'


@pytest.mark.parametrize(
    ("seconds", "text"), [(5, "5s"), (60, "1m0s"), (600, "10m0s"), (3725, "1h2m5s")]
)
def test_go_durations(seconds: int, text: str) -> None:
    assert go_duration(timedelta(seconds=seconds)) == text
