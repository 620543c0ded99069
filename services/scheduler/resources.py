"""Which store collection holds a kind: the hub's API registry, CRDs included.

Policies select templates by (apiVersion, kind); the store keys objects by plural.group.
`RegistryResolver` answers from `shared.kubeapi.registry` (built-in Kubernetes, Karmada,
Kurator and bundled kinds) and registers the CustomResourceDefinitions the service watches,
so a kind whose CRD is created later becomes schedulable.
"""

import logging
from typing import Protocol, runtime_checkable

from shared.api.resources import ResourceType
from shared.kubeapi.registry import InvalidCrdError, Registry, hub_registry
from shared.runtime.informing import InformerEvent

log = logging.getLogger(__name__)
_HUB = hub_registry()


def _known(api_version: str, kind: str, fallback: ResourceType | None = None) -> ResourceType:
    found = _HUB.by_kind(api_version, kind)
    if found is not None:
        return found.resource
    if fallback is None:
        raise LookupError(f"the hub registry has no {kind} {api_version}")
    return fallback


PROPAGATION_POLICIES = _known("policy.karmada.io/v1alpha1", "PropagationPolicy")
CLUSTER_PROPAGATION_POLICIES = _known("policy.karmada.io/v1alpha1", "ClusterPropagationPolicy")
DISTRIBUTION_POLICIES = _known("policy.kurator.dev/v1alpha1", "DistributionPolicy")
APPS_DISTRIBUTION_POLICIES = _known("apps.kurator.dev/v1alpha1", "DistributionPolicy")
CLUSTERS = _known("cluster.karmada.io/v1alpha1", "Cluster")
FLEETS = _known("fleet.kurator.dev/v1alpha1", "Fleet")
RESOURCE_BINDINGS = _known("work.karmada.io/v1alpha2", "ResourceBinding")
CLUSTER_RESOURCE_BINDINGS = _known("work.karmada.io/v1alpha2", "ClusterResourceBinding")
CUSTOM_RESOURCE_DEFINITIONS = _known("apiextensions.k8s.io/v1", "CustomResourceDefinition")
KARMADA_CONFIGS = _known(
    "karmada.io/v1alpha1",
    "KarmadaConfig",
    ResourceType(
        group="karmada.io",
        version="v1alpha1",
        plural="karmadaconfigs",
        kind="KarmadaConfig",
        namespaced=False,
        status_subresource=False,
    ),
)


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
