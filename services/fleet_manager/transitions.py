"""A log line and an Event per Ready transition of a cluster, in Kubernetes' words, and the
`navarch.cluster.health.<cluster>` message that announces it.

Karmada records no Event for a cluster's Ready change; the node lifecycle controller's
`RecordNodeStatusChange` does for nodes (reason = the new status, "Node <name> status is
now: <status>", type Normal), so the fleet-manager does the same for clusters, with the
Ready condition's reason as the status.
"""

import logging

import orjson

from shared.api.meta import Condition
from shared.events.models import InvolvedObject
from shared.events.recording import EventRecorder

log = logging.getLogger(__name__)

CLUSTER_API_VERSION = "cluster.karmada.io/v1alpha1"


def cluster_reference(name: str, *, uid: str | None) -> InvolvedObject:
    return InvolvedObject(api_version=CLUSTER_API_VERSION, kind="Cluster", name=name, uid=uid)


def health_message(name: str, condition: Condition) -> bytes:
    """The payload of `navarch.cluster.health.<cluster>`: the cluster and its Ready condition."""
    return orjson.dumps({"cluster": name, **condition.to_dict()})


def status_change_message(name: str, condition: Condition) -> str:
    return f"Cluster {name} status is now: {condition.reason}"


def is_ready_transition(previous: Condition | None, condition: Condition) -> bool:
    """A change of Ready status; a first verdict counts only when it is not Ready."""
    if previous is None:
        return condition.status != "True"
    return previous.status != condition.status


def report_health_change(
    recorder: EventRecorder,
    cluster: InvolvedObject,
    *,
    previous: Condition | None,
    condition: Condition,
) -> None:
    """Log every change of the Ready condition; record an Event for a Ready transition."""
    log.log(
        logging.WARNING if condition.status != "True" else logging.INFO,
        "cluster health changed",
        extra={
            "cluster": cluster.name,
            "ready": condition.status,
            "reason": condition.reason,
            "detail": condition.message,
            "previous_ready": previous.status if previous else None,
            "previous_reason": previous.reason if previous else None,
        },
    )
    if is_ready_transition(previous, condition):
        recorder.record(
            cluster,
            type="Normal",
            reason=condition.reason,
            message=status_change_message(cluster.name, condition),
        )
