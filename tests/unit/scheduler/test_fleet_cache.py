"""The scheduler's cache of clusters and fleets: what counts as a change to a placement."""

from typing import Any

import pytest

from services.scheduler.fleet_cache import ClusterCache, FleetCache, cluster_fingerprint
from shared.runtime.informing import InformerEvent


def cluster(name: str, **changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {"name": name, "labels": {"env": "prod"}},
        "spec": {"region": "r1"},
        "status": {
            "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": "t1"}],
            "resourceSummary": {"allocatable": {"cpu": "8"}},
        },
    }
    for path, value in changes.items():
        section, field = path.split("__")
        obj[section] = {**obj[section], field: value}
    return obj


@pytest.mark.parametrize(
    ("changes", "placement_relevant"),
    [
        (
            {
                "status__conditions": [
                    {"type": "Ready", "status": "True", "lastHeartbeatTime": "t2"}
                ]
            },
            False,
        ),
        ({"status__conditions": [{"type": "Ready", "status": "False"}]}, True),
        ({"metadata__labels": {"env": "dev"}}, True),
        ({"spec__taints": [{"key": "k", "effect": "NoExecute"}]}, True),
        ({"status__resourceSummary": {"allocatable": {"cpu": "4"}}}, True),
        ({"metadata__deletionTimestamp": "2026-12-03T14:00:00Z"}, True),
    ],
)
def test_only_placement_inputs_change_the_fingerprint(
    changes: dict[str, Any], placement_relevant: bool
) -> None:
    changed = cluster_fingerprint(cluster("a", **changes)) != cluster_fingerprint(cluster("a"))
    assert changed is placement_relevant


def test_schedulable_clusters_are_sorted_and_exclude_deleting_ones() -> None:
    cache = ClusterCache()
    assert cache.observe(InformerEvent("ADDED", cluster("b")))
    assert cache.observe(InformerEvent("ADDED", cluster("a")))
    assert not cache.observe(InformerEvent("MODIFIED", cluster("a"))), "nothing new"
    deleting = cluster("b", metadata__deletionTimestamp="2026-12-03T14:00:00Z")
    assert cache.observe(InformerEvent("MODIFIED", deleting))
    assert [c.name for c in cache.schedulable] == ["a"]
    assert cache.get("b") is not None, "still known while it is being deleted"
    assert cache.observe(InformerEvent("DELETED", deleting))
    assert cache.get("b") is None


def test_an_invalid_cluster_is_ignored() -> None:
    cache = ClusterCache()
    broken = cluster("a", spec__taints="not a list")
    assert not cache.observe(InformerEvent("ADDED", broken))
    assert cache.get("a") is None


def test_the_first_fleet_by_name_with_a_placement_defaults_the_namespace() -> None:
    fleets = FleetCache()

    def fleet(name: str, spec: dict[str, Any]) -> dict[str, Any]:
        return {"metadata": {"name": name, "namespace": "team"}, "spec": spec}

    assert fleets.observe(InformerEvent("ADDED", fleet("z", {"placement": {"z": 1}}))) == "team"
    fleets.observe(InformerEvent("ADDED", fleet("a", {"clusters": []})))
    fleets.observe(InformerEvent("ADDED", fleet("m", {"placement": {"m": 1}})))
    assert fleets.placement_fleet("team")["metadata"]["name"] == "m"  # type: ignore[index]
    fleets.observe(InformerEvent("DELETED", fleet("m", {})))
    assert fleets.placement_fleet("team")["metadata"]["name"] == "z"  # type: ignore[index]
    assert fleets.placement_fleet("elsewhere") is None
