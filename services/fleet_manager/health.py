"""Cluster health from probes: Karmada's Ready condition wording, with a failure threshold.

A probe answers online (the API answered at all) and healthy (`/readyz`, or `/healthz`
where readyz is missing, said ok). One success marks a cluster Ready; `failure_threshold`
consecutive failures mark it not Ready. Not Ready clusters carry Karmada's taints with
both NoSchedule (nothing new lands there) and NoExecute (failover moves work away).
"""

from dataclasses import dataclass

from shared.api.cluster import TAINT_NOT_READY, TAINT_UNREACHABLE
from shared.api.meta import Condition, Taint

REASON_READY = "ClusterReady"
MESSAGE_READY = "cluster is healthy and ready to accept workloads"
REASON_NOT_READY = "ClusterNotReady"
MESSAGE_NOT_READY = "cluster is reachable but health endpoint responded without ok"
REASON_UNREACHABLE = "ClusterNotReachable"
MESSAGE_UNREACHABLE = "cluster is not reachable"
HEALTH_TAINT_KEYS = (TAINT_NOT_READY, TAINT_UNREACHABLE)


@dataclass(frozen=True)
class ProbeOutcome:
    online: bool
    healthy: bool
    detail: str = ""


def ready_condition(outcome: ProbeOutcome, *, now: str) -> Condition:
    if not outcome.online:
        reason, message, status = REASON_UNREACHABLE, MESSAGE_UNREACHABLE, "False"
    elif not outcome.healthy:
        reason, message, status = REASON_NOT_READY, MESSAGE_NOT_READY, "False"
    else:
        reason, message, status = REASON_READY, MESSAGE_READY, "True"
    if outcome.detail and status == "False":
        message = f"{message}: {outcome.detail}"
    return Condition(
        type="Ready", status=status, reason=reason, message=message, last_transition_time=now
    )


class HealthTracker:
    """Debounces probe outcomes into Ready transitions; one tracker per cluster."""

    def __init__(self, *, failure_threshold: int = 3, current: Condition | None = None) -> None:
        self._failure_threshold = failure_threshold
        self._failures = 0
        self.condition = current

    def observe(self, outcome: ProbeOutcome, *, now: str) -> Condition | None:
        """The new Ready condition when it changes (status or reason), else None."""
        if outcome.online and outcome.healthy:
            self._failures = 0
        else:
            self._failures += 1
            already_failing = self.condition is not None and self.condition.status == "False"
            if self._failures < self._failure_threshold and not already_failing:
                return None
        candidate = ready_condition(outcome, now=now)
        if self.condition is not None and (
            self.condition.status,
            self.condition.reason,
        ) == (candidate.status, candidate.reason):
            return None
        self.condition = candidate
        return candidate


def health_taints(
    condition: Condition | None, *, now: str, evictions_paused: bool = False
) -> list[Taint]:
    """The taints health implies: none when Ready, not-ready or unreachable otherwise;
    without the NoExecute one while the fleet-wide disruption guard pauses evictions."""
    if condition is None or condition.status == "True":
        return []
    key = TAINT_UNREACHABLE if condition.reason == REASON_UNREACHABLE else TAINT_NOT_READY
    taints = [Taint(key=key, effect="NoSchedule", time_added=now)]
    if not evictions_paused:
        taints.append(Taint(key=key, effect="NoExecute", time_added=now))
    return taints


def merge_taints(existing: list[Taint], wanted_health: list[Taint]) -> list[Taint]:
    """Keep users' taints, replace health taints, and keep timeAdded of unchanged ones."""
    kept = [taint for taint in existing if taint.key not in HEALTH_TAINT_KEYS]
    previous = {(t.key, t.effect): t for t in existing if t.key in HEALTH_TAINT_KEYS}
    merged = list(kept)
    for taint in wanted_health:
        merged.append(previous.get((taint.key, taint.effect), taint))
    return merged
