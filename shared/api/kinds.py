"""The collections Navarch's services read and write, taken from the API registry so each
kind is defined once (`shared/kubeapi/registry.py`)."""

from shared.api.resources import ResourceType
from shared.kubeapi.registry import hub_registry

_HUB = hub_registry()


def _resource(api_version: str, kind: str) -> ResourceType:
    found = _HUB.by_kind(api_version, kind)
    if found is None:
        raise LookupError(f"the hub registry has no {kind} in {api_version}")
    return found.resource


NAMESPACES = _resource("v1", "Namespace")
SECRETS = _resource("v1", "Secret")
CONFIGMAPS = _resource("v1", "ConfigMap")
EVENTS = _resource("v1", "Event")
KARMADA_CLUSTERS = _resource("cluster.karmada.io/v1alpha1", "Cluster")
ATTACHED_CLUSTERS = _resource("cluster.kurator.dev/v1alpha1", "AttachedCluster")
FLEETS = _resource("fleet.kurator.dev/v1alpha1", "Fleet")
