"""Which AttachedCluster owns a Karmada Cluster name: the Cluster object is one per name.

Karmada's Cluster is cluster-scoped, AttachedClusters are namespaced, so two namespaces can
ask for the same name. The oldest (creationTimestamp, then namespace/name) that is not
being deleted owns it; the rule reads only the store, so every restart picks the same one.
"""

from collections.abc import Iterable

from shared.api.fleet import AttachedCluster
from shared.api.meta import Condition
from shared.runtime.informing import ObjectKey

REASON_NAME_CONFLICT = "ClusterNameConflict"


def attached_key(attached: AttachedCluster) -> ObjectKey:
    return attached.metadata.namespace or "", attached.metadata.name


def name_owner(candidates: Iterable[AttachedCluster], name: str) -> ObjectKey | None:
    """The AttachedCluster that may write the Cluster `name`, or None when none may."""
    eligible = [
        attached
        for attached in candidates
        if attached.metadata.name == name and not attached.metadata.deletion_timestamp
    ]
    if not eligible:
        return None
    oldest = min(
        eligible,
        key=lambda a: (a.metadata.creation_timestamp or "", *attached_key(a)),
    )
    return attached_key(oldest)


def name_conflict_condition(name: str, owner: ObjectKey) -> Condition:
    """Ready=False on an AttachedCluster whose Cluster name another one already owns."""
    return Condition(
        type="Ready",
        status="False",
        reason=REASON_NAME_CONFLICT,
        message=f'Cluster "{name}" is already owned by AttachedCluster {owner[0]}/{owner[1]}; '
        "rename this AttachedCluster to attach it",
    )
