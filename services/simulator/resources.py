"""The collections the simulator's controllers read and write.

Taken from the REST layer's registry (`shared.kubeapi.registry`), so the controllers and
the server agree on every flag (scope, status subresource) of the kinds they share.
"""

from shared.api.resources import ResourceType
from shared.kubeapi.registry import KUBERNETES_KINDS

_BY_KIND: dict[str, ResourceType] = {kind.kind: kind.resource for kind in KUBERNETES_KINDS}

NAMESPACES = _BY_KIND["Namespace"]
NODES = _BY_KIND["Node"]
PODS = _BY_KIND["Pod"]
SERVICES = _BY_KIND["Service"]
CONFIGMAPS = _BY_KIND["ConfigMap"]
SECRETS = _BY_KIND["Secret"]
EVENTS = _BY_KIND["Event"]
DEPLOYMENTS = _BY_KIND["Deployment"]
REPLICASETS = _BY_KIND["ReplicaSet"]
STATEFULSETS = _BY_KIND["StatefulSet"]
JOBS = _BY_KIND["Job"]
PODDISRUPTIONBUDGETS = _BY_KIND["PodDisruptionBudget"]
LEASES = _BY_KIND["Lease"]

OWNER_KINDS: dict[str, ResourceType] = {
    resource.kind: resource for resource in (DEPLOYMENTS, REPLICASETS, STATEFULSETS, JOBS)
}
"""Kinds whose deletion the garbage collector follows to their dependents."""

DEPENDENT_KINDS: tuple[ResourceType, ...] = (REPLICASETS, PODS)
"""Kinds the simulator's controllers create with ownerReferences."""
