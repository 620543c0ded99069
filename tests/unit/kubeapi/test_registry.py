"""Which kinds a server serves, and how CRDs add and remove kinds."""

import pytest

from shared.api.crd_kinds import InvalidCrdError
from shared.kubeapi.registry import hub_registry, member_registry


def crd(plural: str = "widgets", group: str = "example.com", **extra: object) -> dict:
    spec = {
        "group": group,
        "scope": "Cluster",
        "names": {"plural": plural, "kind": "Widget", "shortNames": ["wd"]},
        "versions": [
            {"name": "v1beta1", "served": True, "storage": False},
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.size"}},
            },
        ],
        **extra,
    }
    return {"metadata": {"name": f"{plural}.{group}"}, "spec": spec}


def test_hub_serves_both_cluster_kinds_and_karmada_short_names() -> None:
    registry = hub_registry()
    karmada = registry.lookup("cluster.karmada.io", "v1alpha1", "clusters")
    kurator = registry.lookup("cluster.kurator.dev", "v1alpha1", "clusters")
    assert karmada is not None and kurator is not None and karmada.kind == kurator.kind == "Cluster"
    assert not karmada.namespaced
    pp = registry.by_kind("policy.karmada.io/v1alpha1", "PropagationPolicy")
    assert pp is not None and pp.resource.short_names == ("pp",) and not pp.builtin
    deployments = registry.lookup("apps", "v1", "deployments")
    assert deployments is not None and deployments.scale is not None and deployments.builtin


def test_member_registry_has_only_kubernetes_kinds() -> None:
    registry = member_registry()
    assert registry.lookup("policy.karmada.io", "v1alpha1", "propagationpolicies") is None
    assert "apps" in registry.groups() and "work.karmada.io" not in registry.groups()


def test_crd_registers_served_versions_storage_first_and_unregisters() -> None:
    registry = member_registry()
    kinds = registry.register_crd(crd())
    assert [k.version for k in kinds] == ["v1", "v1beta1"]
    assert registry.groups()["example.com"] == ["v1", "v1beta1"]
    v1 = registry.lookup("example.com", "v1", "widgets")
    assert v1 is not None and v1.resource.status_subresource and v1.scale is not None
    assert v1.scale.spec_replicas == ".spec.size" and not v1.namespaced
    registry.unregister_crd("widgets.example.com")
    assert registry.lookup("example.com", "v1", "widgets") is None


def test_crd_cannot_take_over_a_builtin_but_can_shadow_a_known_custom_kind() -> None:
    registry = hub_registry()
    ingress_crd = crd(plural="ingresses", group="networking.k8s.io")
    with pytest.raises(InvalidCrdError) as error:
        registry.register_crd(ingress_crd)
    assert "built in" in error.value.message
    original = registry.lookup("policy.karmada.io", "v1alpha1", "propagationpolicies")
    pp_crd = crd(plural="propagationpolicies", group="policy.karmada.io")
    pp_crd["spec"]["versions"] = [{"name": "v1alpha1", "served": True, "storage": True}]
    registry.register_crd(pp_crd)
    assert registry.lookup("policy.karmada.io", "v1alpha1", "propagationpolicies") is not original
    registry.unregister_crd("propagationpolicies.policy.karmada.io")
    assert registry.lookup("policy.karmada.io", "v1alpha1", "propagationpolicies") is original


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda c: c["metadata"].update(name="wrong"), "metadata.name"),
        (lambda c: c["spec"].update(group="nodot"), "spec.group"),
        (lambda c: c["spec"].update(scope="Galaxy"), "spec.scope"),
        (lambda c: c["spec"]["versions"][0].update(storage=True), "spec.versions"),
    ],
)
def test_invalid_crds_name_the_field(mutate, field: str) -> None:  # type: ignore[no-untyped-def]
    bad = crd()
    mutate(bad)
    with pytest.raises(InvalidCrdError) as error:
        member_registry().register_crd(bad)
    assert error.value.field == field
