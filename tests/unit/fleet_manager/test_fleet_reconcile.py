"""What a Fleet asks of its members: the namespaces they must have, and which
AttachedClusters a change of the Fleet wakes."""

from services.fleet_manager.fleet_reconcile import fleet_namespaces
from services.fleet_manager.service import fleet_members
from shared.runtime.informing import InformerEvent


def namespace(name: str, *, terminating: bool = False) -> dict:
    metadata: dict = {"name": name}
    if terminating:
        metadata["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": metadata}


def test_every_namespace_but_the_system_and_terminating_ones_plus_the_fleets_own() -> None:
    namespaces = [
        namespace("default"),
        namespace("kube-system"),
        namespace("kube-public"),
        namespace("kube-node-lease"),
        namespace("shop"),
        namespace("leaving", terminating=True),
    ]
    assert fleet_namespaces(namespaces, fleet_namespace="kurator-system") == {
        "shop",
        "kurator-system",
    }


def fleet(*members: str) -> dict:
    return {
        "metadata": {"name": "f", "namespace": "kurator-system"},
        "spec": {"clusters": [{"name": name} for name in members]},
    }


def test_a_fleet_change_wakes_its_members_before_and_after() -> None:
    event = InformerEvent("MODIFIED", fleet("a", "b"), fleet("b", "c"))
    assert list(fleet_members(event)) == [
        ("kurator-system", "a"),
        ("kurator-system", "b"),
        ("kurator-system", "b"),
        ("kurator-system", "c"),
    ]
    assert list(fleet_members(InformerEvent("ADDED", {"metadata": fleet()["metadata"]}))) == []
