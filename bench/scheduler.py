"""Scheduler throughput, latency and failover on a private nats-server.

* core: pure `place` for 10,000 workloads x 100 clusters (no I/O);
* e2e: templates written to the store → bindings written by the scheduler process;
* binding p99: template replica change → binding updated, at 200 changes/s;
* failover: a cluster tainted `cluster.karmada.io/not-ready:NoExecute` → every binding moved.

The scheduler runs as its own process (`python -m services.scheduler`), as under
`navarch up`; this process writes templates and watches bindings. Optional environment
for investigations: BENCH_CORE / BENCH_TEMPLATES (sizes), BENCH_PROFILE (cProfile output
path for the scheduler process).
"""

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from common import percentile, private_nats, report

from services.scheduler.resources import (
    CLUSTERS,
    PROPAGATION_POLICIES,
    RESOURCE_BINDINGS,
    RegistryResolver,
)
from shared.api.binding import ObjectReference, ReplicaRequirements
from shared.api.cluster import TAINT_NOT_READY, Cluster
from shared.api.propagation import Placement, default_placement
from shared.bus import Bus
from shared.placement.placing import place
from shared.runtime.informing import Informer, InformerEvent
from shared.runtime.tasks import OwnedTasks
from shared.store.jetstream import JetStreamBackend
from shared.store.objects import ObjectStore

CORE_WORKLOADS = int(os.environ.get("BENCH_CORE", 10_000))
CORE_CLUSTERS = 100
E2E_CLUSTERS = 20
E2E_TEMPLATES = int(os.environ.get("BENCH_TEMPLATES", 2_000))
WRITERS = 32
CHANGE_RATE_PER_S = 200
GENTLE_RATE_PER_S = 100
CHANGE_SECONDS = 10
DETECTION_S = 3 * 2.0
"""The fleet-manager's detection with default health settings: 3 failed probes, 2 s apart."""
REPO = Path(__file__).resolve().parents[1]
DEPLOYMENTS = RegistryResolver().resolve("apps/v1", "Deployment")
assert DEPLOYMENTS is not None
ENABLED = [
    {"groupVersion": "apps/v1", "resources": [{"name": "deployments", "kind": "Deployment"}]}
]


def cluster(index: int) -> Cluster:
    return Cluster.model_validate(
        {
            "metadata": {"name": f"member-{index:03d}", "labels": {"tier": str(index % 4)}},
            "spec": {
                "region": f"region-{index % 5}",
                "zones": [f"zone-{index % 10}"],
                "provider": "sim",
            },
            "status": {
                "conditions": [{"type": "Ready", "status": "True"}],
                "apiEnablements": ENABLED,
                "resourceSummary": {
                    "allocatable": {"cpu": "64", "memory": "256Gi", "pods": "1000"},
                    "allocated": {"cpu": str(index % 32), "memory": "8Gi", "pods": "10"},
                },
            },
        }
    )


CORE_PLACEMENTS = [
    default_placement(Placement.model_validate(raw))
    for raw in (
        {"replicaScheduling": {"replicaSchedulingType": "Divided"}},
        {
            "replicaScheduling": {
                "replicaSchedulingType": "Divided",
                "replicaDivisionPreference": "Weighted",
                "weightPreference": {"dynamicWeight": "AvailableReplicas"},
            },
            "spreadConstraints": [{"spreadByField": "cluster", "maxGroups": 10}],
        },
        {
            "replicaScheduling": {
                "replicaSchedulingType": "Divided",
                "replicaDivisionPreference": "Aggregated",
            },
            "clusterAffinity": {"labelSelector": {"matchLabels": {"tier": "1"}}},
        },
        {"spreadConstraints": [{"spreadByField": "region", "maxGroups": 2, "minGroups": 2}]},
    )
]


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measure_core() -> float:
    clusters = [cluster(i) for i in range(CORE_CLUSTERS)]
    requirements = ReplicaRequirements(resource_request={"cpu": "250m", "memory": "256Mi"})
    started = time.perf_counter()
    for index in range(CORE_WORKLOADS):
        result = place(
            resource=ObjectReference(
                api_version="apps/v1", kind="Deployment", name=f"w{index}", uid=f"uid-{index}"
            ),
            replicas=1 + index % 30,
            replica_requirements=requirements,
            placement=CORE_PLACEMENTS[index % len(CORE_PLACEMENTS)],
            clusters=clusters,
        )
        assert result.scheduled, result.failure
    return CORE_WORKLOADS / (time.perf_counter() - started)


def deployment(index: int, replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"app-{index:05d}", "namespace": "bench"},
        "spec": {
            "replicas": replicas,
            "template": {
                "spec": {
                    "containers": [{"name": "app", "resources": {"requests": {"cpu": "100m"}}}]
                }
            },
        },
    }


POLICY = {
    "metadata": {"name": "everything", "namespace": "bench"},
    "spec": {
        "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
        "placement": {
            "replicaScheduling": {
                "replicaSchedulingType": "Divided",
                "replicaDivisionPreference": "Weighted",
            }
        },
    },
}


class BindingWatch:
    """The bench's eye on the scheduler: waiters per binding name, checked on its events."""

    def __init__(self) -> None:
        self.bindings: dict[str, dict[str, Any]] = {}
        self.scheduled: set[str] = set()
        self._waiters: dict[str | None, list[tuple[Any, asyncio.Future[float]]]] = {}

    def handle(self, event: InformerEvent) -> None:
        name = event.object["metadata"]["name"]
        if event.type == "DELETED":
            self.bindings.pop(name, None)
            self.scheduled.discard(name)
        else:
            self.bindings[name] = event.object
            if scheduled(event.object):
                self.scheduled.add(name)
        now = time.perf_counter()
        for slot in (name, None):
            waiters = self._waiters.get(slot, [])
            for entry in list(waiters):
                predicate, future = entry
                if future.done():
                    waiters.remove(entry)
                elif predicate(self):
                    future.set_result(now)
                    waiters.remove(entry)

    async def until(self, predicate: Any, *, timeout: float, name: str | None = None) -> float:
        """When `predicate(self)` first held after an event of `name` (any binding if None)."""
        if predicate(self):
            return time.perf_counter()
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(name, []).append((predicate, future))
        return await asyncio.wait_for(future, timeout)


def moved_one(w: "BindingWatch", name: str, victim: str) -> bool:
    binding = w.bindings[name]
    return (
        all(t["name"] != victim for t in binding["spec"].get("clusters") or [])
        and placed_replicas(binding) == binding["spec"]["replicas"]
    )


def placed_replicas(binding: dict[str, Any]) -> int:
    return sum(t.get("replicas", 0) for t in binding["spec"].get("clusters") or [])


def scheduled(binding: dict[str, Any]) -> bool:
    conditions = (binding.get("status") or {}).get("conditions") or []
    return any(c["type"] == "Scheduled" and c["status"] == "True" for c in conditions)


async def write_concurrently(count: int, write: Any) -> None:
    next_index = 0

    async def writer() -> None:
        nonlocal next_index
        while next_index < count:
            index = next_index
            next_index += 1
            await write(index)

    await asyncio.gather(*(writer() for _ in range(WRITERS)))


def scheduler_cpu_s(process: subprocess.Popen[bytes]) -> float:
    times = psutil.Process(process.pid).cpu_times()
    return times.user + times.system


def start_scheduler(url: str, home: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NAVARCH_NATS_URL": url,
        "NAVARCH_BUCKET": "bench",
        "NAVARCH_HOME": str(home),
        "NAVARCH_LOG_LEVEL": "WARNING",
    }
    profile = os.environ.get("BENCH_PROFILE")
    prefix = ["-m", "cProfile", "-o", profile] if profile else []
    command = [sys.executable, *prefix, "-m", "services.scheduler"]
    return subprocess.Popen(command, cwd=REPO, env=env)


async def measure_changes(
    store: ObjectStore, watch: BindingWatch, *, rate: int, seconds: int
) -> list[float]:
    """Template replica changes at `rate`/s, each template at most once: ms until placed."""
    latencies: list[float] = []
    pending: set[asyncio.Task[None]] = set()

    async def change(index: int, replicas: int) -> None:
        name = f"app-{index:05d}"
        sent = time.perf_counter()
        current = await store.get(DEPLOYMENTS, "bench", name)
        current["spec"]["replicas"] = replicas
        await store.update(DEPLOYMENTS, current)
        binding = f"{name}-deployment"
        arrived = await watch.until(
            lambda w: placed_replicas(w.bindings[binding]) == replicas, timeout=60, name=binding
        )
        latencies.append((arrived - sent) * 1000)

    began = time.perf_counter()
    for step in range(min(rate * seconds, E2E_TEMPLATES)):
        delay = began + step / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        replicas = placed_replicas(watch.bindings[f"app-{step:05d}-deployment"]) + 1
        task = asyncio.ensure_future(change(step, replicas))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    return latencies


async def measure_service(url: str, home: Path) -> dict[str, float]:
    bus = await Bus.connect(url, name="bench-scheduler")
    store = ObjectStore(await JetStreamBackend.open(bus, bucket="bench"))
    for index in range(E2E_CLUSTERS):
        body = cluster(index).to_dict()
        status = body.pop("status")
        created = await store.create(CLUSTERS, body)
        await store.update_status(CLUSTERS, {**created, "status": status})
    await store.create(PROPAGATION_POLICIES, POLICY)
    watch = BindingWatch()
    informer = Informer(store, RESOURCE_BINDINGS)
    informer.add_handler(watch.handle)
    tasks = OwnedTasks("bench")
    tasks.start(informer.run(), name="bindings")
    await informer.wait_synced()
    process = start_scheduler(url, home)
    try:
        await store.create(DEPLOYMENTS, deployment(99_999, 1))
        await watch.until(
            lambda w: "app-99999-deployment" in w.scheduled, timeout=60, name="app-99999-deployment"
        )
        progress("scheduler process is placing")

        cpu_before = scheduler_cpu_s(process)
        started = time.perf_counter()
        await write_concurrently(
            E2E_TEMPLATES, lambda i: store.create(DEPLOYMENTS, deployment(i, 10))
        )
        done = await watch.until(lambda w: len(w.scheduled) >= E2E_TEMPLATES + 1, timeout=120)
        e2e_per_s = E2E_TEMPLATES / (done - started)
        cpu_ms = (scheduler_cpu_s(process) - cpu_before) * 1000 / E2E_TEMPLATES
        progress(f"e2e: {e2e_per_s:.0f} decisions/s, scheduler cpu {cpu_ms:.2f} ms/decision")

        gentle = await measure_changes(store, watch, rate=GENTLE_RATE_PER_S, seconds=5)
        progress(f"changes at {GENTLE_RATE_PER_S}/s: p99 {percentile(gentle, 0.99):.1f} ms")
        latencies = await measure_changes(
            store, watch, rate=CHANGE_RATE_PER_S, seconds=CHANGE_SECONDS
        )
        progress(f"changes at {CHANGE_RATE_PER_S}/s: p99 {percentile(latencies, 0.99):.1f} ms")

        victim = "member-007"
        affected = [
            n
            for n, b in watch.bindings.items()
            if any(t["name"] == victim for t in b["spec"].get("clusters") or [])
        ]
        target = await store.get(CLUSTERS, None, victim)
        added = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        target["spec"]["taints"] = [
            {"key": TAINT_NOT_READY, "effect": "NoExecute", "timeAdded": added}
        ]
        tainted = time.perf_counter()
        await store.update(CLUSTERS, target)

        def moved(w: BindingWatch) -> bool:
            return all(
                all(t["name"] != victim for t in w.bindings[n]["spec"].get("clusters") or [])
                and placed_replicas(w.bindings[n]) == w.bindings[n]["spec"]["replicas"]
                for n in affected
            )

        try:
            failover_done = await watch.until(moved, timeout=30)
        except TimeoutError:
            stuck = [n for n in affected if not moved_one(watch, n, victim)]
            fresh = await store.get(RESOURCE_BINDINGS, "bench", stuck[0])
            progress(
                f"not moved: {len(stuck)}: cached rv "
                f"{watch.bindings[stuck[0]]['metadata']['resourceVersion']}, store {fresh}"
            )
            raise
        reaction = failover_done - tainted
    finally:
        process.terminate()
        process.wait(timeout=30)
        await tasks.stop()
        await bus.close()
    return {
        "e2e_templates": E2E_TEMPLATES,
        "e2e_clusters": E2E_CLUSTERS,
        "e2e_decisions_per_s": e2e_per_s,
        # CPU the scheduler process spent per e2e decision (placement, store client, NATS).
        "e2e_scheduler_cpu_ms_per_decision": cpu_ms,
        "binding_change_rate_per_s": CHANGE_RATE_PER_S,
        f"binding_p99_ms_at_{GENTLE_RATE_PER_S}_per_s": percentile(gentle, 0.99),
        "binding_p50_ms": percentile(latencies, 0.5),
        "binding_p99_ms": percentile(latencies, 0.99),
        "failover_bindings_moved": len(affected),
        "failover_reaction_s": reaction,
        # failover_s adds the fleet-manager's detection (3 probes x 2 s, default health
        # settings), which happens before the taint exists and is not measured here.
        "failover_s": reaction + DETECTION_S,
    }


async def main() -> None:
    core = measure_core()
    progress(f"core: {core:.0f} decisions/s")
    with private_nats() as server, tempfile.TemporaryDirectory() as home:
        figures = await measure_service(server.url, Path(home))
    report(
        "scheduler",
        {
            "core_workloads": CORE_WORKLOADS,
            "core_clusters": CORE_CLUSTERS,
            "core_decisions_per_s": core,
            **figures,
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
