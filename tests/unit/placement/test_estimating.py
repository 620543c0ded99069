"""The general estimator and the replica interpreter, after Karmada's general_test.go."""

import pytest

from shared.api.binding import ReplicaRequirements
from shared.api.cluster import Cluster
from shared.placement.estimating import (
    MAX_INT32,
    ResourceTemplate,
    estimate_available,
    general_estimate,
    interpret_replicas,
)


def cluster(summary: dict[str, dict[str, str]] | None, name: str = "member1") -> Cluster:
    status = {"resourceSummary": summary} if summary is not None else {}
    return Cluster.model_validate({"metadata": {"name": name}, "status": status})


def requests(**values: str) -> ReplicaRequirements:
    return ReplicaRequirements(resource_request={k.replace("_", "-"): v for k, v in values.items()})


@pytest.mark.parametrize(
    ("summary", "requirements", "expected"),
    [
        (None, None, 0),
        ({"allocatable": {"pods": "110"}}, None, 110),
        (
            {
                "allocatable": {"pods": "110"},
                "allocated": {"pods": "100"},
                "allocating": {"pods": "20"},
            },
            None,
            0,
        ),
        ({"allocatable": {"cpu": "8"}}, requests(cpu="1"), 0),
        ({"allocatable": {"pods": "110", "cpu": "8", "memory": "16Gi"}}, requests(cpu="500m"), 16),
        (
            {
                "allocatable": {"pods": "110", "cpu": "8", "memory": "16Gi"},
                "allocated": {"cpu": "7500m"},
            },
            requests(cpu="200m"),
            2,
        ),
        (
            {"allocatable": {"pods": "110", "cpu": "8", "memory": "16Gi"}},
            requests(cpu="1", memory="3Gi"),
            5,
        ),
        ({"allocatable": {"pods": "4", "cpu": "64"}}, requests(cpu="1"), 4),
        ({"allocatable": {"pods": "110", "cpu": "8"}}, requests(**{"nvidia.com/gpu": "1"}), 0),
        (
            {"allocatable": {"pods": "110", "cpu": "8"}, "allocated": {"cpu": "8"}},
            requests(cpu="1"),
            0,
        ),
        ({"allocatable": {"pods": "110", "cpu": "8"}}, requests(cpu="0"), 110),
        ({"allocatable": {"pods": "110", "memory": "10"}}, requests(memory="2.5"), 3),
        (
            {"allocatable": {"pods": "110", "cpu": "1500m"}, "allocated": {"cpu": "1"}},
            requests(cpu="250m"),
            2,
        ),
    ],
    ids=[
        "no resource summary",
        "no requirements: free pods",
        "pods exhausted",
        "no pods allocatable",
        "cpu in millis",
        "allocated cpu subtracted",
        "memory is the bottleneck",
        "pods are the bottleneck",
        "requested resource missing",
        "nothing free",
        "zero request ignored",
        "non-cpu requests round up first",
        "half a cpu left still counts in millis",
    ],
)
def test_general_estimate(
    summary: dict | None, requirements: ReplicaRequirements | None, expected: int
) -> None:
    assert general_estimate(cluster(summary), requirements) == expected


def test_estimate_available_non_workload_and_workload() -> None:
    clusters = [cluster({"allocatable": {"pods": "10"}}), cluster(None, name="member2")]
    assert estimate_available(clusters, replicas=0, requirements=None) == {
        "member1": 0,
        "member2": 0,
    }
    assert estimate_available(clusters, replicas=5, requirements=None) == {
        "member1": 10,
        "member2": 0,
    }
    huge = cluster({"allocatable": {"pods": str(MAX_INT32 * 2)}})
    assert estimate_available([huge], replicas=7, requirements=None) == {"member1": 7}


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "uid": "u-1"},
    "spec": {
        "replicas": 3,
        "template": {
            "spec": {
                "containers": [
                    {"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}},
                    {
                        "name": "b",
                        "resources": {
                            "limits": {"cpu": "500m", "memory": "1Gi"},
                            "requests": {"memory": "128Mi"},
                        },
                    },
                ],
                "initContainers": [{"name": "init", "resources": {"requests": {"cpu": "2"}}}],
                "overhead": {"memory": "32Mi"},
            }
        },
    },
}


def test_interpret_deployment() -> None:
    replicas, requirements = interpret_replicas(ResourceTemplate.model_validate(DEPLOYMENT))
    assert replicas == 3
    assert requirements is not None
    assert requirements.resource_request == {"cpu": "2", "memory": "224Mi"}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "c"},
                "data": {"k": "v"},
            },
            (0, False),
        ),
        (
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "d"},
                "spec": {"template": {"spec": {"containers": [{"name": "x"}]}}},
            },
            (0, False),
        ),
        (
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": "j"},
                "spec": {
                    "parallelism": 4,
                    "template": {
                        "spec": {
                            "containers": [{"name": "x", "resources": {"requests": {"cpu": "1"}}}]
                        }
                    },
                },
            },
            (4, True),
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "x"}], "nodeSelector": {"gpu": "yes"}},
            },
            (1, True),
        ),
    ],
    ids=[
        "configmap",
        "deployment without replicas or requests",
        "job parallelism",
        "pod with node claim",
    ],
)
def test_interpret_other_kinds(document: dict, expected: tuple[int, bool]) -> None:
    replicas, requirements = interpret_replicas(ResourceTemplate.model_validate(document))
    assert (replicas, requirements is not None) == expected
