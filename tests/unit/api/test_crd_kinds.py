"""CRDs turned into kinds below the REST layer, so a planner without a server agrees with it."""

from typing import Any

import pytest

from shared.api.crd_kinds import InvalidCrdError, checked_crd_kinds
from shared.api.kind_table import HUB_KINDS, KUBERNETES_KINDS, Kind, find_kind
from shared.kubeapi.registry import hub_registry, member_registry
from shared.placement.planning import member_kinds_with_crds


def crd(plural: str, group: str, *versions: str, kind: str = "Widget") -> dict[str, Any]:
    served = [
        {"name": name, "served": True, "storage": position == 0}
        for position, name in enumerate(versions or ("v1",))
    ]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": plural, "kind": kind},
            "versions": served,
        },
    }


def keyed(kinds: list[Kind]) -> list[tuple[str, str, str, str]]:
    return [(k.group, k.version, k.plural, k.kind) for k in kinds]


def test_find_kind_answers_as_the_hub_registry_does() -> None:
    hub = hub_registry()
    for kind in HUB_KINDS:
        assert find_kind(HUB_KINDS, kind.resource.api_version, kind.kind) is hub.by_kind(
            kind.resource.api_version, kind.kind
        )
    assert find_kind(HUB_KINDS, "example.com/v1", "Widget") is None


def test_a_crd_cannot_take_over_a_builtin_kind() -> None:
    served = {(k.group, k.version, k.plural): k for k in KUBERNETES_KINDS}
    with pytest.raises(InvalidCrdError) as error:
        checked_crd_kinds(
            crd("ingresses", "networking.k8s.io"),
            known=lambda group, version, plural: served.get((group, version, plural)),
        )
    assert (error.value.field, error.value.message) == (
        "spec.group",
        "ingresses.networking.k8s.io is built in",
    )


@pytest.mark.parametrize(
    "crds",
    [
        [],
        [crd("widgets", "example.com", "v1", "v1beta1")],
        [crd("widgets", "example.com", "v1"), crd("gadgets", "example.com", "v2", kind="Gadget")],
        [crd("widgets", "example.com", "v1", "v1beta1"), crd("widgets", "example.com", "v2")],
    ],
)
def test_planning_serves_what_a_member_registry_would(crds: list[dict[str, Any]]) -> None:
    registry = member_registry()
    for document in crds:
        registry.register_crd(document)
    documents = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}, *crds]
    assert keyed(member_kinds_with_crds(documents)) == keyed(registry.kinds())


def test_planning_refuses_a_crd_the_api_server_refuses() -> None:
    with pytest.raises(InvalidCrdError) as error:
        member_kinds_with_crds([crd("widgets", "nodot")])
    assert error.value.field == "spec.group"
