"""The Kurator article examples, placed on the simulated seed fleet: outcomes of README.md."""

from typing import Any

import pytest

from shared.api.binding import ObjectReference
from shared.api.cluster import Cluster
from shared.api.propagation import (
    DistributionPolicy,
    Placement,
    PlacementExtras,
    PropagationPolicy,
    default_placement,
    default_propagation_spec,
    distribution_to_propagation,
    validate_placement_extras,
    validate_propagation_spec,
)
from shared.placement.estimating import ResourceTemplate, interpret_replicas
from shared.placement.matching import select_policy
from shared.placement.placing import PlacementResult, place
from tests.seed_fleet import load, seed_clusters

CLUSTERS = seed_clusters()


def deployment(name: str, replicas: int, requests: dict[str, str] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "nginx"}
    if requests:
        container["resources"] = {"requests": requests}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [container]}}},
    }


def policy_of(doc: dict[str, Any]) -> tuple[PropagationPolicy, PlacementExtras]:
    if doc["kind"] == "DistributionPolicy":
        policy, extras = distribution_to_propagation(DistributionPolicy.model_validate(doc))
    else:
        policy, extras = PropagationPolicy.model_validate(doc), PlacementExtras()
    policy.metadata.namespace = policy.metadata.namespace or "default"
    policy.spec = default_propagation_spec(policy.spec, namespace="default")
    assert validate_propagation_spec(policy.spec, namespace="default") == []
    assert validate_placement_extras(extras) == []
    return policy, extras


def schedule(
    template_doc: dict[str, Any],
    policy: PropagationPolicy,
    extras: PlacementExtras,
    clusters: list[Cluster] | None = None,
    placement: Placement | None = None,
) -> PlacementResult:
    template = ResourceTemplate.model_validate(template_doc)
    template.metadata.namespace = template.metadata.namespace or "default"
    chosen = select_policy(
        api_version=template.api_version,
        kind=template.kind,
        meta=template.metadata,
        propagation_policies=[policy],
        cluster_propagation_policies=[],
    )
    assert chosen is policy
    replicas, requirements = interpret_replicas(template)
    return place(
        resource=ObjectReference(
            api_version=template.api_version,
            kind=template.kind,
            namespace=template.metadata.namespace or "",
            name=template.metadata.name,
            uid=template.metadata.uid or "",
        ),
        replicas=replicas,
        replica_requirements=requirements,
        placement=placement or policy.spec.placement,
        clusters=clusters if clusters is not None else list(CLUSTERS.values()),
        extras=extras,
    )


def targets(result: PlacementResult) -> dict[str, int]:
    assert result.failure is None, result.failure
    assert result.clusters is not None
    return {t.name: t.replicas for t in result.clusters}


def example(name: str, kind: str = "Deployment") -> tuple[dict[str, Any] | None, dict[str, Any]]:
    docs = load(name)
    workload = next((d for d in docs if d["kind"] == kind), None)
    policy = next(d for d in docs if d["kind"] in ("PropagationPolicy", "DistributionPolicy"))
    return workload, policy


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("01", {"cluster-hangzhou": 6, "cluster-shanghai": 4}),
        ("02", {"cluster-hangzhou": 7, "cluster-shanghai": 3}),
        ("03", {"cluster-hangzhou": 3, "cluster-frankfurt": 3}),
        ("04", {"cluster-shanghai": 2}),
        ("09", {"cluster-prod": 9, "cluster-dr": 1}),
    ],
)
def test_example_outcomes(name: str, expected: dict[str, int]) -> None:
    workload, policy_doc = example(name)
    assert workload is not None
    policy, extras = policy_of(policy_doc)
    assert targets(schedule(workload, policy, extras)) == expected


def test_04_virtual_service_stays_on_the_hub() -> None:
    service = next(d for d in load("04") if d["kind"] == "VirtualService")
    _, policy_doc = example("04")
    policy, _ = policy_of(policy_doc)
    meta = ResourceTemplate.model_validate(service).metadata
    meta.namespace = "default"
    assert (
        select_policy(
            api_version=service["apiVersion"],
            kind=service["kind"],
            meta=meta,
            propagation_policies=[policy],
            cluster_propagation_policies=[],
        )
        is None
    )


def test_06_fleet_placement_prefers_asia_east_and_caps_at_two() -> None:
    fleet = next(d for d in load("06") if d["kind"] == "Fleet")
    members = [CLUSTERS[c["name"]] for c in fleet["spec"]["clusters"]]
    placement = default_placement(Placement.model_validate(fleet["spec"]["placement"]))
    policy = PropagationPolicy.model_validate(
        {
            "metadata": {"name": "fleet-default", "namespace": "default"},
            "spec": {
                "resourceSelectors": [
                    {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default"}
                ],
                "placement": placement.to_dict(),
            },
        }
    )
    result = schedule(deployment("web", 3), policy, PlacementExtras(), clusters=members)
    assert targets(result) == {"cluster-hangzhou": 3, "cluster-shanghai": 3}


def test_07_tolerated_taint_and_skew() -> None:
    _, policy_doc = example("07")
    policy, extras = policy_of(policy_doc)
    assert targets(schedule(deployment("large-scale-app", 4), policy, extras)) == {
        "cluster-zone-a": 4,
        "cluster-zone-b": 4,
    }
    untolerant = policy.model_copy(deep=True)
    untolerant.spec.placement.tolerations = []
    failed = schedule(deployment("large-scale-app", 4), untolerant, extras)
    assert targets(failed) == {"cluster-zone-b": 4}
    divided = policy.spec.placement.model_copy(deep=True)
    divided.replica_scheduling = Placement.model_validate(
        {
            "replicaScheduling": {
                "replicaDivisionPreference": "Weighted",
                "weightPreference": {
                    "staticWeightList": [
                        {"targetCluster": {"clusterNames": ["cluster-zone-a"]}, "weight": 3},
                        {"targetCluster": {"clusterNames": ["cluster-zone-b"]}, "weight": 1},
                    ]
                },
            }
        }
    ).replica_scheduling
    balanced = targets(
        schedule(deployment("large-scale-app", 9), policy, extras, placement=divided)
    )
    assert sum(balanced.values()) == 9
    assert abs(balanced["cluster-zone-a"] - balanced["cluster-zone-b"]) <= 1


def test_07_without_tolerations_names_the_taint() -> None:
    _, policy_doc = example("07")
    policy, extras = policy_of(policy_doc)
    policy.spec.placement.tolerations = []
    policy.spec.placement.cluster_affinity.cluster_names = ["cluster-zone-a"]  # type: ignore[union-attr]
    result = schedule(deployment("large-scale-app", 4), policy, extras)
    assert result.failure is not None and result.clusters == []
    assert result.failure.reason == "NoClusterFit"
    assert result.failure.message == (
        "0/11 clusters are available: 1 cluster(s) had untolerated "
        "taint {dedicated=special:NoSchedule}, "
        "10 cluster(s) did not match the placement cluster affinity constraint."
    )
    assert result.failure.cluster_reasons["cluster-zone-a"].endswith(
        "{dedicated=special:NoSchedule}"
    )


@pytest.mark.parametrize(
    ("replicas", "spot", "ondemand"), [(3, 2, 1), (5, 4, 1), (10, 8, 2), (15, 12, 3), (20, 16, 4)]
)
def test_08_split_kept_at_every_size(replicas: int, spot: int, ondemand: int) -> None:
    _, policy_doc = example("08")
    policy, extras = policy_of(policy_doc)
    result = targets(schedule(deployment("cost-sensitive-app", replicas), policy, extras))
    assert result == {"spot-cluster": spot, "ondemand-cluster": ondemand}


def test_11_gpu_constraint_and_a100_preference() -> None:
    _, policy_doc = example("11")
    policy, extras = policy_of(policy_doc)
    llm = deployment("llm-inference", 2, {"nvidia.com/gpu": "1", "cpu": "4"})
    assert targets(schedule(llm, policy, extras)) == {"cluster-gpu-a100": 2, "cluster-gpu-h100": 2}
    one = policy.spec.placement.model_copy(
        update={
            "spread_constraints": default_placement(
                Placement.model_validate({"spreadConstraints": [{"maxGroups": 1}]})
            ).spread_constraints
        }
    )
    assert targets(schedule(llm, policy, extras, placement=one)) == {"cluster-gpu-a100": 2}
    starved = CLUSTERS["cluster-gpu-h100"].model_copy(deep=True)
    assert starved.status.resource_summary is not None
    starved.status.resource_summary.allocatable["nvidia.com/gpu"] = "2"
    result = schedule(llm, policy, extras, clusters=[CLUSTERS["cluster-gpu-a100"], starved])
    assert targets(result) == {"cluster-gpu-a100": 2}
    without_gpus = policy.model_copy(deep=True)
    without_gpus.spec.placement.cluster_affinity = None
    open_result = targets(schedule(llm, without_gpus, extras))
    assert set(open_result) == {"cluster-gpu-a100", "cluster-gpu-h100"}
