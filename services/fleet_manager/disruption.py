"""The fleet-wide disruption guard: Kubernetes' ComputeZoneState with the fleet as one zone.

When most clusters turn NotReady at once, the hub or its network is the likelier culprit
than the members, so failover would only pile every workload onto the few clusters left.
Like the node lifecycle controller (`--unhealthy-zone-threshold` 0.55, and more than two
unhealthy nodes before a partial disruption counts), the fleet-manager then withholds the
NoExecute taints that the scheduler evicts on; NoSchedule stays.

Health probes are debounced per cluster and not in step, so one outage turns clusters
NotReady up to a probe period apart. A cluster whose latest probe failed therefore counts
as unhealthy already: the first cluster to turn NotReady in a fleet-wide outage sees the
others failing and pauses evictions, instead of being failed over alone.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from shared.api.meta import Condition


class FleetHealthState(StrEnum):
    NORMAL = "Normal"
    PARTIAL_DISRUPTION = "PartialDisruption"
    FULL_DISRUPTION = "FullDisruption"


@dataclass(frozen=True)
class ClusterHealth:
    """What the fleet-manager knows of one member: its Ready status and its latest probe."""

    ready: bool | None
    """The Ready condition: True, False, or None before the first verdict."""
    probe_failing: bool = False

    @property
    def unhealthy(self) -> bool:
        return self.ready is False or self.probe_failing


def cluster_health(ready: Condition | None, *, probe_failing: bool = False) -> ClusterHealth:
    return ClusterHealth(
        ready=None if ready is None else ready.status == "True", probe_failing=probe_failing
    )


@dataclass(frozen=True)
class FleetHealth:
    state: FleetHealthState
    unhealthy: int
    total: int

    @property
    def evictions_paused(self) -> bool:
        return self.state is not FleetHealthState.NORMAL


def fleet_health(
    clusters: Iterable[ClusterHealth], *, unhealthy_threshold: float, minimum_unhealthy: int
) -> FleetHealth:
    """Normal unless a cluster is NotReady and every known one is unhealthy (full), or at
    least `minimum_unhealthy` and `unhealthy_threshold` of them are (partial)."""
    known = [c for c in clusters if c.ready is not None or c.probe_failing]
    unhealthy = sum(1 for c in known if c.unhealthy)
    total = len(known)
    state = FleetHealthState.NORMAL
    if any(c.ready is False for c in known):
        if unhealthy == total:
            state = FleetHealthState.FULL_DISRUPTION
        elif unhealthy >= minimum_unhealthy and unhealthy / total >= unhealthy_threshold:
            state = FleetHealthState.PARTIAL_DISRUPTION
    return FleetHealth(state=state, unhealthy=unhealthy, total=total)


def disruption_message(*, before: FleetHealthState, after: FleetHealth, threshold: float) -> str:
    """The log line and Event message of a state change, in the node lifecycle
    controller's words (its master disruption mode is our full disruption)."""
    counts = f"{after.unhealthy} of {after.total} Clusters are not-Ready"
    if after.state is FleetHealthState.FULL_DISRUPTION:
        return (
            "Controller detected that all Clusters are not-Ready. "
            "Entering master disruption mode: evictions paused"
        )
    if after.state is FleetHealthState.PARTIAL_DISRUPTION:
        return (
            f"Controller detected that {counts} (threshold {threshold:g}). "
            "Entering disruption mode: evictions paused"
        )
    if before is FleetHealthState.FULL_DISRUPTION:
        return (
            "Controller detected that some Clusters are Ready. "
            "Exiting master disruption mode: evictions resumed"
        )
    return f"Controller detected that {counts}. Exiting disruption mode: evictions resumed"
