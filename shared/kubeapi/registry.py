"""The kinds a server serves: a family of the static kind table, plus CRDs added at run time.

A server is built from a chosen set (the hub serves all families of `shared.api.kind_table`,
the simulator only Kubernetes'), and `CustomResourceDefinition`s register further kinds while
it runs; deleting a CRD brings back the compiled-in kind it shadowed.
"""

from collections.abc import Iterable

from shared.api.crd_kinds import InvalidCrdError, checked_crd_kinds
from shared.api.kind_table import (
    BUNDLED_KINDS,
    CRD_GROUP_RESOURCE,
    KARMADA_KINDS,
    KUBERNETES_KINDS,
    KURATOR_KINDS,
    Kind,
    Object,
    find_kind,
)

__all__ = [
    "CRD_GROUP_RESOURCE",
    "InvalidCrdError",
    "Kind",
    "Registry",
    "hub_registry",
    "member_registry",
]


class Registry:
    """Kinds by (group, version, plural); group order is registration order, as discovery shows."""

    def __init__(self) -> None:
        self._kinds: dict[tuple[str, str, str], Kind] = {}
        self._crd_owned: dict[str, list[tuple[str, str, str]]] = {}
        self._shadowed: dict[tuple[str, str, str], Kind] = {}

    @classmethod
    def of(cls, *families: Iterable[Kind]) -> "Registry":
        registry = cls()
        for family in families:
            for kind in family:
                registry.add(kind)
        return registry

    def add(self, kind: Kind) -> None:
        self._kinds[(kind.group, kind.version, kind.plural)] = kind

    def kinds(self) -> list[Kind]:
        return list(self._kinds.values())

    def lookup(self, group: str, version: str, plural: str) -> Kind | None:
        return self._kinds.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> Kind | None:
        return find_kind(self._kinds.values(), api_version, kind)

    def namespace_kind(self) -> Kind | None:
        return self.lookup("", "v1", "namespaces")

    def groups(self) -> dict[str, list[str]]:
        """Group name -> served versions, preferred first (CRDs list them in preference order)."""
        out: dict[str, list[str]] = {}
        for group, version, _ in self._kinds:
            versions = out.setdefault(group, [])
            if version not in versions:
                versions.append(version)
        return out

    def in_group_version(self, group: str, version: str) -> list[Kind]:
        return [k for (g, v, _), k in self._kinds.items() if g == group and v == version]

    def namespaced_group_resources(self) -> list[Kind]:
        """One served version per namespaced collection: what namespace deletion must empty."""
        seen: dict[str, Kind] = {}
        for kind in self._kinds.values():
            if kind.namespaced:
                seen.setdefault(kind.resource.group_resource, kind)
        return list(seen.values())

    def check_crd(self, crd: Object) -> list[Kind]:
        """The kinds a CRD would serve; InvalidCrdError if unusable or clashing with a built-in."""
        return checked_crd_kinds(crd, known=self.lookup)

    def register_crd(self, crd: Object) -> list[Kind]:
        """Serve a CRD's versions (replacing what it served before).

        A CRD for a kind the server already knows (Karmada's and Kurator's CRDs on the hub)
        takes it over while it exists; deleting the CRD brings the compiled-in kind back.
        """
        name = crd["metadata"]["name"]
        self.unregister_crd(name)
        kinds = self.check_crd(crd)
        for kind in kinds:
            key = (kind.group, kind.version, kind.plural)
            if key in self._kinds:
                self._shadowed[key] = self._kinds[key]
            self.add(kind)
        self._crd_owned[name] = [(k.group, k.version, k.plural) for k in kinds]
        return kinds

    def unregister_crd(self, name: str) -> None:
        for key in self._crd_owned.pop(name, []):
            self._kinds.pop(key, None)
            if key in self._shadowed:
                self._kinds[key] = self._shadowed.pop(key)


def hub_registry() -> Registry:
    """What the hub gateway serves: Kubernetes built-ins, Karmada, Kurator and bundled kinds."""
    return Registry.of(KUBERNETES_KINDS, KARMADA_KINDS, KURATOR_KINDS, BUNDLED_KINDS)


def member_registry() -> Registry:
    """What a simulated member cluster serves: Kubernetes built-ins (and CRDs users add)."""
    return Registry.of(KUBERNETES_KINDS)
