"""Fleets made up on the spot: `--clusters N` (and `navarch up --sim-clusters N`) need no file.

Clusters are `member-1..N`, spread over three regions, each with three 8-CPU nodes: enough
for placement to have choices, small enough that a hundred fit in one process.
"""

from shared.api.simulated_fleet import ClusterConfig, FleetConfig, NodeGroup

REGIONS = ("us-east", "us-west", "eu-central")
NODE_COUNT = 3
NODE_CAPACITY = {"cpu": "8", "memory": "32Gi", "pods": "110"}


def generated_cluster(index: int, *, nodes: int = NODE_COUNT) -> ClusterConfig:
    """Cluster `member-<index>` (1-based) with sensible defaults."""
    region = REGIONS[(index - 1) % len(REGIONS)]
    return ClusterConfig(
        name=f"member-{index}",
        region=region,
        zone=f"{region}-1a",
        provider="simulator",
        labels={"navarch.dev/simulated": "true"},
        nodes=[NodeGroup(count=nodes, capacity=dict(NODE_CAPACITY))],
    )


def generated_fleet(count: int, *, base: FleetConfig | None = None) -> FleetConfig:
    """`base`'s clusters (if any) followed by `count` generated ones."""
    if count < 0:
        raise ValueError("the number of clusters must not be negative")
    clusters = list(base.clusters) if base is not None else []
    clusters += [generated_cluster(index) for index in range(1, count + 1)]
    return FleetConfig.model_validate(
        {"apiVersion": "navarch.dev/v1alpha1", "kind": "SimulatedFleet", "clusters": clusters}
    )
