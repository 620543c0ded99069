"""Which store collection holds a kind: the hub's API registry, CRDs included.

Policies select templates by (apiVersion, kind); the store keys objects by plural.group.
`RegistryResolver` answers from `shared.kubeapi.registry` (the static kind table of
`shared.api.kind_table`) and registers the CustomResourceDefinitions the service watches,
so a kind whose CRD is created later becomes schedulable. The collections the scheduler
itself reads and writes come from `shared.api.kinds`.
"""

import logging
from typing import Protocol, runtime_checkable

from shared.api.crd_kinds import InvalidCrdError
from shared.api.kinds import (
    APPS_DISTRIBUTION_POLICIES,
    CLUSTER_PROPAGATION_POLICIES,
    CLUSTER_RESOURCE_BINDINGS,
    CUSTOM_RESOURCE_DEFINITIONS,
    DISTRIBUTION_POLICIES,
    FLEETS,
    KARMADA_CONFIGS,
    PROPAGATION_POLICIES,
    RESOURCE_BINDINGS,
)
from shared.api.kinds import KARMADA_CLUSTERS as CLUSTERS
from shared.api.resources import ResourceType
from shared.kubeapi.registry import Registry, hub_registry
from shared.runtime.informing import InformerEvent

__all__ = [
    "APPS_DISTRIBUTION_POLICIES",
    "CLUSTERS",
    "CLUSTER_PROPAGATION_POLICIES",
    "CLUSTER_RESOURCE_BINDINGS",
    "CUSTOM_RESOURCE_DEFINITIONS",
    "DISTRIBUTION_POLICIES",
    "FLEETS",
    "KARMADA_CONFIGS",
    "PROPAGATION_POLICIES",
    "RESOURCE_BINDINGS",
    "CrdAware",
    "RegistryResolver",
    "ResourceResolver",
]

log = logging.getLogger(__name__)


class ResourceResolver(Protocol):
    """What the scheduler needs from an API registry: the collection of a kind, if known."""

    def resolve(self, api_version: str, kind: str) -> ResourceType | None: ...


@runtime_checkable
class CrdAware(Protocol):
    """A resolver that learns kinds from the CustomResourceDefinitions the service watches."""

    def observe_crd(self, event: InformerEvent) -> None: ...


class RegistryResolver:
    """The hub registry, kept current with the CRDs in the store (one per process)."""

    def __init__(self, registry: Registry | None = None) -> None:
        self._registry = registry or hub_registry()
        self._cache: dict[tuple[str, str], ResourceType | None] = {}

    def resolve(self, api_version: str, kind: str) -> ResourceType | None:
        key = (api_version, kind)
        if key not in self._cache:
            found = self._registry.by_kind(api_version, kind)
            self._cache[key] = found.resource if found is not None else None
        return self._cache[key]

    def observe_crd(self, event: InformerEvent) -> None:
        name = event.object["metadata"]["name"]
        self._cache.clear()
        if event.type == "DELETED":
            self._registry.unregister_crd(name)
            return
        try:
            self._registry.register_crd(event.object)
        except InvalidCrdError as error:
            log.warning("ignoring CustomResourceDefinition %s: %s", name, error)
