"""Telemetry: `kubectl top pods -A` across 100 clusters, and the fleet metrics endpoint.

1. A hub (`navarch up --detach` with gateway, fleet-manager and telemetry) and 100
   simulated clusters, one Deployment of 100 pods created in each member (10,000 pods).
   `top_pods_p99_ms`: 100 sequential `GET /apis/metrics.k8s.io/v1beta1/pods` through the
   gateway's HTTPS (what `kubectl top pods -A` asks), every member asked in parallel by
   telemetry. `fleet_scrape_10k_pods_ms`: one scrape of the real `/metrics/fleet`.
   `telemetry_rss_mb`: the telemetry process afterwards.
2. `fleet_scrape_ms` at 100 clusters x 2,000 pods: a scrape renders the latest collection
   and asks no member, so this times that code (`fleet_families` + `render`) in this
   process on a collection read by telemetry's own parsers from 200,000 synthetic
   metrics.k8s.io PodMetrics (the simulator cannot host 200,000 pods on this machine in the
   bench's budget). `collect_parse_ms` is that parsing; `series_per_scrape` its series.

Anchor: Karmada's metrics-adapter also fans out to every member per request. Targets:
top_pods_p99_ms < 300, fleet_scrape_ms < 1,000, telemetry_rss_mb < 300.
"""

import asyncio
import json
import os
import ssl
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson
import psutil
import yaml
from common import navarch, percentile, report

from services.telemetry.exposition import (
    BindingFacts,
    BindingTarget,
    ClusterFacts,
    fleet_families,
    render,
    series_count,
)
from services.telemetry.samples import ClusterSample, node_samples, pod_samples
from shared.members.client import MemberClient, MemberError
from shared.natsserver import free_port

CLUSTERS = 100
PODS_PER_CLUSTER = 100
SCRAPE_PODS_PER_CLUSTER = 2_000
SCRAPE_NODES_PER_CLUSTER = 20
REQUESTS = 100
DIRECT_ROUNDS = 20
MEMBER_TIMEOUT_S = 10.0
"""All 100 simulated members share one simulator process (2 cores), which computes metrics
per request: the default 0.8 s per member would leave most of them out under this load."""
MAX_CONNECTIONS = 2048
"""Every hub process reaches the simulator from 127.0.0.1, which the simulator counts as one
client (kube-apiserver's 256 by default); 100 members x 2 services need more."""


def fleet_document() -> dict:
    node = {"count": 4, "capacity": {"cpu": "32", "memory": "128Gi", "pods": "110"}}
    clusters = [
        {"name": f"bench-{index:03d}", "podReadyDelay": "100ms", "nodes": [node]}
        for index in range(CLUSTERS)
    ]
    return {"apiVersion": "navarch.dev/v1alpha1", "kind": "SimulatedFleet", "clusters": clusters}


def deployment() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": PODS_PER_CLUSTER,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1.25",
                            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
                        }
                    ]
                },
            },
        },
    }


async def create_workloads(kubeconfigs: list[str]) -> None:
    """A few at a time: the simulator answers 429 to a burst of connections, as an
    apiserver's max-requests-inflight would."""
    gate = asyncio.Semaphore(4)

    async def one(kubeconfig: str) -> None:
        async with gate:
            member = await MemberClient.from_kubeconfig(kubeconfig, timeout=30)
            try:
                for _ in range(20):
                    try:
                        await member.request(
                            "POST",
                            "/apis/apps/v1/namespaces/default/deployments",
                            body=deployment(),
                        )
                        return
                    except MemberError as error:
                        if error.status != 429:
                            raise
                        await asyncio.sleep(0.5)
            finally:
                await member.close()

    await asyncio.gather(*(one(kubeconfig) for kubeconfig in kubeconfigs))


class Hub:
    def __init__(self, home: Path) -> None:
        kubeconfig = yaml.safe_load((home / "hub.kubeconfig").read_text())
        self.server = kubeconfig["clusters"][0]["cluster"]["server"]
        self.headers = {"Authorization": f"Bearer {kubeconfig['users'][0]['user']['token']}"}
        self.tls = ssl.create_default_context(cafile=str(home / "pki" / "ca.crt"))

    async def pod_metrics(self, session: aiohttp.ClientSession) -> tuple[int, float, list[str]]:
        started = time.perf_counter()
        url = f"{self.server}/apis/metrics.k8s.io/v1beta1/pods"
        async with session.get(url, ssl=self.tls) as response:
            body = orjson.loads(await response.read())
            warnings = response.headers.getall("Warning", [])
        return len(body.get("items") or []), (time.perf_counter() - started) * 1000, warnings


async def top_pods(home: Path) -> dict[str, float | int]:
    hub = Hub(home)
    wanted = CLUSTERS * PODS_PER_CLUSTER
    async with aiohttp.ClientSession(headers=hub.headers) as session:
        deadline = time.monotonic() + 150
        while (count := (await hub.pod_metrics(session))[0]) < wanted:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {count} of {wanted} pods answered within 150 s")
            await asyncio.sleep(1.0)
        latencies = []
        complete = 0
        left_out: list[str] = []
        for _ in range(REQUESTS):
            count, elapsed_ms, warnings = await hub.pod_metrics(session)
            complete += count == wanted
            left_out.extend(warnings)
            latencies.append(elapsed_ms)
    if left_out:
        print(f"{len(left_out)} members left out, e.g. {left_out[0]}", flush=True)
    return {
        "top_pods_p50_ms": percentile(latencies, 0.5),
        "top_pods_p99_ms": percentile(latencies, 0.99),
        "top_pods_complete_answers": complete,
        "top_pods_members_left_out": len(left_out),
    }


async def members_direct(kubeconfigs: list[str]) -> dict[str, float]:
    """The floor: the same 100 member requests at once, straight to the simulator."""
    members = [await MemberClient.from_kubeconfig(k, timeout=30) for k in kubeconfigs]
    try:
        rounds = []
        for _ in range(DIRECT_ROUNDS):
            started = time.perf_counter()
            await asyncio.gather(
                *(m.request("GET", "/apis/metrics.k8s.io/v1beta1/pods") for m in members)
            )
            rounds.append((time.perf_counter() - started) * 1000)
    finally:
        for member in members:
            await member.close()
    return {
        "members_direct_p50_ms": percentile(rounds, 0.5),
        "members_direct_p99_ms": percentile(rounds, 0.99),
    }


def real_scrape_ms(home: Path) -> float:
    state = json.loads((home / "up.json").read_text())
    port = next(p["http_port"] for p in state["processes"] if p["name"] == "telemetry")

    async def scrape() -> float:
        async with aiohttp.ClientSession() as session:
            started = time.perf_counter()
            async with session.get(f"http://127.0.0.1:{port}/metrics/fleet") as response:
                await response.read()
            return (time.perf_counter() - started) * 1000

    return asyncio.run(scrape())


def synthetic_member(index: int) -> tuple[list[dict], list[dict], list[dict]]:
    cluster = f"bench-{index:03d}"
    nodes = [
        {
            "metadata": {"name": f"{cluster}-node-{n}"},
            "status": {
                "capacity": {"cpu": "32", "memory": "128Gi", "pods": "110"},
                "allocatable": {"cpu": "31500m", "memory": "127Gi", "pods": "110"},
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        }
        for n in range(SCRAPE_NODES_PER_CLUSTER)
    ]
    node_metrics = [
        {
            "metadata": {"name": node["metadata"]["name"]},
            "usage": {"cpu": "2500000000n", "memory": "8388608Ki"},
        }
        for node in nodes
    ]
    pods = [
        {
            "metadata": {
                "name": f"web-{p:05d}",
                "namespace": f"team-{p % 10}",
                "labels": {"app": "web"},
            },
            "containers": [{"name": "web", "usage": {"cpu": "25000000n", "memory": "65536Ki"}}],
        }
        for p in range(SCRAPE_PODS_PER_CLUSTER)
    ]
    return nodes, node_metrics, pods


def fleet_scrape() -> dict[str, float]:
    members = [synthetic_member(index) for index in range(CLUSTERS)]
    started = time.perf_counter()
    samples = {}
    for index, (nodes, node_metrics, pods) in enumerate(members):
        cluster = f"bench-{index:03d}"
        samples[cluster] = ClusterSample(
            cluster=cluster,
            taken_at=time.time(),
            nodes=node_samples(nodes, node_metrics),
            pods=pod_samples(pods),
        )
    parse_ms = (time.perf_counter() - started) * 1000
    del members
    clusters = [ClusterFacts(name=name, fleet="bench", ready=True) for name in samples]
    bindings = [
        BindingFacts(
            namespace="default",
            name="web-deployment",
            kind="Deployment",
            resource="web",
            targets=[
                BindingTarget(cluster=name, replicas=SCRAPE_PODS_PER_CLUSTER) for name in samples
            ],
        )
    ]
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        families = fleet_families(clusters=clusters, samples=samples, bindings=bindings)
        body, _ = render(families, accept="")
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "fleet_scrape_ms": min(timings),
        "collect_parse_ms": parse_ms,
        "series_per_scrape": series_count(families),
        "scrape_mb": len(body) / 2**20,
    }


def main() -> None:
    os.environ["NAVARCH_TELEMETRY_MEMBER_TIMEOUT_S"] = str(MEMBER_TIMEOUT_S)
    os.environ["NAVARCH_API_MAX_CONNECTIONS_PER_CLIENT"] = str(MAX_CONNECTIONS)
    with tempfile.TemporaryDirectory(prefix="navarch-bench-telemetry-") as directory:
        home = Path(directory)
        (home / "fleet.yaml").write_text(yaml.safe_dump(fleet_document()))
        navarch(
            "up",
            "--detach",
            "--services",
            "gateway,fleet_manager,telemetry",
            "--gateway-port",
            str(free_port()),
            "--sim",
            str(home / "fleet.yaml"),
            home=home,
        )
        try:
            kubeconfigs = [
                p.read_text() for p in sorted((home / "members").glob("bench-*.kubeconfig"))
            ]
            asyncio.run(create_workloads(kubeconfigs))
            figures: dict[str, float | int | str] = dict(asyncio.run(top_pods(home)))
            figures.update(asyncio.run(members_direct(kubeconfigs)))
            figures["fleet_scrape_10k_pods_ms"] = real_scrape_ms(home)
            state = json.loads((home / "up.json").read_text())
            pid = next(p["pid"] for p in state["processes"] if p["name"] == "telemetry")
            figures["telemetry_rss_mb"] = psutil.Process(pid).memory_info().rss / 2**20
        finally:
            navarch("down", home=home)
    figures.update(fleet_scrape())
    figures["clusters"] = CLUSTERS
    figures["note"] = (
        "top_pods over 100 clusters x 100 pods through the gateway; fleet_scrape_ms renders a "
        "collection of 100 clusters x 2,000 pods x 20 nodes in-process (see the docstring)"
    )
    report("telemetry", figures)


if __name__ == "__main__":
    main()
