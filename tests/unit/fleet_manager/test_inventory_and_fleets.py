"""Cluster spec from labels, and Fleet status from the inventory."""

from services.fleet_manager.fleets import fleet_status
from services.fleet_manager.inventory import cluster_labels, cluster_spec
from shared.api.cluster import Cluster
from shared.api.fleet import AttachedCluster, Fleet


def attached(name: str, **labels: str) -> AttachedCluster:
    return AttachedCluster.model_validate(
        {
            "metadata": {"name": name, "namespace": "kurator-system"},
            "spec": {"kubeconfig": {"secretRef": {"name": f"{name}-kubeconfig"}}, "labels": labels},
        }
    )


def fleet(*members: dict, namespace: str = "kurator-system") -> Fleet:
    return Fleet.model_validate(
        {"metadata": {"name": "f", "namespace": namespace}, "spec": {"clusters": list(members)}}
    )


def cluster(name: str, ready: str | None) -> Cluster:
    conditions = [] if ready is None else [{"type": "Ready", "status": ready, "message": "m"}]
    return Cluster.model_validate(
        {"metadata": {"name": name}, "status": {"conditions": conditions}}
    )


def test_labels_merge_attached_then_fleet_entries_of_the_same_namespace() -> None:
    member = attached("hz", region="asia-east", env="staging")
    same = fleet({"name": "hz", "labels": {"env": "production", "provider": "alibaba"}})
    other = fleet({"name": "hz", "labels": {"env": "other"}}, namespace="elsewhere")
    labels = cluster_labels(member, [same, other])
    assert labels == {"region": "asia-east", "env": "production", "provider": "alibaba"}


def test_spec_fields_from_plain_and_well_known_labels() -> None:
    spec = cluster_spec(
        {"provider": "aws", "topology.kubernetes.io/region": "eu-central", "zone": "eu-central-1a"},
        api_endpoint="https://127.0.0.1:1/clusters/x",
    )
    assert (spec.provider, spec.region, spec.zones) == ("aws", "eu-central", ["eu-central-1a"])
    assert cluster_spec({}, api_endpoint=None).zones == []


def test_fleet_phase_and_member_states() -> None:
    shape = fleet({"name": "a", "kind": "AttachedCluster"}, {"name": "b"}, {"name": "missing"})
    status = fleet_status(shape, {"a": cluster("a", "True"), "b": cluster("b", "False")})
    assert status.phase == "NotReady"
    assert (status.ready_clusters, status.un_ready_clusters) == (1, 2)
    assert [m.state for m in status.clusters] == ["Ready", "NotReady", "NotFound"]
    assert status.clusters[2].message == 'AttachedCluster "missing" not found'
    assert fleet_status(fleet({"name": "a"}), {"a": cluster("a", "True")}).phase == "Ready"
    assert fleet_status(fleet({"name": "x"}), {}).phase == "Pending"
    assert fleet_status(fleet(), {}).phase == "Pending"
