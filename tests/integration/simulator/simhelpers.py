"""Builders and waits for the simulator's integration tests (imported as `simhelpers`)."""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from services.simulator.cluster import SimulatedCluster

SEED_FLEET = Path(__file__).resolve().parents[3] / "examples" / "seed-fleet.yaml"
MakeCluster = Callable[..., Awaitable[SimulatedCluster]]


def cluster_config(**overrides: Any) -> dict[str, Any]:
    config = {
        "name": "test",
        "region": "us-west",
        "zone": "us-west-2a",
        "podReadyDelay": "50ms",
        "podCompleteDelay": "150ms",
        "nodes": [{"count": 2, "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"}}],
    }
    config.update(overrides)
    return config


async def eventually(condition: Callable[[], Awaitable[bool]], *, timeout: float = 5.0) -> None:
    """Wait until the async `condition()` holds; TimeoutError when it never does."""
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.02)


def deployment(
    name: str,
    *,
    replicas: int,
    cpu: str = "100m",
    image: str = "nginx:1.25",
    namespace: str = "default",
    **pod_spec: Any,
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": image, "resources": {"requests": {"cpu": cpu}}}
                    ],
                    **pod_spec,
                },
            },
        },
    }
