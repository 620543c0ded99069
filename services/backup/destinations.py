"""Which clusters a Backup, Restore or Migrate means, and how to reach each of them.

Kurator resolves `destination.fleet` in the object's namespace and narrows its members to
`destination.clusters` by exact `{kind, name}`. Navarch keeps every named member, ready or
not: a member that cannot be reached fails its own part with the reason, instead of
silently dropping out of the fleet's backup.
"""

from dataclasses import dataclass

from pydantic import ValidationError

from services.backup.models import Destination
from shared.api.fleet import AttachedCluster, Fleet
from shared.members.client import MemberError
from shared.members.kubeconfigs import ObjectLookup, kubeconfig_of_attached


@dataclass(frozen=True)
class Target:
    """One destination cluster: its kubeconfig, or why there is none."""

    name: str
    kind: str
    kubeconfig: str | None = None
    problem: str | None = None


class DestinationError(ValueError):
    """The destination names no usable fleet or names clusters outside it."""


def resolve_destination(
    destination: Destination,
    *,
    namespace: str,
    fleets: ObjectLookup,
    attached_clusters: ObjectLookup,
    secrets: ObjectLookup,
) -> list[Target]:
    raw_fleet = fleets.get(namespace, destination.fleet)
    if raw_fleet is None:
        raise DestinationError(f'fleet "{destination.fleet}" not found in namespace "{namespace}"')
    fleet = Fleet.model_validate(raw_fleet)
    members = [(member.kind or "Cluster", member.name) for member in fleet.spec.clusters]
    if destination.clusters:
        wanted = [(ref.kind or "Cluster", ref.name) for ref in destination.clusters]
        outside = [f"{kind}/{name}" for kind, name in wanted if (kind, name) not in members]
        if outside:
            raise DestinationError(
                f'clusters {", ".join(outside)} are not members of fleet "{destination.fleet}"'
            )
        members = wanted
    return [
        _target(kind, name, namespace=namespace, attached=attached_clusters, secrets=secrets)
        for kind, name in members
    ]


def _target(
    kind: str, name: str, *, namespace: str, attached: ObjectLookup, secrets: ObjectLookup
) -> Target:
    if kind != "AttachedCluster":
        return Target(name, kind, problem=f'cluster kind "{kind}" has no kubeconfig to reach')
    raw = attached.get(namespace, name)
    if raw is None:
        return Target(name, kind, problem=f'attachedcluster "{namespace}/{name}" not found')
    try:
        kubeconfig = kubeconfig_of_attached(AttachedCluster.model_validate(raw), secrets=secrets)
    except (MemberError, ValidationError) as error:
        return Target(name, kind, problem=str(error))
    return Target(name, kind, kubeconfig=kubeconfig)
