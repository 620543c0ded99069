"""The Karmada Cluster an AttachedCluster realises: labels, taints, status, and its write
(conflicts re-applied to the stored copy, a vanished Cluster ends the write quietly)."""

from services.fleet_manager.cluster_objects import (
    cluster_status,
    desired_cluster,
    desired_labels,
    desired_taints,
    write_cluster,
)
from services.fleet_manager.observations import MemberObservations
from services.fleet_manager.summarizing import GPUProductSummary
from shared.api.cluster import Cluster, ClusterStatus, NodeSummary, ResourceSummary
from shared.api.fleet import AttachedCluster, Fleet
from shared.api.kinds import KARMADA_CLUSTERS
from shared.api.meta import Condition
from shared.members.kubeconfigs import ATTACHED_LABEL
from shared.runtime.own_writes import OwnWrites
from shared.runtime.writing import Writer
from shared.store.memory import MemoryBackend
from shared.store.objects import Object, ObjectStore

UNREACHABLE = Condition(
    type="Ready", status="False", reason="ClusterNotReachable", last_transition_time="t1"
)
READY = Condition(type="Ready", status="True", reason="ClusterReady", last_transition_time="t2")


def attached(*taints: dict) -> AttachedCluster:
    return AttachedCluster.model_validate(
        {
            "metadata": {"name": "hz", "namespace": "kurator-system"},
            "spec": {
                "kubeconfig": {"secretRef": {"name": "hz-kubeconfig"}},
                "labels": {"region": "asia-east"},
                "taints": list(taints),
            },
        }
    )


def observed(*products: str, ready: Condition | None = READY) -> MemberObservations:
    summaries = (
        NodeSummary(total_num=2, ready_num=2),
        ResourceSummary(allocatable={"cpu": "32"}),
        [GPUProductSummary(product=product, allocatable=8) for product in products],
    )
    return MemberObservations(
        server="https://hz", ready=ready, online=True, version="v1.30.0", summaries=summaries
    )


def existing_with_taints(*taints: dict) -> Cluster:
    return Cluster.model_validate({"metadata": {"name": "hz"}, "spec": {"taints": list(taints)}})


def test_labels_name_the_owner_and_a_single_gpu_product() -> None:
    fleet = Fleet.model_validate(
        {
            "metadata": {"name": "f", "namespace": "kurator-system"},
            "spec": {"clusters": [{"name": "hz", "labels": {"env": "production"}}]},
        }
    )
    labels = desired_labels(attached(), fleets=[fleet], member=observed("a100"))
    assert labels == {
        "region": "asia-east",
        "env": "production",
        ATTACHED_LABEL: "kurator-system.hz",
        "nvidia.com/gpu.product": "a100",
    }
    two = desired_labels(attached(), fleets=[], member=observed("a100", "h100"))
    assert "nvidia.com/gpu.product" not in two
    assert "nvidia.com/gpu.product" not in desired_labels(attached(), fleets=[], member=None)


def test_health_taints_follow_the_verdict_and_keep_their_time() -> None:
    user = {"key": "dedicated", "value": "special", "effect": "NoSchedule"}
    fresh = desired_taints(
        attached(user), existing=None, ready=UNREACHABLE, now="t5", evictions_paused=False
    )
    assert [(t.key, t.effect, t.time_added) for t in fresh] == [
        ("dedicated", "NoSchedule", None),
        ("cluster.karmada.io/unreachable", "NoSchedule", "t5"),
        ("cluster.karmada.io/unreachable", "NoExecute", "t5"),
    ]
    existing = existing_with_taints(*(t.to_dict() for t in fresh))
    later = desired_taints(
        attached(user), existing=existing, ready=UNREACHABLE, now="t9", evictions_paused=True
    )
    assert [(t.key, t.effect, t.time_added) for t in later] == [
        ("dedicated", "NoSchedule", None),
        ("cluster.karmada.io/unreachable", "NoSchedule", "t5"),
    ], "NoExecute is withheld while evictions are paused"
    healed = desired_taints(
        attached(user), existing=existing, ready=READY, now="t9", evictions_paused=False
    )
    assert [t.key for t in healed] == ["dedicated"]


def test_the_body_carries_the_endpoint_and_spec_fields() -> None:
    body = desired_cluster(
        "hz", labels={"region": "asia-east"}, taints=[], api_endpoint="https://hz"
    )
    assert body["apiVersion"] == "cluster.karmada.io/v1alpha1"
    assert body["metadata"] == {"name": "hz", "labels": {"region": "asia-east"}}
    assert body["spec"]["apiEndpoint"] == "https://hz"
    assert body["spec"]["region"] == "asia-east"


def test_status_replaces_only_ready_and_adds_what_the_member_shows() -> None:
    other = Condition(type="Synced", status="True", reason="Done")
    base = ClusterStatus(conditions=[other, UNREACHABLE])
    status = cluster_status(base, member=observed("a100"), ready=READY)
    assert [(c["type"], c["status"]) for c in status["conditions"]] == [
        ("Synced", "True"),
        ("Ready", "True"),
    ]
    assert status["kubernetesVersion"] == "v1.30.0"
    assert status["nodeSummary"] == {"totalNum": 2, "readyNum": 2}
    assert status["gpuProducts"] == [{"product": "a100", "allocatable": 8, "allocated": 0}]
    kept = cluster_status(base, member=None, ready=None)
    assert [c["reason"] for c in kept["conditions"]] == ["Done", "ClusterNotReachable"]


def ready_status(obj: Object) -> Object:
    return cluster_status(
        ClusterStatus.model_validate(obj.get("status") or {}), member=None, ready=READY
    )


async def test_the_write_creates_then_reapplies_onto_a_newer_copy() -> None:
    store = ObjectStore(MemoryBackend())
    writer = Writer(store, OwnWrites())
    body = desired_cluster("hz", labels={"a": "1"}, taints=[], api_endpoint=None)
    created = await write_cluster(writer, existing=None, desired=body, status_of=ready_status)
    assert created is not None and created.is_ready()
    stale = await store.get(KARMADA_CLUSTERS, None, "hz")
    newer = dict(stale, metadata=dict(stale["metadata"], annotations={"someone": "else"}))
    await store.update(KARMADA_CLUSTERS, newer)
    relabelled = desired_cluster("hz", labels={"a": "2"}, taints=[], api_endpoint=None)
    written = await write_cluster(
        writer, existing=stale, desired=relabelled, status_of=ready_status
    )
    assert written is not None
    assert written.metadata.labels == {"a": "2"}
    assert written.metadata.annotations == {"someone": "else"}, "the other write is kept"
    assert written.is_ready()


async def test_a_vanished_cluster_ends_the_write_quietly() -> None:
    store = ObjectStore(MemoryBackend())
    writer = Writer(store, OwnWrites())
    body = desired_cluster("hz", labels={}, taints=[], api_endpoint=None)
    created = await store.create(KARMADA_CLUSTERS, body)
    await store.delete(KARMADA_CLUSTERS, None, "hz")
    assert (
        await write_cluster(writer, existing=created, desired=body, status_of=ready_status) is None
    )
