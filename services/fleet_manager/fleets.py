"""A Fleet's status from the inventory: phase, ready counts and each member's state."""

from shared.api.cluster import Cluster
from shared.api.fleet import Fleet, FleetMemberStatus, FleetPhase, FleetStatus


def fleet_status(fleet: Fleet, clusters: dict[str, Cluster]) -> FleetStatus:
    """Ready when every member is Ready; a member that does not exist is reported, not fatal."""
    members: list[FleetMemberStatus] = []
    for member in fleet.spec.clusters:
        kind = member.kind or "Cluster"
        cluster = clusters.get(member.name)
        if cluster is None:
            members.append(
                FleetMemberStatus(
                    name=member.name,
                    kind=kind,
                    state="NotFound",
                    message=f'{kind} "{member.name}" not found',
                )
            )
            continue
        ready = cluster.condition("Ready")
        if ready is not None and ready.status == "True":
            members.append(FleetMemberStatus(name=member.name, kind=kind, state="Ready"))
        else:
            message = ready.message if ready else "health not yet known"
            members.append(
                FleetMemberStatus(name=member.name, kind=kind, state="NotReady", message=message)
            )
    ready_count = sum(1 for member in members if member.state == "Ready")
    phase: FleetPhase
    if fleet.metadata.deletion_timestamp:
        phase = "Terminating"
    elif all(member.state == "NotFound" for member in members):
        phase = "Pending"
    elif ready_count == len(members):
        phase = "Ready"
    else:
        phase = "NotReady"
    return FleetStatus(
        phase=phase,
        ready_clusters=ready_count,
        un_ready_clusters=len(members) - ready_count,
        clusters=members,
    )
