"""The hub API through HTTPS: apply throughput and latency, get/list with 10,000 objects, watch.

Starts its own hub (`navarch up --detach` with the gateway) in a temporary home. Targets on
2 cores: >= 1,000 applies/s with 8 concurrent clients, get p99 < 10 ms, list of 10,000
< 300 ms.
"""

import asyncio
import json
import ssl
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson
import yaml
from common import mean, navarch, percentile, report

from shared.natsserver import free_port

OBJECTS = 10_000
CLIENTS = 8
WATCH_EVENTS = 500


def configmap(index: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"bench-{index:05d}",
            "namespace": "default",
            "labels": {"bench": "api"},
        },
        "data": {"index": str(index), "payload": "x" * 200},
    }


async def run(home: Path) -> dict[str, float | int]:
    config = yaml.safe_load((home / "hub.kubeconfig").read_text())
    server = config["clusters"][0]["cluster"]["server"]
    token = config["users"][0]["user"]["token"]
    tls = ssl.create_default_context(cafile=str(home / "pki" / "ca.crt"))
    headers = {"Authorization": f"Bearer {token}"}
    base = f"{server}/api/v1/namespaces/default/configmaps"
    connector = aiohttp.TCPConnector(ssl=tls, limit=CLIENTS * 2)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        apply_ms: list[float] = []
        next_index = 0

        async def applier() -> None:
            nonlocal next_index
            while next_index < OBJECTS:
                index = next_index
                next_index += 1
                started = time.perf_counter()
                async with session.patch(
                    f"{base}/bench-{index:05d}",
                    params={"fieldManager": "bench"},
                    data=json.dumps(configmap(index)),
                    headers={"Content-Type": "application/apply-patch+yaml"},
                ) as response:
                    assert response.status in (200, 201), await response.text()
                    await response.read()
                apply_ms.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(applier() for _ in range(CLIENTS)))
        apply_s = time.perf_counter() - started

        get_ms: list[float] = []
        for index in range(0, OBJECTS, 10):
            started = time.perf_counter()
            async with session.get(f"{base}/bench-{index:05d}") as response:
                assert response.status == 200
                await response.read()
            get_ms.append((time.perf_counter() - started) * 1000)

        list_ms: list[float] = []
        for _ in range(5):
            started = time.perf_counter()
            async with session.get(base) as response:
                listing = orjson.loads(await response.read())
            list_ms.append((time.perf_counter() - started) * 1000)
        assert len(listing["items"]) >= OBJECTS
        revision = listing["metadata"]["resourceVersion"]

        delays: list[float] = []
        sent: dict[str, float] = {}

        async def watch() -> None:
            async with session.get(
                base,
                params={"watch": "true", "resourceVersion": revision},
                timeout=aiohttp.ClientTimeout(total=None, sock_read=60),
            ) as response:
                async for line in response.content:
                    event = json.loads(line)
                    name = event["object"]["metadata"]["name"]
                    if name in sent:
                        delays.append((time.perf_counter() - sent.pop(name)) * 1000)
                    if len(delays) == WATCH_EVENTS:
                        return

        watcher = asyncio.ensure_future(watch())
        await asyncio.sleep(0.5)
        for index in range(WATCH_EVENTS):
            body = configmap(index)
            body["data"]["index"] = f"w{index}"
            sent[body["metadata"]["name"]] = time.perf_counter()
            async with session.patch(
                f"{base}/bench-{index:05d}",
                params={"fieldManager": "bench"},
                data=json.dumps(body),
                headers={"Content-Type": "application/apply-patch+yaml"},
            ) as response:
                await response.read()
            await asyncio.sleep(0.005)
        await asyncio.wait_for(watcher, 60)

    return {
        "objects": OBJECTS,
        "clients": CLIENTS,
        "applies_per_s": OBJECTS / apply_s,
        "apply_p50_ms": percentile(apply_ms, 0.5),
        "apply_p99_ms": percentile(apply_ms, 0.99),
        "get_p50_ms": percentile(get_ms, 0.5),
        "get_p99_ms": percentile(get_ms, 0.99),
        "list_10k_ms": mean(list_ms),
        "watch_delay_p50_ms": percentile(delays, 0.5),
        "watch_delay_p99_ms": percentile(delays, 0.99),
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="navarch-bench-api-") as directory:
        home = Path(directory)
        navarch(
            "up", "--detach", "--services", "gateway", "--gateway-port", str(free_port()), home=home
        )
        try:
            figures = asyncio.run(run(home))
        finally:
            navarch("down", home=home)
    report("api", figures)


if __name__ == "__main__":
    main()
