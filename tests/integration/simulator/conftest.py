"""A started SimulatedCluster per test, with fast stages; stopped (and checked) afterwards."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from simhelpers import MakeCluster, cluster_config

from services.simulator.cluster import SimulatedCluster
from shared.api.simulated_fleet import parse_fleet_config


@pytest.fixture
async def make_cluster() -> AsyncIterator[MakeCluster]:
    started: list[SimulatedCluster] = []

    async def make(**overrides: Any) -> SimulatedCluster:
        document = {
            "apiVersion": "navarch.dev/v1alpha1",
            "kind": "SimulatedFleet",
            "clusters": [cluster_config(**overrides)],
        }
        cluster = SimulatedCluster(parse_fleet_config(document).clusters[0])
        await cluster.start()
        started.append(cluster)
        return cluster

    yield make
    for cluster in started:
        await cluster.stop()
