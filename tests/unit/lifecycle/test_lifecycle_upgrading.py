"""Rolling node replacement for a version change: fenceposts, deletion order, whole rollouts."""

from datetime import UTC, datetime, timedelta

import pytest

from services.fleet_manager.lifecycle_upgrading import (
    PoolUpgrade,
    UpgradeNode,
    deletion_order,
    plan_pool_step,
    plan_upgrade_step,
    resolve_fenceposts,
    runs_version,
)
from shared.api.kurator_cluster import WorkerConfig

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def worker(
    replicas: int, surge: object = None, unavailable: object = None, policy: str | None = None
) -> WorkerConfig:
    rolling: dict[str, object] = {}
    if surge is not None:
        rolling["maxSurge"] = surge
    if unavailable is not None:
        rolling["maxUnavailable"] = unavailable
    if policy is not None:
        rolling["deletePolicy"] = policy
    return WorkerConfig.model_validate(
        {"replicas": replicas, "instanceType": "m5.large", "strategy": {"rollingUpdate": rolling}}
    )


@pytest.mark.parametrize(
    ("surge", "unavailable", "desired", "expected"),
    [
        # Kubernetes' deployment util_test.go TestResolveFenceposts shapes.
        ("0%", "0%", 0, (0, 1)),
        ("39%", "39%", 10, (4, 3)),
        ("25%", "25%", 3, (1, 0)),
        (0, 0, 5, (0, 1)),
        (2, 1, 5, (2, 1)),
        ("100%", "100%", 3, (3, 3)),
        (None, None, 5, (1, 0)),
        (None, "50%", 5, (1, 2)),
    ],
)
def test_fenceposts(
    surge: object, unavailable: object, desired: int, expected: tuple[int, int]
) -> None:
    assert resolve_fenceposts(worker(desired, surge, unavailable)) == expected


@pytest.mark.parametrize(
    ("node", "target", "expected"),
    [
        ("v1.25.3", "1.25", True),
        ("v1.25.3", "v1.25.3", True),
        ("v1.25.3", "v1.25.4", False),
        ("v1.24.9", "1.25", False),
        ("1.25", "v1.25.0", False),
    ],
)
def test_versions(node: str, target: str, expected: bool) -> None:
    assert runs_version(node, target) is expected


def old(name: str, days: int, **extra: object) -> UpgradeNode:
    return UpgradeNode.model_validate(
        {"name": name, "version": "v1.24.0", "created_at": T0 + timedelta(days=days), **extra}
    )


NODES = [
    old("a", 1),
    old("b", 3),
    old("c", 2, ready=False),
    old("d", 4, annotations={"cluster.x-k8s.io/delete-machine": ""}),
    old("e", 5, deleting=True),
]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("Oldest", ["e", "d", "c", "a", "b"]),
        ("Newest", ["e", "d", "c", "b", "a"]),
        ("Random", ["e", "d", "c", "a", "b"]),
    ],
)
def test_cluster_api_deletion_order(policy: str, expected: list[str]) -> None:
    assert [n.name for n in deletion_order(NODES, policy)] == expected  # type: ignore[arg-type]


def _roll(pool: PoolUpgrade, version: str, clock: list[int]) -> tuple[PoolUpgrade, str, int]:
    """Apply one step as a provider would; created nodes become Ready one step later.

    Returns the new pool, the step as `deleted+created`, and how many Ready nodes were left
    standing while the step ran."""
    step = plan_pool_step(pool, version=version)
    kept = [n for n in pool.nodes if n.name not in step.delete]
    standing = sum(1 for n in kept if n.ready)
    nodes = [n.model_copy(update={"ready": True}) for n in kept]
    for _ in range(step.create):
        clock[0] += 1
        nodes.append(
            UpgradeNode(
                name=f"new-{clock[0]}",
                version=version,
                created_at=T0 + timedelta(days=100 + clock[0]),
                ready=False,
            )
        )
    return (
        pool.model_copy(update={"nodes": nodes}),
        f"{','.join(step.delete)}+{step.create}",
        standing,
    )


@pytest.mark.parametrize(
    ("surge", "unavailable", "policy", "steps"),
    [
        (1, 0, "Oldest", ["+1", "+0", "a+0", "+1", "+0", "b+0", "+1", "+0", "c+0"]),
        (0, 1, "Newest", ["c+0", "+1", "+0", "b+0", "+1", "+0", "a+0", "+1", "+0"]),
        (1, 1, "Oldest", ["a+1", "+1", "b+0", "c+1", "+0"]),
        (3, 0, "Oldest", ["+3", "+0", "a,b,c+0"]),
    ],
)
def test_a_whole_rollout_keeps_its_bounds(
    surge: int, unavailable: int, policy: str, steps: list[str]
) -> None:
    config = worker(3, surge, unavailable, policy)
    pool = PoolUpgrade(name="p-md-0", worker=config, nodes=[old("a", 1), old("b", 2), old("c", 3)])
    clock = [0]
    seen = []
    for _ in range(20):
        if plan_pool_step(pool, version="v1.25.0").done:
            break
        pool, taken, standing = _roll(pool, "v1.25.0", clock)
        seen.append(taken)
        assert len(pool.nodes) <= 3 + surge
        assert standing >= 3 - unavailable
    assert seen == steps
    assert all(n.version == "v1.25.0" and n.ready for n in pool.nodes)
    assert len(pool.nodes) == 3


def test_waiting_names_the_pool() -> None:
    pool = PoolUpgrade(
        name="p-md-0",
        worker=worker(2, 1, 0),
        nodes=[
            old("a", 1),
            old("b", 2),
            UpgradeNode(name="n", version="v1.25.0", created_at=T0, ready=False),
        ],
    )
    step = plan_pool_step(pool, version="v1.25.0")
    assert (step.create, step.delete) == (0, [])
    assert (
        step.waiting
        == "pool p-md-0: waiting for new nodes to become Ready (2 available, 2 required)"
    )


def test_unready_old_nodes_go_first_and_do_not_count_as_available() -> None:
    fresh = UpgradeNode(name="n", version="v1.25.0", created_at=T0)
    nodes = [old("a", 1), old("b", 2, ready=False), old("c", 3), fresh]
    pool = PoolUpgrade(name="p", worker=worker(3, 1, 0), nodes=nodes)
    step = plan_pool_step(pool, version="v1.25.0")
    assert (step.create, step.delete) == (0, ["b"])
    pool = PoolUpgrade(name="p", worker=worker(3, 1, 1), nodes=nodes)
    step = plan_pool_step(pool, version="v1.25.0")
    assert (step.create, step.delete) == (0, ["b", "c"])


def test_one_pool_at_a_time() -> None:
    first = PoolUpgrade(name="c-md-0", worker=worker(1), nodes=[old("a", 1)])
    second = PoolUpgrade(name="c-md-1", worker=worker(1), nodes=[old("b", 1)])
    step = plan_upgrade_step([first, second], version="v1.25.0")
    assert (step.pool, step.create) == ("c-md-0", 1)
    upgraded = first.model_copy(
        update={"nodes": [UpgradeNode(name="n", version="v1.25.0", created_at=T0)]}
    )
    step = plan_upgrade_step([upgraded, second], version="v1.25.0")
    assert (step.pool, step.create) == ("c-md-1", 1)
    finished = second.model_copy(
        update={"nodes": [UpgradeNode(name="m", version="v1.25.0", created_at=T0)]}
    )
    assert plan_upgrade_step([upgraded, finished], version="v1.25.0").done
