"""Many simulated clusters in one process, started and stopped together.

Clusters share nothing mutable: each has its own backend, store, informers and
controllers, so a fault or a load test on one never touches another.
"""

import asyncio
from collections.abc import Iterator
from pathlib import Path

from services.simulator.cluster import SimulatedCluster
from shared.api.simulated_fleet import ClusterConfig, FleetConfig, load_fleet_config


class SimulatedFleet:
    def __init__(self, config: FleetConfig) -> None:
        self.config = config
        self._clusters: dict[str, SimulatedCluster] = {
            cluster.name: SimulatedCluster(cluster.model_copy(deep=True))
            for cluster in config.clusters
        }

    @classmethod
    def from_file(cls, path: Path | str) -> "SimulatedFleet":
        return cls(load_fleet_config(path))

    def __getitem__(self, name: str) -> SimulatedCluster:
        return self._clusters[name]

    def __iter__(self) -> Iterator[SimulatedCluster]:
        return iter(list(self._clusters.values()))

    def __len__(self) -> int:
        return len(self._clusters)

    @property
    def names(self) -> list[str]:
        return list(self._clusters)

    async def start(self) -> None:
        """Start every cluster concurrently."""
        await asyncio.gather(*(cluster.start() for cluster in self._clusters.values()))

    async def stop(self) -> None:
        await asyncio.gather(*(cluster.stop() for cluster in self._clusters.values()))

    async def add_cluster(self, config: ClusterConfig, *, start: bool = True) -> SimulatedCluster:
        if config.name in self._clusters:
            raise ValueError(f"cluster {config.name!r} already exists")
        cluster = SimulatedCluster(config.model_copy(deep=True))
        self._clusters[config.name] = cluster
        if start:
            await cluster.start()
        return cluster

    async def remove_cluster(self, name: str) -> None:
        """Stop the cluster and forget it, objects included."""
        cluster = self._clusters.pop(name)
        await cluster.stop()
        await cluster.backend.close()
