"""The Karmada Cluster object an AttachedCluster realises: labels, spec, taints and status
from what the session observed (pure), and the write that keeps the store so.

Labels come from the AttachedCluster and its Fleets plus the owner label; the health taints
follow the Ready verdict (NoExecute withheld while evictions are paused); the status carries
the verdict, the version, the API enablements and the capacity summaries.
"""

from collections.abc import Callable

from services.fleet_manager.health import HEALTH_TAINT_KEYS, health_taints, merge_taints
from services.fleet_manager.inventory import cluster_labels, cluster_spec
from services.fleet_manager.observations import MemberObservations
from services.fleet_manager.summarizing import GPU_PRODUCT_LABEL
from shared.api.cluster import CLUSTER_API_VERSION, Cluster, ClusterStatus
from shared.api.fleet import AttachedCluster, Fleet
from shared.api.kinds import KARMADA_CLUSTERS
from shared.api.meta import Condition, Taint
from shared.members.kubeconfigs import ATTACHED_LABEL, attached_label_value
from shared.runtime.writing import Writer
from shared.store.errors import AlreadyExistsError
from shared.store.objects import Object

StatusOf = Callable[[Object], Object]
"""The status the Cluster should have, given the stored object."""


def desired_labels(
    attached: AttachedCluster, *, fleets: list[Fleet], member: MemberObservations | None
) -> dict[str, str]:
    """The Cluster's labels: its owner, and the GPU product when the member has exactly one."""
    labels = cluster_labels(attached, fleets)
    labels[ATTACHED_LABEL] = attached_label_value(attached)
    summaries = member.summaries if member is not None else None
    if summaries is not None and len(summaries[2]) == 1:
        labels.setdefault(GPU_PRODUCT_LABEL, summaries[2][0].product)
    return labels


def desired_taints(
    attached: AttachedCluster,
    *,
    existing: Cluster | None,
    ready: Condition | None,
    now: str,
    evictions_paused: bool,
) -> list[Taint]:
    """The AttachedCluster's taints and the health taints, each keeping its timeAdded."""
    previous = {(t.key, t.effect): t for t in existing.spec.taints} if existing else {}
    configured = [previous.get((t.key, t.effect), t) for t in attached.spec.taints]
    kept_health = [t for t in previous.values() if t.key in HEALTH_TAINT_KEYS]
    return merge_taints(
        [*configured, *kept_health],
        health_taints(ready, now=now, evictions_paused=evictions_paused),
    )


def desired_cluster(
    name: str, *, labels: dict[str, str], taints: list[Taint], api_endpoint: str | None
) -> Object:
    spec = cluster_spec(labels, api_endpoint=api_endpoint)
    spec.taints = taints
    return {
        "apiVersion": CLUSTER_API_VERSION,
        "kind": "Cluster",
        "metadata": {"name": name, "labels": labels},
        "spec": spec.to_dict(),
    }


def cluster_status(
    base: ClusterStatus, *, member: MemberObservations | None, ready: Condition | None
) -> Object:
    """`base` with what the session knows and the Ready verdict; other conditions kept."""
    status = ClusterStatus.model_validate(base.to_dict())
    extension: dict[str, object] = {}
    if member is not None:
        if member.version:
            status.kubernetes_version = member.version
        if member.api_enablements is not None:
            status.api_enablements = member.api_enablements
        if member.summaries is not None:
            status.node_summary, status.resource_summary, products = member.summaries
            extension["gpuProducts"] = [product.to_dict() for product in products]
    if ready is not None:
        status.conditions = [c for c in status.conditions if c.type != "Ready"] + [ready]
    rendered = status.to_dict()
    rendered.update(extension)
    return rendered


def with_spec(desired: Object) -> Callable[[Object], Object]:
    """The change that gives a stored Cluster the desired labels and spec."""

    def change(current: Object) -> Object:
        metadata = dict(current["metadata"], labels=desired["metadata"]["labels"])
        return dict(current, metadata=metadata, spec=desired["spec"])

    return change


async def write_cluster(
    writer: Writer, *, existing: Object | None, desired: Object, status_of: StatusOf
) -> Cluster | None:
    """Create or update the Cluster, then its status; None when it vanished meanwhile.

    Conflicts are the writer's policy: the change is re-applied to the stored copy.
    """
    if existing is None:
        try:
            written: Object | None = await writer.create(KARMADA_CLUSTERS, desired)
        except AlreadyExistsError:
            written = await writer.store.get(KARMADA_CLUSTERS, None, desired["metadata"]["name"])
    else:
        written = await writer.change(KARMADA_CLUSTERS, existing, with_spec(desired))
    if written is None:
        return None
    if written.get("status") != status_of(written):
        written = await writer.change(
            KARMADA_CLUSTERS,
            written,
            lambda current: dict(current, status=status_of(current)),
            status=True,
        )
    return None if written is None else Cluster.model_validate(written)
