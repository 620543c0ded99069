"""The Ready condition, derived once per reconcile for both objects that show it.

The health tracker (`health.HealthTracker`) owns the verdict from the probes: Karmada's
Cluster Ready condition. `derive_readiness` turns it, with what the session knows, into
the Cluster's condition and the AttachedCluster's (the same verdict, or why there is
none), so the two objects never disagree; a transition is announced once the Cluster
holds it (`ready_changed`).
"""

from dataclasses import dataclass

from services.fleet_manager.observations import MemberObservations
from shared.api.fleet import AttachedClusterStatus
from shared.api.meta import Condition
from shared.members.client import MemberError

CREDENTIAL_REASONS = ("InvalidKubeconfig", "Unauthorized")
REASON_UNREACHABLE = "Unreachable"
REASON_CONNECTING = "Connecting"
MESSAGE_CONNECTING = "waiting for the first health probe"


@dataclass(frozen=True)
class Readiness:
    cluster: Condition | None
    """The Karmada Cluster's Ready condition; None before any verdict."""
    attached: Condition
    """The AttachedCluster's Ready condition (its transition time is set when written)."""


def derive_readiness(
    member: MemberObservations | None,
    *,
    stored: Condition | None,
    failure: MemberError | None,
) -> Readiness:
    """`member` is the live session's snapshot, None when there is no session (`failure`
    then says why). Until a probe gives a verdict, the one `stored` on the Cluster stands:
    the session's tracker starts from it too."""
    probed = member.ready if member is not None else None
    verdict = probed if probed is not None else stored
    problem = failure or (member.last_error if member is not None else None)
    offline = member is not None and not member.online
    return Readiness(
        cluster=verdict, attached=attached_condition(verdict, problem=problem, offline=offline)
    )


def attached_condition(
    verdict: Condition | None, *, problem: MemberError | None, offline: bool
) -> Condition:
    """The same verdict, unless the credentials are refused, the member cannot be reached
    any more, or there is no verdict yet."""
    if problem is not None and problem.reason in CREDENTIAL_REASONS:
        return Condition(
            type="Ready", status="False", reason=problem.reason, message=problem.message
        )
    if verdict is None:
        return Condition(
            type="Ready", status="Unknown", reason=REASON_CONNECTING, message=MESSAGE_CONNECTING
        )
    if offline and verdict.status == "False":
        return Condition(
            type="Ready", status="False", reason=REASON_UNREACHABLE, message=verdict.message
        )
    return Condition(
        type="Ready", status=verdict.status, reason=verdict.reason, message=verdict.message
    )


def ready_changed(previous: Condition | None, current: Condition | None) -> bool:
    """The Cluster's Ready verdict changed (status or reason, as the tracker counts it)."""
    if current is None:
        return False
    return previous is None or (previous.status, previous.reason) != (
        current.status,
        current.reason,
    )


def attached_status(
    current: AttachedClusterStatus, condition: Condition, *, version: str | None, now: str
) -> AttachedClusterStatus:
    """The AttachedCluster's status: `condition` keeps its transition time while it says
    the same as the one already written."""
    previous = next((c for c in current.conditions if c.type == "Ready"), None)
    if previous is not None and (previous.status, previous.reason, previous.message) == (
        condition.status,
        condition.reason,
        condition.message,
    ):
        written = previous
    else:
        written = condition.model_copy(update={"last_transition_time": now})
    return AttachedClusterStatus(
        ready=written.status == "True", conditions=[written], kubernetes_version=version
    )
