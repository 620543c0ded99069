"""The project's examples and the seed fleet's clusters as the fleet-manager reports them."""

from pathlib import Path
from typing import Any

import yaml

from shared.api.cluster import APIEnablement, Cluster
from shared.api.simulated_fleet import load_fleet_config
from shared.placement.planning import clusters_from_fleet_config

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ENABLED = [
    {
        "groupVersion": "apps/v1",
        "resources": [
            {"name": "deployments", "kind": "Deployment"},
            {"name": "statefulsets", "kind": "StatefulSet"},
        ],
    },
    {
        "groupVersion": "v1",
        "resources": [
            {"name": "configmaps", "kind": "ConfigMap"},
            {"name": "services", "kind": "Service"},
        ],
    },
]


def load(name: str) -> list[dict[str, Any]]:
    """Every document of `examples/<name>-*.yaml`."""
    path = next(EXAMPLES.glob(f"{name}-*.yaml"))
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def seed_clusters() -> dict[str, Cluster]:
    """Each simulated cluster as the fleet-manager reports it: Ready, APIs, capacity, GPUs."""
    fleet = load_fleet_config(EXAMPLES / "seed-fleet.yaml")
    enablements = [APIEnablement.model_validate(item) for item in ENABLED]
    return {
        cluster.name: cluster
        for cluster in clusters_from_fleet_config(fleet, enablements=enablements)
    }
