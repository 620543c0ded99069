"""The collections the simulator's controllers read and write.

Taken from `shared.api.kinds` (the static kind table), so the controllers and the REST layer
agree on every flag (scope, status subresource) of the kinds they share.
"""

from shared.api.kinds import (
    CONFIGMAPS,
    DEPLOYMENTS,
    EVENTS,
    JOBS,
    LEASES,
    NAMESPACES,
    NODES,
    PODDISRUPTIONBUDGETS,
    PODS,
    REPLICASETS,
    SECRETS,
    SERVICES,
    STATEFULSETS,
)
from shared.api.resources import ResourceType

__all__ = [
    "CONFIGMAPS",
    "DEPENDENT_KINDS",
    "DEPLOYMENTS",
    "EVENTS",
    "JOBS",
    "LEASES",
    "NAMESPACES",
    "NODES",
    "OWNER_KINDS",
    "PODDISRUPTIONBUDGETS",
    "PODS",
    "REPLICASETS",
    "SECRETS",
    "SERVICES",
    "STATEFULSETS",
]

OWNER_KINDS: dict[str, ResourceType] = {
    resource.kind: resource for resource in (DEPLOYMENTS, REPLICASETS, STATEFULSETS, JOBS)
}
"""Kinds whose deletion the garbage collector follows to their dependents."""

DEPENDENT_KINDS: tuple[ResourceType, ...] = (REPLICASETS, PODS)
"""Kinds the simulator's controllers create with ownerReferences."""
