"""The Ready condition derived once for the Cluster and the AttachedCluster, and when a
transition is announced."""

import pytest

from services.fleet_manager.observations import MemberObservations
from services.fleet_manager.readiness import (
    attached_status,
    derive_readiness,
    ready_changed,
)
from shared.api.fleet import AttachedClusterStatus
from shared.api.meta import Condition
from shared.members.client import MemberError

READY = Condition(
    type="Ready", status="True", reason="ClusterReady", message="healthy", last_transition_time="t0"
)
UNREACHABLE = Condition(
    type="Ready",
    status="False",
    reason="ClusterNotReachable",
    message="cluster is not reachable: refused",
    last_transition_time="t1",
)
NOT_READY = Condition(
    type="Ready",
    status="False",
    reason="ClusterNotReady",
    message="sick",
    last_transition_time="t2",
)


def observed(
    ready: Condition | None, *, online: bool = True, error: MemberError | None = None
) -> MemberObservations:
    return MemberObservations(server="https://m", ready=ready, online=online, last_error=error)


@pytest.mark.parametrize(
    ("member", "stored", "failure", "cluster", "attached"),
    [
        pytest.param(
            observed(READY), None, None, READY, ("True", "ClusterReady", "healthy"), id="ready"
        ),
        pytest.param(
            observed(None),
            None,
            None,
            None,
            ("Unknown", "Connecting", "waiting for the first health probe"),
            id="no-probe-yet",
        ),
        pytest.param(
            observed(None),
            NOT_READY,
            None,
            NOT_READY,
            ("False", "ClusterNotReady", "sick"),
            id="no-probe-yet-the-stored-verdict-stands",
        ),
        pytest.param(
            observed(READY),
            UNREACHABLE,
            None,
            READY,
            ("True", "ClusterReady", "healthy"),
            id="a-probe-verdict-replaces-the-stored-one",
        ),
        pytest.param(
            observed(UNREACHABLE, online=False),
            None,
            None,
            UNREACHABLE,
            ("False", "Unreachable", "cluster is not reachable: refused"),
            id="offline",
        ),
        pytest.param(
            observed(NOT_READY),
            None,
            None,
            NOT_READY,
            ("False", "ClusterNotReady", "sick"),
            id="reachable-but-sick",
        ),
        pytest.param(
            observed(READY, error=MemberError("Unauthorized", "token refused")),
            None,
            None,
            READY,
            ("False", "Unauthorized", "token refused"),
            id="credentials-refused",
        ),
        pytest.param(
            observed(READY, error=MemberError("Error", "watch dropped")),
            None,
            None,
            READY,
            ("True", "ClusterReady", "healthy"),
            id="other-errors-do-not-count",
        ),
        pytest.param(
            None,
            UNREACHABLE,
            MemberError("InvalidKubeconfig", 'secret "s" not found'),
            UNREACHABLE,
            ("False", "InvalidKubeconfig", 'secret "s" not found'),
            id="no-session-keeps-the-stored-verdict",
        ),
        pytest.param(
            None,
            None,
            None,
            None,
            ("Unknown", "Connecting", "waiting for the first health probe"),
            id="nothing-known",
        ),
    ],
)
def test_one_derivation_for_both_objects(
    member: MemberObservations | None,
    stored: Condition | None,
    failure: MemberError | None,
    cluster: Condition | None,
    attached: tuple[str, str, str],
) -> None:
    readiness = derive_readiness(member, stored=stored, failure=failure)
    assert readiness.cluster == cluster
    condition = readiness.attached
    assert (condition.type, condition.status, condition.reason, condition.message) == (
        "Ready",
        *attached,
    )
    assert condition.last_transition_time == "", "the writer sets it"


@pytest.mark.parametrize(
    ("previous", "current", "changed"),
    [
        (None, None, False),
        (READY, None, False),
        (None, READY, True),
        (READY, READY, False),
        (READY, READY.model_copy(update={"message": "other words"}), False),
        (READY, UNREACHABLE, True),
        (UNREACHABLE, NOT_READY, True),
        (NOT_READY, READY, True),
    ],
)
def test_a_transition_is_a_change_of_status_or_reason(
    previous: Condition | None, current: Condition | None, changed: bool
) -> None:
    assert ready_changed(previous, current) is changed


def test_the_attached_status_keeps_the_transition_time_while_the_words_are_the_same() -> None:
    condition = Condition(type="Ready", status="True", reason="ClusterReady", message="healthy")
    first = attached_status(AttachedClusterStatus(), condition, version="v1.30.0", now="t5")
    assert first.ready is True
    assert first.kubernetes_version == "v1.30.0"
    assert [c.last_transition_time for c in first.conditions] == ["t5"]
    again = attached_status(first, condition, version="v1.30.0", now="t9")
    assert again == first
    changed = attached_status(
        first, condition.model_copy(update={"message": "other"}), version=None, now="t9"
    )
    assert (changed.ready, changed.conditions[0].last_transition_time) == (True, "t9")
    assert changed.kubernetes_version is None
    assert condition.last_transition_time == "", "the derived condition is not mutated"
