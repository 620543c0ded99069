"""Taint-based eviction timing and graceful eviction task cleanup (failover.py)."""

import logging
from datetime import UTC, datetime, timedelta

import pytest

from services.scheduler.eviction_events import report_eviction
from services.scheduler.failover import (
    EvictionPlan,
    TaintSightings,
    evict_cluster,
    plan_evictions,
    settle_tasks,
)
from shared.api.binding import AggregatedStatusItem, ResourceBindingSpec
from shared.api.cluster import TAINT_NOT_READY, Cluster
from shared.api.kinds import EVENTS
from shared.api.meta import Taint, Toleration
from shared.api.propagation import FailoverBehavior
from shared.events.recording import EventRecorder
from shared.runtime.clock import format_timestamp
from shared.store.memory import MemoryBackend
from shared.store.objects import ObjectStore

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def cluster(name: str, *taints: Taint) -> Cluster:
    return Cluster.model_validate(
        {"metadata": {"name": name}, "spec": {"taints": [t.to_dict() for t in taints]}}
    )


def not_ready(added: datetime = NOW) -> Taint:
    return Taint(key=TAINT_NOT_READY, effect="NoExecute", time_added=format_timestamp(added))


def spec(**replicas: int) -> ResourceBindingSpec:
    return ResourceBindingSpec.model_validate(
        {
            "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "replicas": sum(replicas.values()),
            "clusters": [{"name": n, "replicas": r} for n, r in replicas.items()],
        }
    )


def plan(
    binding: ResourceBindingSpec,
    clusters: list[Cluster],
    tolerations: list[Toleration] | None = None,
    *,
    now: datetime = NOW,
    default: float = 0.0,
) -> EvictionPlan:
    return plan_evictions(
        spec=binding,
        clusters={c.name: c for c in clusters},
        tolerations=tolerations or [],
        now=now,
        added_at=lambda _c, t: datetime.fromisoformat(t.time_added.replace("Z", "+00:00")),
        default_toleration_seconds=default,
    )


def test_untolerated_no_execute_evicts_at_once_by_default() -> None:
    result = plan(spec(a=4, b=4), [cluster("a", not_ready()), cluster("b")])
    assert result == EvictionPlan(["a"], None)


def test_no_schedule_taints_never_evict() -> None:
    taint = Taint(key=TAINT_NOT_READY, effect="NoSchedule")
    assert plan(spec(a=4), [cluster("a", taint)]).evict == []


def test_navarch_default_grace_and_toleration_seconds_delay_eviction() -> None:
    assert plan(spec(a=4), [cluster("a", not_ready())], default=5) == EvictionPlan([], 5.0)
    tolerate = Toleration(key=TAINT_NOT_READY, operator="Exists", effect="NoExecute")
    thirty = tolerate.model_copy(update={"toleration_seconds": 30})
    assert plan(spec(a=4), [cluster("a", not_ready())], [thirty]) == EvictionPlan([], 30.0)
    later = NOW + timedelta(seconds=31)
    assert plan(spec(a=4), [cluster("a", not_ready())], [thirty], now=later).evict == ["a"]
    assert plan(spec(a=4), [cluster("a", not_ready())], [tolerate]) == EvictionPlan([], None)


def test_eviction_moves_the_target_into_a_task() -> None:
    binding = spec(a=4, b=4, c=4)
    evict_cluster(binding, "c", now=NOW)
    assert [t.name for t in binding.clusters] == ["a", "b"]
    [task] = binding.graceful_eviction_tasks
    assert (task.from_cluster, task.replicas, task.reason, task.producer, task.purge_mode) == (
        "c",
        4,
        "TaintUntolerated",
        "TaintManager",
        "Gracefully",
    )
    assert task.clusters_before_failover == ["a", "b", "c"]
    assert binding.evicting_clusters() == {"c"}


def test_directly_purged_clusters_keep_no_task() -> None:
    binding = spec(a=4, b=4)
    binding.failover = FailoverBehavior.model_validate({"cluster": {"purgeMode": "Directly"}})
    evict_cluster(binding, "a", now=NOW)
    assert [t.name for t in binding.clusters] == ["b"]
    assert binding.graceful_eviction_tasks == []


def healthy(*names: str) -> list[AggregatedStatusItem]:
    return [AggregatedStatusItem(cluster_name=n, health="Healthy") for n in names]


def test_task_stays_until_every_new_target_is_healthy() -> None:
    binding = spec(a=4, b=4, c=4)
    evict_cluster(binding, "c", now=NOW)
    binding.clusters = spec(a=6, b=6).clusters
    later = NOW + timedelta(seconds=10)
    recheck = settle_tasks(
        binding, aggregated=healthy("a"), scheduled=True, now=later, timeout_seconds=600
    )
    assert recheck == 590 and len(binding.graceful_eviction_tasks) == 1
    settle_tasks(
        binding, aggregated=healthy("a", "b"), scheduled=False, now=later, timeout_seconds=600
    )
    assert len(binding.graceful_eviction_tasks) == 1
    settle_tasks(
        binding, aggregated=healthy("a", "b"), scheduled=True, now=later, timeout_seconds=600
    )
    assert binding.graceful_eviction_tasks == []


def test_task_expires_after_timeout_or_its_own_grace_period() -> None:
    binding = spec(a=4, b=4)
    evict_cluster(binding, "b", now=NOW)
    assert settle_tasks(binding, aggregated=[], scheduled=True, now=NOW, timeout_seconds=600) == 600
    binding.graceful_eviction_tasks[0].grace_period_seconds = 20
    at = NOW + timedelta(seconds=20)
    assert settle_tasks(binding, aggregated=[], scheduled=True, now=at, timeout_seconds=600) is None
    assert binding.graceful_eviction_tasks == []


def test_no_replacement_keeps_the_old_copy_until_timeout() -> None:
    binding = spec(a=4)
    evict_cluster(binding, "a", now=NOW)
    settle_tasks(binding, aggregated=[], scheduled=True, now=NOW, timeout_seconds=600)
    assert [t.from_cluster for t in binding.graceful_eviction_tasks] == ["a"]


async def test_an_eviction_logs_and_records_karmadas_event_on_binding_and_template(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = ObjectStore(MemoryBackend())
    recorder = EventRecorder(store, component="scheduler", clock=lambda: NOW)
    recorder.start()
    binding = {
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": "ResourceBinding",
        "metadata": {"name": "web-deployment", "namespace": "shop", "uid": "b-1"},
        "spec": {
            "resource": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "namespace": "shop",
                "name": "web",
                "uid": "d-1",
            }
        },
    }
    with caplog.at_level(logging.WARNING, logger="services.scheduler.eviction_events"):
        report_eviction(recorder, binding=binding, cluster="east", replicas=4)
    await recorder.flush()
    await recorder.stop()
    [line] = caplog.records
    assert (line.cluster, line.reason, line.binding, line.replicas) == (
        "east",
        "TaintUntolerated",
        "shop/web-deployment",
        4,
    )
    stored = (await store.list(EVENTS, namespace="shop")).items
    assert sorted(
        (e["involvedObject"]["kind"], e["involvedObject"]["uid"], e["reason"], e["message"])
        for e in stored
    ) == [
        (
            "Deployment",
            "d-1",
            "EvictWorkloadFromClusterSucceed",
            "Evict from cluster east succeed.",
        ),
        (
            "ResourceBinding",
            "b-1",
            "EvictWorkloadFromClusterSucceed",
            "Evict from cluster east succeed.",
        ),
    ]


def test_a_taint_without_time_added_starts_its_toleration_when_first_seen() -> None:
    moments = iter([NOW, NOW + timedelta(seconds=5), NOW + timedelta(seconds=9)])
    sightings = TaintSightings(lambda: next(moments))
    untimed = Taint(key=TAINT_NOT_READY, effect="NoExecute")
    tainted = cluster("a", untimed)
    assert sightings.added_at(tainted, untimed) == NOW
    assert sightings.added_at(tainted, untimed) == NOW, "first sighting kept"
    assert sightings.added_at(tainted, not_ready(NOW - timedelta(hours=1))) == NOW - timedelta(
        hours=1
    ), "timeAdded wins"
    sightings.observe("a", cluster("a"))
    assert len(sightings) == 0, "the taint is gone: forgotten"
    assert sightings.added_at(tainted, untimed) == NOW + timedelta(seconds=5), "seen anew"
    sightings.observe("a", None)
    assert len(sightings) == 0
