"""The store contract runs on every backend: JetStream KV (the hub) and memory (the simulator)."""

import uuid
from collections.abc import AsyncIterator

import pytest

from shared.api.resources import ResourceType
from shared.bus import Bus
from shared.store.jetstream import JetStreamBackend
from shared.store.memory import MemoryBackend
from shared.store.objects import ObjectStore

CONFIGMAPS = ResourceType(
    group="", version="v1", plural="configmaps", kind="ConfigMap", status_subresource=False
)
DEPLOYMENTS = ResourceType(group="apps", version="v1", plural="deployments", kind="Deployment")
CLUSTERS = ResourceType(
    group="cluster.karmada.io",
    version="v1alpha1",
    plural="clusters",
    kind="Cluster",
    namespaced=False,
)


@pytest.fixture(params=["jetstream", "memory"])
async def store(request: pytest.FixtureRequest, bus: Bus) -> AsyncIterator[ObjectStore]:
    if request.param == "memory":
        backend = MemoryBackend()
    else:
        backend = await JetStreamBackend.open(bus, bucket=f"test-{uuid.uuid4().hex[:12]}")
    yield ObjectStore(backend)
    await backend.close()


def deployment(name: str, *, namespace: str = "default", replicas: int = 1, **labels: str) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"replicas": replicas},
    }
