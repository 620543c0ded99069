"""The fleet-manager with 100 simulated clusters: time to all Ready, memory, idle CPU.

Starts its own hub (`navarch up --detach` with the gateway and fleet-manager, 100 generated
clusters). Targets on 2 cores: all Ready < 15 s, idle CPU < 5 % of one core over 60 s.
"""

import asyncio
import json
import ssl
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil
import yaml
from common import navarch, report

from shared.cli.supervising import read_state
from shared.natsserver import free_port

CLUSTERS = 100
IDLE_SECONDS = 60


async def ready_clusters(home: Path) -> int:
    config = yaml.safe_load((home / "hub.kubeconfig").read_text())
    server = config["clusters"][0]["cluster"]["server"]
    headers = {"Authorization": f"Bearer {config['users'][0]['user']['token']}"}
    tls = ssl.create_default_context(cafile=str(home / "pki" / "ca.crt"))
    async with aiohttp.ClientSession(headers=headers) as session:
        url = f"{server}/apis/cluster.karmada.io/v1alpha1/clusters"
        async with session.get(url, ssl=tls) as response:
            items = (await response.json())["items"]
    return sum(
        1
        for item in items
        if any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in item.get("status", {}).get("conditions", [])
        )
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="navarch-bench-fleet-") as directory:
        home = Path(directory)
        started = time.perf_counter()
        navarch(
            "up",
            "--detach",
            "--services",
            "gateway,fleet_manager",
            "--gateway-port",
            str(free_port()),
            "--sim-clusters",
            str(CLUSTERS),
            home=home,
        )
        up_s = time.perf_counter() - started
        try:
            while asyncio.run(ready_clusters(home)) < CLUSTERS:
                if time.perf_counter() - started > 150:
                    raise SystemExit("clusters did not all become Ready in 150 s")
                time.sleep(0.25)
            all_ready_s = time.perf_counter() - started
            state = read_state(home)
            assert state is not None
            pid = next(p["pid"] for p in state["processes"] if p["name"] == "fleet_manager")
            process = psutil.Process(pid)
            time.sleep(5)
            process.cpu_percent(None)
            time.sleep(IDLE_SECONDS)
            idle_cpu = process.cpu_percent(None)
            rss_mb = process.memory_info().rss / 2**20
        finally:
            navarch("down", home=home)
    report(
        "fleet",
        {
            "clusters": CLUSTERS,
            "hub_up_s": up_s,
            "all_ready_100_clusters_s": all_ready_s,
            "fleet_manager_rss_mb": rss_mb,
            "idle_cpu_percent": idle_cpu,
            "note": json.dumps(
                "all_ready counts from `navarch up` (NATS, services and simulator "
                "start included) to 100 Ready Cluster objects"
            ),
        },
    )


if __name__ == "__main__":
    main()
