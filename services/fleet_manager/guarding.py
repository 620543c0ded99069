"""The fleet's health state over time: one log line per state change, one Event when
evictions pause or resume (the pure decision is `disruption.fleet_health`)."""

import logging
from collections.abc import Iterable

from services.fleet_manager.disruption import (
    ClusterHealth,
    FleetHealth,
    FleetHealthState,
    disruption_message,
    fleet_health,
)
from shared.events.models import InvolvedObject
from shared.events.recording import EventRecorder

log = logging.getLogger(__name__)

REASON_EVICTIONS_PAUSED = "EnteringDisruptionMode"
REASON_EVICTIONS_RESUMED = "ExitingDisruptionMode"


class DisruptionGuard:
    def __init__(
        self,
        *,
        recorder: EventRecorder,
        unhealthy_threshold: float,
        minimum_unhealthy: int,
    ) -> None:
        self._recorder = recorder
        self._threshold = unhealthy_threshold
        self._minimum = minimum_unhealthy
        self.health = FleetHealth(state=FleetHealthState.NORMAL, unhealthy=0, total=0)

    @property
    def evictions_paused(self) -> bool:
        return self.health.evictions_paused

    def assess(self, clusters: Iterable[ClusterHealth], *, trigger: InvolvedObject) -> bool:
        """Recompute the state; True when evictions paused or resumed, so every cluster's
        NoExecute taints must be rewritten. `trigger` is the cluster whose change led here."""
        before = self.health
        after = fleet_health(
            clusters, unhealthy_threshold=self._threshold, minimum_unhealthy=self._minimum
        )
        self.health = after
        if after.state is before.state:
            return False
        message = disruption_message(before=before.state, after=after, threshold=self._threshold)
        log.warning(
            message,
            extra={
                "state": after.state.value,
                "previous_state": before.state.value,
                "unhealthy": after.unhealthy,
                "total": after.total,
                "threshold": self._threshold,
                "cluster": trigger.name,
            },
        )
        if after.evictions_paused == before.evictions_paused:
            return False
        self._recorder.record(
            trigger,
            type="Warning" if after.evictions_paused else "Normal",
            reason=REASON_EVICTIONS_PAUSED if after.evictions_paused else REASON_EVICTIONS_RESUMED,
            message=message,
        )
        return True
