"""The member-cluster simulator at fleet scale, and its API server's request rate.

1. In this process: 100 clusters x 20 nodes behind one SimulatorServer (HTTPS), then one
   Deployment of 100 replicas per cluster. "100 pods" is read per cluster: 10,000 pods in
   all. Figures: clusters started per second (seeding and controllers included), pods
   reconciled per second (created, scheduled, Running and Ready, Deployment status up to
   date), and the RSS of this process with everything settled.
2. A separate `python -m services.simulator` process: GETs per second through HTTPS from a
   few concurrent keep-alive clients (the clients live here, so they do not steal its CPU).
"""

import asyncio
import json
import resource
import ssl
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import aiohttp
import psutil
from common import report

from services.simulator.fleet import SimulatedFleet
from services.simulator.resources import DEPLOYMENTS
from services.simulator.serving import SimulatorServer
from shared.api.simulated_fleet import parse_fleet_config
from shared.certs import ensure_serving_certs
from shared.kubeconfig import load_kubeconfig

CLUSTERS = 100
NODES_PER_CLUSTER = 20
PODS_PER_CLUSTER = 100
RECONCILE_TIMEOUT_S = 120.0
API_CLIENTS = 8
API_SECONDS = 8.0
REPO = Path(__file__).resolve().parents[1]


def fleet_document() -> dict:
    node = {"count": NODES_PER_CLUSTER, "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"}}
    clusters = [
        {"name": f"bench-{index:03d}", "podReadyDelay": "100ms", "nodes": [node]}
        for index in range(CLUSTERS)
    ]
    return {"apiVersion": "navarch.dev/v1alpha1", "kind": "SimulatedFleet", "clusters": clusters}


def deployment(replicas: int) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
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


async def ready_pods(fleet: SimulatedFleet) -> int:
    total = 0
    for cluster in fleet:
        obj = await cluster.store.get(DEPLOYMENTS, "default", "web")
        status = obj.get("status") or {}
        if status.get("observedGeneration") == obj["metadata"]["generation"]:
            total += status.get("readyReplicas", 0)
    return total


async def fleet_scale(directory: Path) -> dict[str, float]:
    fleet = SimulatedFleet(parse_fleet_config(fleet_document()))
    server = SimulatorServer(fleet, certs=ensure_serving_certs(directory / "pki"))
    started = time.perf_counter()
    await server.start()
    start_s = time.perf_counter() - started
    try:
        started = time.perf_counter()
        await asyncio.gather(
            *(cluster.store.create(DEPLOYMENTS, deployment(PODS_PER_CLUSTER)) for cluster in fleet)
        )
        wanted = CLUSTERS * PODS_PER_CLUSTER
        deadline = started + RECONCILE_TIMEOUT_S
        while (ready := await ready_pods(fleet)) < wanted:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"only {ready} of {wanted} pods ready")
            await asyncio.sleep(0.2)
        reconcile_s = time.perf_counter() - started
        await asyncio.sleep(1.0)
        rss_mb = psutil.Process().memory_info().rss / 2**20
    finally:
        await server.stop()
    return {
        "clusters": CLUSTERS,
        "nodes": CLUSTERS * NODES_PER_CLUSTER,
        "pods": CLUSTERS * PODS_PER_CLUSTER,
        "clusters_started_per_s": CLUSTERS / start_s,
        "pods_reconciled_per_s": CLUSTERS * PODS_PER_CLUSTER / reconcile_s,
        "pods_reconcile_s": reconcile_s,
        "rss_mb_100_clusters": rss_mb,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


async def api_rate(directory: Path) -> dict[str, float]:
    members = directory / "members"
    state_path = members / "simulator.json"
    command = [
        sys.executable, "-m", "services.simulator", "--clusters", "2", "--port", "0",
        "--kubeconfig-dir", str(members),
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, cwd=REPO, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while not state_path.exists():
            if process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError("the simulator process did not start")
            await asyncio.sleep(0.1)
        state = json.loads(state_path.read_text())
        member = state["clusters"]["member-1"]
        token = load_kubeconfig(Path(member["kubeconfig"])).token or ""
        url = f"{member['server']}/api/v1/namespaces/default"
        context = ssl.create_default_context(cafile=state["caFile"])
        counts = await asyncio.gather(
            *(_client(url, token=token, context=context) for _ in range(API_CLIENTS))
        )
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
    return {"api_clients": API_CLIENTS, "api_requests_per_s": sum(counts) / API_SECONDS}


async def _client(url: str, *, token: str, context: ssl.SSLContext) -> int:
    """GETs in a loop on one keep-alive connection for API_SECONDS; returns the count."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    connector = aiohttp.TCPConnector(limit=1, ssl=context)
    count = 0
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        async with session.get(url) as warmup:
            assert warmup.status == 200, await warmup.text()
        deadline = time.perf_counter() + API_SECONDS
        while time.perf_counter() < deadline:
            async with session.get(url) as response:
                await response.read()
                assert response.status == 200
            count += 1
    return count


async def main() -> None:
    with TemporaryDirectory(prefix="navarch-bench-sim-") as directory:
        figures: dict[str, float | int | str] = {}
        figures.update(await fleet_scale(Path(directory)))
        figures.update(await api_rate(Path(directory)))
    report("sim", figures)


if __name__ == "__main__":
    asyncio.run(main())
