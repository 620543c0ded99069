"""`navarch up --sim`: attach every simulated cluster to the hub, as a user would by hand.

For each cluster: a kubeconfig Secret and an AttachedCluster in `kurator-system`, then one
Fleet holding them all — through the hub API, so the gateway validates and the
fleet-manager does the rest.
"""

import asyncio
import base64
import json
import time
from pathlib import Path
from typing import Any

from shared.cli.client import KubeClient, endpoint_from_kubeconfig

NAMESPACE = "kurator-system"
FLEET_NAME = "simulated"
FIELD_MANAGER = "navarch-up"
STATE_WAIT_S = 30.0


def _read_state(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The simulator's state file (it writes it right after listening) and each kubeconfig."""
    deadline = time.monotonic() + STATE_WAIT_S
    while not path.exists():
        if time.monotonic() > deadline:
            raise FileNotFoundError(f"the simulator wrote no {path}")
        time.sleep(0.1)
    state = json.loads(path.read_text())
    kubeconfigs = {
        name: Path(info["kubeconfig"]).read_bytes() for name, info in state["clusters"].items()
    }
    return state, kubeconfigs


def attached_cluster(name: str, info: dict[str, Any]) -> dict[str, Any]:
    labels = dict(info.get("labels") or {})
    for key in ("provider", "region", "zone"):
        if info.get(key):
            labels[key] = info[key]
    spec: dict[str, Any] = {
        "kubeconfig": {"name": f"{name}-kubeconfig", "key": "value"},
        "labels": labels,
    }
    if info.get("taints"):
        spec["taints"] = info["taints"]
    return {
        "apiVersion": "cluster.kurator.dev/v1alpha1",
        "kind": "AttachedCluster",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": spec,
    }


async def attach_simulated_clusters(*, hub_kubeconfig: Path, state_file: Path) -> str:
    state, kubeconfigs = await asyncio.to_thread(_read_state, state_file)
    clusters: dict[str, dict[str, Any]] = state["clusters"]
    async with KubeClient(endpoint_from_kubeconfig(str(hub_kubeconfig))) as client:
        secrets = await client.resource_for("v1", "Secret")
        attached = await client.resource_for("cluster.kurator.dev/v1alpha1", "AttachedCluster")
        fleets = await client.resource_for("fleet.kurator.dev/v1alpha1", "Fleet")
        for name, info in sorted(clusters.items()):
            kubeconfig = kubeconfigs[name]
            secret = {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": f"{name}-kubeconfig", "namespace": NAMESPACE},
                "type": "Opaque",
                "data": {"value": base64.b64encode(kubeconfig).decode()},
            }
            await client.apply(secrets, secret, field_manager=FIELD_MANAGER, force=True)
            await client.apply(
                attached, attached_cluster(name, info), field_manager=FIELD_MANAGER, force=True
            )
        fleet = {
            "apiVersion": "fleet.kurator.dev/v1alpha1",
            "kind": "Fleet",
            "metadata": {"name": FLEET_NAME, "namespace": NAMESPACE},
            "spec": {
                "clusters": [{"name": name, "kind": "AttachedCluster"} for name in sorted(clusters)]
            },
        }
        await client.apply(fleets, fleet, field_manager=FIELD_MANAGER, force=True)
    return f"Attached {len(clusters)} simulated clusters (Fleet {NAMESPACE}/{FLEET_NAME})."
