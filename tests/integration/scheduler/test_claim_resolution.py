"""Which policy claims a template, through the running scheduler: explicit priority first.

Ported from karmada `test/e2e/suites/base/clusterpropagationpolicy_test.go` and
`propagationpolicy_test.go`, [ExplicitPriority] cases.
"""

from typing import Any

import pytest
from scheduler_world import Running, get_or_none, put_cluster, simple_cluster, targets, wait_for

from services.scheduler.resources import (
    CLUSTER_PROPAGATION_POLICIES,
    PROPAGATION_POLICIES,
    RESOURCE_BINDINGS,
    RegistryResolver,
)
from shared.placement.matching import CPP_NAME_ANNOTATION, PP_NAME_ANNOTATION
from shared.store.objects import Object, ObjectStore

pytestmark = pytest.mark.integration

DEPLOYMENTS = RegistryResolver().resolve("apps/v1", "Deployment")
assert DEPLOYMENTS is not None
CLUSTER_NAMES = ["member1", "member2"]
LABELS = {"priority": "priority-x"}


def deployment() -> Object:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": LABELS},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


def policy(name: str, selector: dict[str, Any], *, kind: str, priority: int | None) -> Object:
    spec: dict[str, Any] = {
        "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", **selector}],
        "placement": {"clusterAffinity": {"clusterNames": CLUSTER_NAMES}},
    }
    if priority is not None:
        spec["priority"] = priority
    metadata: dict[str, Any] = {"name": name}
    if kind == "PropagationPolicy":
        metadata["namespace"] = "default"
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": kind,
        "metadata": metadata,
        "spec": spec,
    }


async def claimer(store: ObjectStore, annotation: str) -> str:
    """The policy named on the template once its binding placed it on every cluster."""

    async def probe() -> str | None:
        binding = await get_or_none(store, RESOURCE_BINDINGS, "default", "web-deployment")
        if set(targets(binding)) != set(CLUSTER_NAMES):
            return None
        template = await store.get(DEPLOYMENTS, "default", "web")
        return (template["metadata"].get("annotations") or {}).get(annotation)

    return await wait_for(probe, what="the template placed and claimed")


@pytest.mark.parametrize(
    ("kind", "annotation"),
    [
        ("ClusterPropagationPolicy", CPP_NAME_ANNOTATION),
        ("PropagationPolicy", PP_NAME_ANNOTATION),
    ],
)
async def test_high_explicit_priority_beats_implicit_name_precedence(
    store: ObjectStore, scheduler: Running, kind: str, annotation: str
) -> None:
    """ "high explicit/low priority/implicit priority (Cluster)PropagationPolicy
    propagation testing": the labelSelector policy of priority 2 wins over name selectors
    of priority 1 and of no priority."""
    for name in CLUSTER_NAMES:
        await put_cluster(store, simple_cluster(name))
    resource = CLUSTER_PROPAGATION_POLICIES if kind != "PropagationPolicy" else PROPAGATION_POLICIES
    by_labels = {"labelSelector": {"matchLabels": LABELS}}
    await store.create(resource, policy("higher-label", by_labels, kind=kind, priority=2))
    await store.create(resource, policy("lower-name", {"name": "web"}, kind=kind, priority=1))
    await store.create(resource, policy("implicit-name", {"name": "web"}, kind=kind, priority=None))
    await scheduler.idle()
    await store.create(DEPLOYMENTS, deployment())
    assert await claimer(store, annotation) == "higher-label"


@pytest.mark.parametrize(
    ("kind", "annotation"),
    [
        ("ClusterPropagationPolicy", CPP_NAME_ANNOTATION),
        ("PropagationPolicy", PP_NAME_ANNOTATION),
    ],
)
async def test_same_explicit_priority_falls_back_to_the_name_selector(
    store: ObjectStore, scheduler: Running, kind: str, annotation: str
) -> None:
    """ "same explicit priority (Cluster)PropagationPolicy propagation testing"."""
    for name in CLUSTER_NAMES:
        await put_cluster(store, simple_cluster(name))
    resource = CLUSTER_PROPAGATION_POLICIES if kind != "PropagationPolicy" else PROPAGATION_POLICIES
    by_labels = {"labelSelector": {"matchLabels": LABELS}}
    await store.create(resource, policy("a-label", by_labels, kind=kind, priority=1))
    await store.create(resource, policy("z-name", {"name": "web"}, kind=kind, priority=1))
    await scheduler.idle()
    await store.create(DEPLOYMENTS, deployment())
    assert await claimer(store, annotation) == "z-name"
