"""Propagation: bindings → objects in every member, Ready, drift repair, cold start.

The issue's sizes (the counts used are in the JSON): 1,000 Deployments x 10 clusters and a
5,000 x 2 cold start, in under 3 minutes on 2 cores.

* DEPLOYMENTS x CLUSTERS (1 replica per cluster), spread over NAMESPACES namespaces:
  - paced: the first PACED bindings written at PACED_BINDINGS_PER_S (x CLUSTERS = 100
    member applies/s, the issue's operating point): p50/p99 from the binding written to
    the object applied in every target member (its Work says Applied=True, written right
    after the member answered the apply), and to the hub template reporting every replica
    Ready (aggregated status);
  - burst: the rest written at once: member applies per second until every one is
    applied, and the same latencies under that backlog (`burst_*`);
* drift repair: a member object's image changed behind Navarch's back → reverted;
* cold start: COLD_DEPLOYMENTS x 2 clusters already bound (0 replicas: objects, not
  pods), override-engine started cold, time until every member object exists.

The override-engine runs as its own process (`python -m services.override_engine`), the
members in another (simulated clusters served over HTTPS); this process writes hub objects
and watches. Bindings are written directly, as the scheduler would (its own bench measures
the template → binding hop).
"""

import asyncio
import base64
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import percentile, private_nats, report

from services.override_engine.syncing import resource_for
from services.override_engine.works import WORKS
from shared.api.kinds import ATTACHED_CLUSTERS, KARMADA_CLUSTERS, SECRETS
from shared.bus import Bus
from shared.members.client import MemberClient
from shared.store.encryption import SecretEncryption, load_or_create_key
from shared.store.jetstream import JetStreamBackend
from shared.store.objects import Object, ObjectStore

DEPLOYMENTS = int(os.environ.get("BENCH_DEPLOYMENTS", "400"))
CLUSTERS = 10
PACED = min(DEPLOYMENTS // 2, 200)
PACED_BINDINGS_PER_S = 10.0
COLD_DEPLOYMENTS = int(os.environ.get("BENCH_COLD_DEPLOYMENTS", "5000"))
COLD_CLUSTERS = 2
NAMESPACES = 10
DRIFT_SAMPLES = 60
WRITERS = 32
ATTACHED_LABEL = "navarch.dev/attached-cluster"
TEMPLATES = resource_for("apps/v1", "Deployment")
BINDINGS = resource_for("work.karmada.io/v1alpha2", "ResourceBinding")
REPO = Path(__file__).resolve().parents[1]


# ---- the members' process ------------------------------------------------------------------


async def serve_members(names: list[str], pods: int, out: Path) -> None:
    """Simulated clusters, one HTTPS port each; kubeconfigs written to `out`; runs until
    stdin closes."""
    from aiohttp import web

    from services.simulator.cluster import SimulatedCluster
    from shared.api.simulated_fleet import parse_fleet_config
    from shared.certs import ensure_serving_certs
    from shared.kubeapi.registry import member_registry
    from shared.kubeapi.server import ServerSettings, create_app
    from shared.kubeapi.storage import static_tokens
    from shared.kubeconfig import KubeconfigEntry, render

    certs = ensure_serving_certs(out.parent / "pki")
    kubeconfigs: dict[str, Any] = {}
    runners = []
    clusters = []
    nodes = max(1, pods // 100 + 1)
    for name in names:
        document = {
            "apiVersion": "navarch.dev/v1alpha1",
            "kind": "SimulatedFleet",
            "clusters": [
                {
                    "name": name,
                    "podReadyDelay": "100ms",
                    "nodeHeartbeatPeriod": "60s",
                    "eventHistory": 200_000,
                    "nodes": [{"count": nodes, "capacity": {"cpu": "64", "memory": "256Gi"}}],
                }
            ],
        }
        cluster = SimulatedCluster(parse_fleet_config(document).clusters[0])
        await cluster.start()
        clusters.append(cluster)
        app = create_app(
            cluster.store,
            registry=member_registry(),
            authenticator=static_tokens({"bench": "admin"}),
            settings=ServerSettings(bookmark_interval_s=5.0),
        )
        root = web.Application()
        root.add_subapp(f"/clusters/{name}", app)
        runner = web.AppRunner(root, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=certs.server_context())
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        runners.append(runner)
        entry = KubeconfigEntry(
            server=f"https://127.0.0.1:{port}/clusters/{name}", ca_pem=certs.ca_pem, token="bench"
        )
        kubeconfigs[name] = render(entry)
    await asyncio.to_thread(out.write_text, json.dumps(kubeconfigs))
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for runner in runners:
        await runner.cleanup()
    for cluster in clusters:
        await cluster.stop()


# ---- hub side -------------------------------------------------------------------------------


def namespace_of(index: int) -> str:
    return f"bench-{index % NAMESPACES}"


def deployment(name: str, replicas: int, namespace: str) -> Object:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
            },
        },
    }


def binding_for(template: Object, clusters: list[str], per_cluster: int) -> Object:
    metadata = template["metadata"]
    return {
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": "ResourceBinding",
        "metadata": {"name": f"{metadata['name']}-deployment", "namespace": metadata["namespace"]},
        "spec": {
            "resource": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "namespace": metadata["namespace"],
                "name": metadata["name"],
                "uid": metadata["uid"],
                "resourceVersion": metadata["resourceVersion"],
            },
            "replicas": per_cluster * len(clusters),
            "clusters": [{"name": name, "replicas": per_cluster} for name in clusters],
        },
    }


async def attach(store: ObjectStore, name: str, kubeconfig: Object) -> None:
    import yaml

    text = yaml.safe_dump(kubeconfig)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": f"{name}-kubeconfig", "namespace": "kurator-system"},
        "data": {"value": base64.b64encode(text.encode()).decode()},
    }
    await store.create(SECRETS, secret)
    await store.create(
        ATTACHED_CLUSTERS,
        {
            "apiVersion": "cluster.kurator.dev/v1alpha1",
            "kind": "AttachedCluster",
            "metadata": {"name": name, "namespace": "kurator-system"},
            "spec": {"kubeconfig": {"secretRef": {"name": f"{name}-kubeconfig"}}},
        },
    )
    await store.create(
        KARMADA_CLUSTERS,
        {
            "apiVersion": "cluster.karmada.io/v1alpha1",
            "kind": "Cluster",
            "metadata": {"name": name, "labels": {ATTACHED_LABEL: f"kurator-system.{name}"}},
            "spec": {},
        },
    )


async def concurrently(count: int, operation: Any) -> None:
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < count:
            index = next_index
            next_index += 1
            await operation(index)

    await asyncio.gather(*(worker() for _ in range(WRITERS)))


class Watcher:
    """Works applied per binding, and templates reporting ready replicas, as they happen."""

    def __init__(self, store: ObjectStore, *, clusters: int) -> None:
        self.store = store
        self.clusters = clusters
        self.applied: dict[str, set[str]] = {}
        self.present_at: dict[str, float] = {}
        self.ready_at: dict[str, float] = {}
        self.expected_ready: dict[str, int] = {}

    async def works(self, revision: int) -> None:
        async for event in self.store.watch(WORKS, after_revision=revision):
            if event.type == "DELETED":
                continue
            annotations = event.object["metadata"].get("annotations") or {}
            binding = annotations.get("propagation.navarch.dev/binding", "").split("/")[-1]
            conditions = (event.object.get("status") or {}).get("conditions") or []
            if any(c["type"] == "Applied" and c["status"] == "True" for c in conditions):
                clusters = self.applied.setdefault(binding, set())
                clusters.add(annotations.get("propagation.navarch.dev/cluster", ""))
                if len(clusters) == self.clusters and binding not in self.present_at:
                    self.present_at[binding] = time.perf_counter()

    async def templates(self, revision: int) -> None:
        assert TEMPLATES is not None
        async for event in self.store.watch(TEMPLATES, after_revision=revision):
            name = event.object["metadata"]["name"]
            ready = (event.object.get("status") or {}).get("readyReplicas", 0)
            expected = self.expected_ready.get(name)
            if expected and ready >= expected and name not in self.ready_at:
                self.ready_at[name] = time.perf_counter()


async def until(condition: Any, *, timeout: float) -> None:
    """Poll an in-memory condition fed by watches (or a file another process writes)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def start_engine(server_url: str, bucket: str, home: Path) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        NAVARCH_NATS_URL=server_url,
        NAVARCH_BUCKET=bucket,
        NAVARCH_HOME=str(home),
        NAVARCH_LOG_LEVEL="WARNING",
        NAVARCH_OVERRIDE_MEMBER_WORKERS="16",
        NAVARCH_OVERRIDE_STATUS_DELAY_S="0.2",
        PYTHONPATH=str(REPO),
    )
    command = [sys.executable, "-m", "services.override_engine"]
    if profile := os.environ.get("NAVARCH_BENCH_PROFILE"):
        command[1:1] = ["-m", "cProfile", "-o", f"{profile}-{bucket}.prof"]
    return subprocess.Popen(command, env=env, cwd=REPO)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def drift_repair(kubeconfigs: dict[str, Object], names: list[str]) -> list[float]:
    """Change a member object's image behind Navarch's back; time until it is back."""
    import yaml

    samples: list[float] = []
    clients = {
        name: await MemberClient.from_kubeconfig(yaml.safe_dump(kubeconfigs[name]))
        for name in names
    }
    rng = random.Random(7)

    async def one(_: int) -> None:
        cluster = rng.choice(names)
        index = rng.randrange(DEPLOYMENTS)
        path = f"/apis/apps/v1/namespaces/{namespace_of(index)}/deployments/app-{index:04d}"
        patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "x:1"}]}}}}
        client = clients[cluster]
        await client.request(
            "PATCH", path, body=patch, content_type="application/strategic-merge-patch+json"
        )
        started = time.perf_counter()
        while True:
            live = await client.request("GET", path)
            if live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25":
                break
            await asyncio.sleep(0.01)
        samples.append((time.perf_counter() - started) * 1000)

    for batch in range(DRIFT_SAMPLES // 10):
        await asyncio.gather(*(one(batch * 10 + i) for i in range(10)))
    for client in clients.values():
        await client.close()
    return samples


async def paced(count: int, rate: float, operation: Any) -> None:
    """`operation(i)` started at `rate` per second, each on its own (a slow one delays none)."""
    began = time.perf_counter()
    pending = []
    for index in range(count):
        delay = began + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.ensure_future(operation(index)))
    await asyncio.gather(*pending)


def latencies(
    figures: dict[str, float | int | str],
    prefix: str,
    names: list[str],
    written_at: dict[str, float],
    watcher: Watcher,
) -> None:
    present = [(watcher.present_at[n] - written_at[n]) * 1000 for n in names]
    ready = [
        (watcher.ready_at[n.removesuffix("-deployment")] - written_at[n]) * 1000 for n in names
    ]
    figures[f"{prefix}apply_to_present_p50_ms"] = percentile(present, 0.5)
    figures[f"{prefix}apply_to_present_p99_ms"] = percentile(present, 0.99)
    figures[f"{prefix}apply_to_ready_p50_ms"] = percentile(ready, 0.5)
    figures[f"{prefix}apply_to_ready_p99_ms"] = percentile(ready, 0.99)


async def main() -> None:
    assert TEMPLATES is not None and BINDINGS is not None
    bench_began = time.perf_counter()
    figures: dict[str, float | int | str] = {
        "deployments": DEPLOYMENTS,
        "clusters": CLUSTERS,
        "replicas_per_cluster": 1,
        "paced_bindings": PACED,
        "paced_member_applies_per_s": PACED_BINDINGS_PER_S * CLUSTERS,
        "cold_deployments": COLD_DEPLOYMENTS,
        "cold_clusters": COLD_CLUSTERS,
    }
    names = [f"member-{index:02d}" for index in range(CLUSTERS)]
    cold_names = [f"cold-{index}" for index in range(COLD_CLUSTERS)]
    with private_nats() as server, tempfile.TemporaryDirectory() as directory:
        home = Path(directory) / "home"
        home.mkdir()
        out = Path(directory) / "members.json"
        members = subprocess.Popen(  # noqa: ASYNC220
            [sys.executable, __file__, "--serve-members", str(out), *names, *cold_names],
            stdin=subprocess.PIPE,
            cwd=REPO,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
        )
        try:
            await until(out.exists, timeout=60)
            kubeconfigs = json.loads(out.read_text())
            bus = await Bus.connect(server.url, name="bench-propagation")
            encryption = SecretEncryption(load_or_create_key(home))
            store = ObjectStore(
                await JetStreamBackend.open(bus, bucket="hot"), encryption=encryption
            )
            for name in names:
                await attach(store, name, kubeconfigs[name])
            templates: list[Object] = [{}] * DEPLOYMENTS

            async def create_template(index: int) -> None:
                body = deployment(f"app-{index:04d}", CLUSTERS, namespace_of(index))
                templates[index] = await store.create(TEMPLATES, body)

            await concurrently(DEPLOYMENTS, create_template)
            engine = start_engine(server.url, "hot", home)
            try:
                watcher = Watcher(store, clusters=CLUSTERS)
                revision = (await store.list(WORKS)).revision
                template_revision = (await store.list(TEMPLATES)).revision
                tasks = [
                    asyncio.ensure_future(watcher.works(revision)),
                    asyncio.ensure_future(watcher.templates(template_revision)),
                ]
                await asyncio.sleep(3.0)  # the engine connects and syncs
                written_at: dict[str, float] = {}
                for template in templates:
                    watcher.expected_ready[template["metadata"]["name"]] = CLUSTERS
                bindings = [binding_for(t, names, 1) for t in templates]
                binding_names = [b["metadata"]["name"] for b in bindings]

                async def write_binding(index: int) -> None:
                    written_at[binding_names[index]] = time.perf_counter()
                    await store.create(BINDINGS, bindings[index])

                await paced(PACED, PACED_BINDINGS_PER_S, write_binding)
                first = binding_names[:PACED]
                await until(lambda: all(n in watcher.present_at for n in first), timeout=60)
                await until(
                    lambda: all(n.removesuffix("-deployment") in watcher.ready_at for n in first),
                    timeout=60,
                )
                latencies(figures, "", first, written_at, watcher)

                began = time.perf_counter()
                await concurrently(DEPLOYMENTS - PACED, lambda i: write_binding(PACED + i))
                await until(lambda: len(watcher.present_at) == DEPLOYMENTS, timeout=150)
                applied_s = time.perf_counter() - began
                figures["member_applies_per_s"] = (DEPLOYMENTS - PACED) * CLUSTERS / applied_s
                await until(lambda: len(watcher.ready_at) == DEPLOYMENTS, timeout=150)
                latencies(figures, "burst_", binding_names[PACED:], written_at, watcher)
                drift = await drift_repair(kubeconfigs, names)
                figures["drift_repair_p50_ms"] = percentile(drift, 0.5)
                figures["drift_repair_p99_ms"] = percentile(drift, 0.99)
                for task in tasks:
                    task.cancel()
            finally:
                stop(engine)

            cold = ObjectStore(
                await JetStreamBackend.open(bus, bucket="cold"), encryption=encryption
            )
            for name in cold_names:
                await attach(cold, name, kubeconfigs[name])

            async def bound(index: int) -> None:
                body = deployment(f"cold-{index:04d}", 0, namespace_of(index))
                template = await cold.create(TEMPLATES, body)
                await cold.create(BINDINGS, binding_for(template, cold_names, 0))

            await concurrently(COLD_DEPLOYMENTS, bound)
            watcher = Watcher(cold, clusters=COLD_CLUSTERS)
            task = asyncio.ensure_future(watcher.works((await cold.list(WORKS)).revision))
            began = time.perf_counter()
            engine = start_engine(server.url, "cold", home)
            try:
                await until(lambda: len(watcher.present_at) == COLD_DEPLOYMENTS, timeout=170)
                figures["cold_start_5k_s" if COLD_DEPLOYMENTS == 5_000 else "cold_start_s"] = (
                    time.perf_counter() - began
                )
            finally:
                task.cancel()
                stop(engine)
            await bus.close()
        finally:
            assert members.stdin is not None
            members.stdin.close()
            members.wait(timeout=30)
    figures["bench_s"] = time.perf_counter() - bench_began
    report("propagation", figures)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve-members":
        serving = serve_members(sys.argv[3:], DEPLOYMENTS, Path(sys.argv[2]))
        if profile := os.environ.get("NAVARCH_BENCH_PROFILE"):
            import cProfile

            cProfile.run("asyncio.run(serving)", f"{profile}-members.prof")
        else:
            asyncio.run(serving)
    else:
        asyncio.run(main())
