"""Template kinds: watched once when resolvable, pending until a CRD defines them."""

from typing import Any

from services.scheduler.resources import RegistryResolver
from services.scheduler.template_kinds import TemplateKinds, group_of
from shared.api.resources import ResourceType
from shared.runtime.informing import Informer, InformerEvent
from shared.store.memory import MemoryBackend
from shared.store.objects import ObjectStore

GADGETS_CRD: dict[str, Any] = {
    "metadata": {"name": "gadgets.kinds.example.dev"},
    "spec": {
        "group": "kinds.example.dev",
        "scope": "Namespaced",
        "names": {"plural": "gadgets", "kind": "Gadget"},
        "versions": [{"name": "v1", "served": True, "storage": True}],
    },
}


class Declared:
    """The kit's `informer` as the scheduler calls it: here, informers that never run."""

    def __init__(self) -> None:
        self.store = ObjectStore(MemoryBackend())
        self.resources: list[ResourceType] = []

    def __call__(self, resource: ResourceType) -> Informer:
        self.resources.append(resource)
        return Informer(self.store, resource)


def kinds(resolver: RegistryResolver, declared: Declared) -> TemplateKinds:
    return TemplateKinds(resolver=resolver, declare=declared, on_template=lambda _r, _e: None)


def test_a_known_kind_is_watched_once() -> None:
    declared = Declared()
    watched = kinds(RegistryResolver(), declared)
    watched.want("apps/v1", "Deployment")
    watched.want("apps/v1", "Deployment")
    assert [r.plural for r in declared.resources] == ["deployments"]
    assert not watched.pending


def test_skipped_groups_are_never_watched() -> None:
    declared = Declared()
    watched = kinds(RegistryResolver(), declared)
    watched.want("work.karmada.io/v1alpha2", "ResourceBinding")
    assert declared.resources == [] and not watched.pending
    assert group_of("v1") == "" and group_of("apps/v1") == "apps"


def test_a_kind_waits_for_its_crd_and_is_watched_when_it_appears() -> None:
    resolver = RegistryResolver()
    declared = Declared()
    watched = kinds(resolver, declared)
    watched.want("kinds.example.dev/v1", "Gadget")
    assert watched.pending == {("kinds.example.dev/v1", "Gadget")}
    assert declared.resources == []
    resolver.observe_crd(InformerEvent("ADDED", GADGETS_CRD))
    try:
        watched.retry_pending()
        assert [r.plural for r in declared.resources] == ["gadgets"]
        assert not watched.pending
    finally:
        resolver.observe_crd(InformerEvent("DELETED", GADGETS_CRD))
