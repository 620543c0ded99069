"""Karmada's policy lifecycle against a real store: deletion keeps the workload, selector
changes release it, another policy claims it, permanent ids, preemption.

Ported from karmada `test/e2e/suites/base/propagationpolicy_test.go`,
`clusterpropagationpolicy_test.go` and `preemption_test.go`; each test names its case.
"""

import re
from typing import Any

import pytest
from scheduler_world import Running, get_or_none, put_cluster, simple_cluster, targets, wait_for

from services.scheduler.binding_sync import CRB_PERMANENT_ID_LABEL, RB_PERMANENT_ID_LABEL
from services.scheduler.resources import (
    CLUSTER_PROPAGATION_POLICIES,
    CLUSTER_RESOURCE_BINDINGS,
    CUSTOM_RESOURCE_DEFINITIONS,
    PROPAGATION_POLICIES,
    RESOURCE_BINDINGS,
    RegistryResolver,
)
from shared.api.resources import ResourceType
from shared.placement.matching import (
    CPP_NAME_ANNOTATION,
    CPP_PERMANENT_ID_LABEL,
    PP_NAME_ANNOTATION,
    PP_NAMESPACE_ANNOTATION,
    PP_PERMANENT_ID_LABEL,
)
from shared.store.objects import Object, ObjectStore

pytestmark = pytest.mark.integration

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
MEMBERS = ("member1", "member2", "member3")
RESOLVER = RegistryResolver()
DEPLOYMENTS = RESOLVER.resolve("apps/v1", "Deployment")
CONFIGMAPS = RESOLVER.resolve("v1", "ConfigMap")
assert DEPLOYMENTS is not None and CONFIGMAPS is not None


async def seed(store: ObjectStore) -> None:
    for name in MEMBERS:
        await put_cluster(store, simple_cluster(name))


def deployment(name: str, *, labels: dict[str, str] | None = None) -> Object:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "labels": labels or {"app": name}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


def configmap(name: str) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default", "labels": {"a": "b"}},
        "data": {"a": "b"},
    }


def policy(
    name: str,
    selectors: list[dict[str, Any]],
    clusters: list[str],
    *,
    cluster_scoped: bool = False,
    priority: int | None = None,
    preemption: str | None = None,
) -> Object:
    spec: dict[str, Any] = {
        "resourceSelectors": selectors,
        "placement": {"clusterAffinity": {"clusterNames": clusters}},
    }
    if priority is not None:
        spec["priority"] = priority
    if preemption is not None:
        spec["preemption"] = preemption
    kind = "ClusterPropagationPolicy" if cluster_scoped else "PropagationPolicy"
    metadata: dict[str, Any] = {"name": name}
    if not cluster_scoped:
        metadata["namespace"] = "default"
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": kind,
        "metadata": metadata,
        "spec": spec,
    }


def by_name(kind: str, name: str, api_version: str = "apps/v1") -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "name": name}


async def placed(
    store: ObjectStore, resource: ResourceType, name: str, expected: dict[str, int]
) -> Object:
    async def probe() -> Object | None:
        binding = await get_or_none(store, resource, "default", name)
        return binding if targets(binding) == expected else None

    return await wait_for(probe, what=f"{name} placed on {expected}")


def claim_marks(obj: Object) -> dict[str, str]:
    """Every PP/CPP claim label and annotation the object carries."""
    metadata = obj["metadata"]
    keys = (PP_PERMANENT_ID_LABEL, CPP_PERMANENT_ID_LABEL)
    marks = {k: v for k, v in (metadata.get("labels") or {}).items() if k in keys}
    names = (PP_NAMESPACE_ANNOTATION, PP_NAME_ANNOTATION, CPP_NAME_ANNOTATION)
    marks |= {k: v for k, v in (metadata.get("annotations") or {}).items() if k in names}
    return marks


async def unclaimed(store: ObjectStore, resource: ResourceType, name: str) -> Object:
    async def probe() -> Object | None:
        template = await store.get(resource, "default", name)
        return None if claim_marks(template) else template

    return await wait_for(probe, what=f"{name} without claim marks")


async def claimed_by(store: ObjectStore, resource: ResourceType, name: str, policy: str) -> Object:
    async def probe() -> Object | None:
        template = await store.get(resource, "default", name)
        annotations = template["metadata"].get("annotations") or {}
        claimer = annotations.get(PP_NAME_ANNOTATION) or annotations.get(CPP_NAME_ANNOTATION)
        return template if claimer == policy else None

    return await wait_for(probe, what=f"{name} claimed by {policy}")


async def test_delete_the_propagation_policy_keeps_the_binding_and_removes_claim_marks(
    store: ObjectStore, scheduler: Running
) -> None:
    """propagationpolicy_test.go, [AdvancedCase] "delete the propagationPolicy and check
    whether labels and annotations are deleted correctly": the template and the binding
    lose the marks, the binding and its result stay (the members keep the workload)."""
    await seed(store)
    await store.create(DEPLOYMENTS, deployment("web"))
    await store.create(
        PROPAGATION_POLICIES, policy("web-pp", [by_name("Deployment", "web")], ["member1"])
    )
    before = await placed(store, RESOURCE_BINDINGS, "web-deployment", {"member1": 2})
    assert claim_marks(before)

    await store.delete(PROPAGATION_POLICIES, "default", "web-pp")
    template = await unclaimed(store, DEPLOYMENTS, "web")
    assert template["metadata"]["labels"] == {"app": "web"}

    async def released() -> Object | None:
        binding = await get_or_none(store, RESOURCE_BINDINGS, "default", "web-deployment")
        return binding if binding is not None and not claim_marks(binding) else None

    binding = await wait_for(released, what="binding without claim marks")
    await scheduler.idle()
    binding = await store.get(RESOURCE_BINDINGS, "default", "web-deployment")
    assert targets(binding) == {"member1": 2}
    assert binding["spec"]["placement"] == before["spec"]["placement"]
    labels = binding["metadata"]["labels"]
    assert labels[RB_PERMANENT_ID_LABEL] == before["metadata"]["labels"][RB_PERMANENT_ID_LABEL]

    await store.delete(DEPLOYMENTS, "default", "web")

    async def gone() -> bool:
        return await get_or_none(store, RESOURCE_BINDINGS, "default", "web-deployment") is None

    await wait_for(gone, what="the kept binding deleted with its template")


async def test_delete_the_old_policy_to_unbind_and_create_a_new_one(
    store: ObjectStore, scheduler: Running
) -> None:
    """propagationpolicy_test.go, "delete the old propagationPolicy to unbind and create a
    new one"; preemption_test.go's last step (the remaining policy claims it after the
    holder's deletion) is the same path."""
    await seed(store)
    await store.create(CONFIGMAPS, configmap("cm"))
    selectors = [by_name("ConfigMap", "cm", "v1")]
    await store.create(PROPAGATION_POLICIES, policy("cm01", selectors, ["member1"]))
    first = await placed(store, RESOURCE_BINDINGS, "cm-configmap", {"member1": 0})

    await store.delete(PROPAGATION_POLICIES, "default", "cm01")
    await unclaimed(store, CONFIGMAPS, "cm")
    await store.create(PROPAGATION_POLICIES, policy("cm02", selectors, ["member2"]))

    moved = await placed(store, RESOURCE_BINDINGS, "cm-configmap", {"member2": 0})
    await claimed_by(store, CONFIGMAPS, "cm", "cm02")
    assert moved["metadata"]["uid"] == first["metadata"]["uid"], "the same binding moves"


async def test_modify_the_old_policy_to_unbind_and_create_a_new_one(
    store: ObjectStore, scheduler: Running
) -> None:
    """propagationpolicy_test.go, "modify the old propagationPolicy to unbind and create a
    new one": selectors that no longer select the ConfigMap release it."""
    await seed(store)
    await store.create(CONFIGMAPS, configmap("cm"))
    await store.create(
        PROPAGATION_POLICIES, policy("cm01", [by_name("ConfigMap", "cm", "v1")], ["member1"])
    )
    await placed(store, RESOURCE_BINDINGS, "cm-configmap", {"member1": 0})

    old = await store.get(PROPAGATION_POLICIES, "default", "cm01")
    old["spec"]["resourceSelectors"] = [by_name("ConfigMap", "cmfake", "v1")]
    await store.update(PROPAGATION_POLICIES, old)
    await unclaimed(store, CONFIGMAPS, "cm")
    await store.create(
        PROPAGATION_POLICIES, policy("cm02", [by_name("ConfigMap", "cm", "v1")], ["member2"])
    )

    binding = await placed(store, RESOURCE_BINDINGS, "cm-configmap", {"member2": 0})
    assert binding["metadata"]["annotations"][PP_NAME_ANNOTATION] == "cm02"


async def test_update_resource_selectors_item(store: ObjectStore, scheduler: Running) -> None:
    """propagationpolicy_test.go, [AdvancedCase] "update resourceSelectors item": the
    deselected deployment loses the claim annotations, its binding stays where it was."""
    await seed(store)
    await store.create(DEPLOYMENTS, deployment("web01"))
    await store.create(DEPLOYMENTS, deployment("web02"))
    await store.create(
        PROPAGATION_POLICIES, policy("web", [by_name("Deployment", "web01")], ["member1"])
    )
    await placed(store, RESOURCE_BINDINGS, "web01-deployment", {"member1": 2})

    current = await store.get(PROPAGATION_POLICIES, "default", "web")
    current["spec"]["resourceSelectors"] = [by_name("Deployment", "web02")]
    await store.update(PROPAGATION_POLICIES, current)

    await placed(store, RESOURCE_BINDINGS, "web02-deployment", {"member1": 2})
    await unclaimed(store, DEPLOYMENTS, "web01")
    kept = await store.get(RESOURCE_BINDINGS, "default", "web01-deployment")
    assert targets(kept) == {"member1": 2} and not claim_marks(kept)


async def test_a_template_label_change_alone_keeps_the_claim(
    store: ObjectStore, scheduler: Running
) -> None:
    """pkg/detector/policy.go `getAndApplyPolicy`: a claimed template its policy no longer
    selects is left as it is until that policy changes (`cleanPPUnmatchedRBs`)."""
    await seed(store)
    await store.create(DEPLOYMENTS, deployment("web", labels={"tier": "front"}))
    selector = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "labelSelector": {"matchLabels": {"tier": "front"}},
    }
    await store.create(PROPAGATION_POLICIES, policy("front", [selector], ["member1"]))
    await placed(store, RESOURCE_BINDINGS, "web-deployment", {"member1": 2})

    template = await store.get(DEPLOYMENTS, "default", "web")
    template["metadata"]["labels"]["tier"] = "back"
    await store.update(DEPLOYMENTS, template)
    await scheduler.idle()
    assert claim_marks(await store.get(DEPLOYMENTS, "default", "web"))

    current = await store.get(PROPAGATION_POLICIES, "default", "front")
    current["spec"]["placement"]["clusterAffinity"]["clusterNames"] = ["member2"]
    await store.update(PROPAGATION_POLICIES, current)
    await unclaimed(store, DEPLOYMENTS, "web")
    await scheduler.idle()
    assert targets(await store.get(RESOURCE_BINDINGS, "default", "web-deployment")) == {
        "member1": 2
    }


async def test_delete_cluster_propagation_policy_namespace_scope(
    store: ObjectStore, scheduler: Running
) -> None:
    """clusterpropagationpolicy_test.go, "delete ClusterPropagationPolicy and check whether
    labels and annotations are deleted correctly" and "delete the old
    ClusterPropagationPolicy to unbind and create a new one" (namespace scope)."""
    await seed(store)
    await store.create(DEPLOYMENTS, deployment("web"))
    selectors = [by_name("Deployment", "web")]
    await store.create(
        CLUSTER_PROPAGATION_POLICIES, policy("c01", selectors, ["member1"], cluster_scoped=True)
    )
    first = await placed(store, RESOURCE_BINDINGS, "web-deployment", {"member1": 2})

    await store.delete(CLUSTER_PROPAGATION_POLICIES, None, "c01")
    await unclaimed(store, DEPLOYMENTS, "web")
    await store.create(
        CLUSTER_PROPAGATION_POLICIES, policy("c02", selectors, ["member2"], cluster_scoped=True)
    )
    binding = await placed(store, RESOURCE_BINDINGS, "web-deployment", {"member2": 2})
    assert binding["metadata"]["annotations"][CPP_NAME_ANNOTATION] == "c02"
    assert binding["metadata"]["uid"] == first["metadata"]["uid"], "the same binding moves"


async def test_permanent_ids_as_karmada_writes_them(store: ObjectStore, scheduler: Running) -> None:
    """propagationpolicy_test.go, "update policy propagateDeps": the binding is found by
    the policy's `propagationpolicy.karmada.io/permanent-id`; the template carries the same
    label, the binding its own `resourcebinding.karmada.io/permanent-id` (UUIDs, webhook
    `mutating.go`); a cluster-scoped template's ClusterResourceBinding gets
    `clusterresourcebinding.karmada.io/permanent-id` and the CPP's id."""
    await seed(store)
    idle = await store.create(
        PROPAGATION_POLICIES, policy("idle", [by_name("Deployment", "none")], ["member1"])
    )
    assert PP_PERMANENT_ID_LABEL not in (idle["metadata"].get("labels") or {})
    await store.create(DEPLOYMENTS, deployment("web"))
    await store.create(
        PROPAGATION_POLICIES, policy("web", [by_name("Deployment", "web")], ["member1"])
    )
    binding = await placed(store, RESOURCE_BINDINGS, "web-deployment", {"member1": 2})
    stored = await store.get(PROPAGATION_POLICIES, "default", "web")
    policy_id = stored["metadata"]["labels"][PP_PERMANENT_ID_LABEL]
    assert UUID.match(policy_id) and policy_id != stored["metadata"]["uid"]
    template = await store.get(DEPLOYMENTS, "default", "web")
    assert template["metadata"]["labels"][PP_PERMANENT_ID_LABEL] == policy_id
    bindings = await store.list(RESOURCE_BINDINGS, namespace="default")
    derived = [
        b["metadata"]["name"]
        for b in bindings.items
        if b["metadata"]["labels"].get(PP_PERMANENT_ID_LABEL) == policy_id
    ]
    assert derived == ["web-deployment"]
    assert UUID.match(binding["metadata"]["labels"][RB_PERMANENT_ID_LABEL])

    async def labelled() -> Object | None:
        idle = await store.get(PROPAGATION_POLICIES, "default", "idle")
        return (
            idle if UUID.match(idle["metadata"]["labels"].get(PP_PERMANENT_ID_LABEL, "")) else None
        )

    await wait_for(labelled, what="a policy that selects nothing gets its id too")

    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "foos.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"plural": "foos", "singular": "foo", "kind": "Foo", "listKind": "FooList"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                }
            ],
        },
    }
    await store.create(CUSTOM_RESOURCE_DEFINITIONS, crd)
    crd_selector = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "name": "foos.example.com",
    }
    await store.create(
        CLUSTER_PROPAGATION_POLICIES,
        policy("crd", [crd_selector], ["member1"], cluster_scoped=True),
    )

    async def cluster_binding() -> Object | None:
        found = await get_or_none(
            store, CLUSTER_RESOURCE_BINDINGS, None, "foos.example.com-customresourcedefinition"
        )
        return found if found and CPP_PERMANENT_ID_LABEL in found["metadata"]["labels"] else None

    crb = await wait_for(cluster_binding, what="the CRD's ClusterResourceBinding")
    cpp = await store.get(CLUSTER_PROPAGATION_POLICIES, None, "crd")
    assert (
        crb["metadata"]["labels"][CPP_PERMANENT_ID_LABEL]
        == (cpp["metadata"]["labels"][CPP_PERMANENT_ID_LABEL])
    )
    assert UUID.match(crb["metadata"]["labels"][CRB_PERMANENT_ID_LABEL])
    assert RB_PERMANENT_ID_LABEL not in crb["metadata"]["labels"]


async def test_high_priority_policy_preempts_then_deletion_hands_back(
    store: ObjectStore, scheduler: Running
) -> None:
    """preemption_test.go, "Propagate the deployment with the low-priority
    PropagationPolicy and then create the high-priority PropagationPolicy to preempt it",
    and "Propagate the deployment with the ClusterPropagationPolicy and then create the
    PropagationPolicy to preempt it"."""
    await seed(store)
    await store.create(DEPLOYMENTS, deployment("web"))
    await store.create(DEPLOYMENTS, deployment("api"))
    selectors = [by_name("Deployment", "web")]
    await store.create(PROPAGATION_POLICIES, policy("web-low", selectors, ["member1"], priority=5))
    await placed(store, RESOURCE_BINDINGS, "web-deployment", {"member1": 2})
    await store.create(
        PROPAGATION_POLICIES,
        policy("web-high", selectors, ["member2"], priority=10, preemption="Always"),
    )
    await placed(store, RESOURCE_BINDINGS, "web-deployment", {"member2": 2})
    await claimed_by(store, DEPLOYMENTS, "web", "web-high")

    await store.delete(PROPAGATION_POLICIES, "default", "web-high")
    await placed(store, RESOURCE_BINDINGS, "web-deployment", {"member1": 2})
    await claimed_by(store, DEPLOYMENTS, "web", "web-low")

    api = [by_name("Deployment", "api")]
    await store.create(
        CLUSTER_PROPAGATION_POLICIES, policy("api", api, ["member1"], cluster_scoped=True)
    )
    await placed(store, RESOURCE_BINDINGS, "api-deployment", {"member1": 2})
    await store.create(PROPAGATION_POLICIES, policy("api", api, ["member3"], preemption="Always"))
    binding = await placed(store, RESOURCE_BINDINGS, "api-deployment", {"member3": 2})
    assert CPP_NAME_ANNOTATION not in binding["metadata"]["annotations"]
    assert CPP_PERMANENT_ID_LABEL not in binding["metadata"]["labels"]
    template = await claimed_by(store, DEPLOYMENTS, "api", "api")
    assert CPP_NAME_ANNOTATION not in template["metadata"]["annotations"]
