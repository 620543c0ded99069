"""Cluster lifecycle on the simulated provider: create to Ready, and a 20-node safe scale-down.

Starts its own hub (`navarch up --detach`, gateway and fleet-manager, one generated member
so the simulator runs; zero boot and join delay, the simulator's default).
`create_to_ready_s`: 10 Clusters x 5 workers applied at once, until all are phase Ready.
`scale_down_20_nodes_s`: one Cluster of 22 workers running a 10-replica Deployment with a
`minAvailable: 8` PodDisruptionBudget, scaled to 2, until 2 workers remain.
`pending_to_node_s` needs the cluster autoscaler (scaler service), not built: "not measured".
Targets: `create_to_ready_s` < 10.
"""

import asyncio
import base64
import os
import ssl
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from common import navarch, report

from shared.members.client import MemberClient
from shared.natsserver import free_port

CLUSTERS = 10
BIG = 22
KURATOR = "/apis/cluster.kurator.dev/v1alpha1/namespaces/default/clusters"


class Hub:
    def __init__(self, home: Path) -> None:
        config = yaml.safe_load((home / "hub.kubeconfig").read_text())
        self.server = config["clusters"][0]["cluster"]["server"]
        self.headers = {"Authorization": f"Bearer {config['users'][0]['user']['token']}"}
        self.tls = ssl.create_default_context(cafile=str(home / "pki" / "ca.crt"))

    async def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        async with (
            aiohttp.ClientSession(headers=self.headers) as session,
            session.request(method, f"{self.server}{path}", json=body, ssl=self.tls, **kwargs) as r,
        ):
            answer = await r.json()
            if r.status >= 300:
                raise SystemExit(f"{method} {path}: {r.status} {answer}")
            return answer


def cluster(name: str, count: int) -> dict[str, Any]:
    return {
        "apiVersion": "cluster.kurator.dev/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "infrastructure": {"cloudProvider": "aws", "region": "us-west-2", "version": "1.25"},
            "workerNodes": {"count": count, "instanceType": "m5.large"},
        },
    }


async def phases(hub: Hub) -> dict[str, str]:
    items = (await hub.call("GET", KURATOR))["items"]
    return {i["metadata"]["name"]: (i.get("status") or {}).get("phase", "") for i in items}


async def until(check: Any, *, timeout: float, what: str) -> None:
    deadline = time.perf_counter() + timeout
    while not await check():
        if time.perf_counter() > deadline:
            raise SystemExit(f"timed out: {what}")
        await asyncio.sleep(0.1)


async def create_to_ready(hub: Hub) -> float:
    started = time.perf_counter()
    for index in range(CLUSTERS):
        await hub.call("POST", KURATOR, cluster(f"bench-{index}", 5))

    async def all_ready() -> bool:
        found = await phases(hub)
        return sum(1 for p in found.values() if p == "Ready") >= CLUSTERS

    await until(all_ready, timeout=120, what="10 clusters Ready")
    return time.perf_counter() - started


async def scale_down(hub: Hub) -> float:
    await hub.call("POST", KURATOR, cluster("bench-big", BIG))

    async def ready() -> bool:
        return (await phases(hub)).get("bench-big") == "Ready"

    await until(ready, timeout=120, what="the big cluster Ready")
    path = "/api/v1/namespaces/default/secrets/bench-big-kubeconfig"
    secret = await hub.call("GET", path)
    member = await MemberClient.from_kubeconfig(base64.b64decode(secret["data"]["value"]).decode())
    labels = {"app": "bench"}
    pod = {
        "containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "100m"}}}]
    }
    try:
        await member.request(
            "POST",
            "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
            body={
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {"name": "bench"},
                "spec": {"minAvailable": 8, "selector": {"matchLabels": labels}},
            },
        )
        await member.request(
            "POST",
            "/apis/apps/v1/namespaces/default/deployments",
            body={
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "bench"},
                "spec": {
                    "replicas": 10,
                    "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": labels}, "spec": pod},
                },
            },
        )

        async def workers() -> int:
            nodes = (await member.request("GET", "/api/v1/nodes"))["items"]
            return sum(1 for n in nodes if "-md-0-" in n["metadata"]["name"])

        async def deployed() -> bool:
            answer = await member.request(
                "GET", "/apis/apps/v1/namespaces/default/deployments/bench"
            )
            return (answer.get("status") or {}).get("readyReplicas") == 10

        await until(deployed, timeout=60, what="the Deployment ready")
        started = time.perf_counter()
        await hub.call(
            "PATCH",
            f"{KURATOR}/bench-big",
            {"spec": {"workerNodes": {"count": 2}}},
            headers={"Content-Type": "application/merge-patch+json"},
        )

        async def two_left() -> bool:
            return await workers() == 2

        await until(two_left, timeout=300, what="20 nodes removed")
        return time.perf_counter() - started
    finally:
        await member.close()


def main() -> None:
    os.environ.setdefault("NAVARCH_LIFECYCLE_EVICTION_BACKOFF_S", "0.5")
    os.environ.setdefault("NAVARCH_LIFECYCLE_POLL_S", "0.2")
    with tempfile.TemporaryDirectory(prefix="navarch-bench-lifecycle-") as directory:
        home = Path(directory)
        navarch(
            "up",
            "--detach",
            "--services",
            "gateway,fleet_manager",
            "--gateway-port",
            str(free_port()),
            "--sim-clusters",
            "1",
            home=home,
        )
        try:
            hub = Hub(home)
            create_s = asyncio.run(create_to_ready(hub))
            scale_s = asyncio.run(scale_down(hub))
        finally:
            navarch("down", home=home)
    report(
        "lifecycle",
        {
            "create_to_ready_s": create_s,
            "scale_down_20_nodes_s": scale_s,
            "pending_to_node_s": "not measured: the cluster autoscaler is not built",
            "eviction_backoff_s": float(os.environ["NAVARCH_LIFECYCLE_EVICTION_BACKOFF_S"]),
        },
    )


if __name__ == "__main__":
    main()
