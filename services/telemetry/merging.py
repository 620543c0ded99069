"""One answer from many members: each object marked with its cluster, selectors applied to
the merged set as one cluster would apply them, and the members left out named.

Objects of the same name from two clusters are both kept in a list (kubectl top shows
names only; the cluster label, `-l cluster.navarch.dev/name=...` and Karmada's
`resource.karmada.io/query-from-cluster` annotation tell them apart). A get by name that
finds the object in two clusters is a Conflict, in Karmada metrics-adapter's words.
"""

import copy
from typing import Any

from services.telemetry.querying import METRICS_GROUP, METRICS_VERSION, ObjectQuery
from shared.api.aggregated import CLUSTER_LABEL, QUERY_SOURCE_ANNOTATION
from shared.api.meta import LabelSelector
from shared.api.resources import ResourceType
from shared.kubeapi import statuses
from shared.kubeapi.listing import FieldSelector

Object = dict[str, Any]

POD_METRICS = ResourceType(
    group=METRICS_GROUP,
    version=METRICS_VERSION,
    plural="pods",
    kind="PodMetrics",
    singular="podmetrics",
    status_subresource=False,
)
NODE_METRICS = ResourceType(
    group=METRICS_GROUP,
    version=METRICS_VERSION,
    plural="nodes",
    kind="NodeMetrics",
    namespaced=False,
    singular="nodemetrics",
    status_subresource=False,
)
NODES = ResourceType(
    group="", version="v1", plural="nodes", kind="Node", namespaced=False, status_subresource=True
)
PODS = ResourceType(group="", version="v1", plural="pods", kind="Pod", status_subresource=True)
METRICS_SERVER_RESOURCES = {
    "pods": ResourceType(
        group=METRICS_GROUP, version=METRICS_VERSION, plural="podmetrics", kind="PodMetrics"
    ),
    "nodes": ResourceType(
        group=METRICS_GROUP,
        version=METRICS_VERSION,
        plural="nodemetrics",
        kind="NodeMetrics",
        namespaced=False,
    ),
}
"""The group resources metrics-server names in its errors (`podmetrics.metrics.k8s.io`)."""


def resource_of(query: ObjectQuery) -> ResourceType:
    if query.api == "core":
        return NODES
    return NODE_METRICS if query.resource == "nodes" else POD_METRICS


def mark(item: Object, cluster: str) -> Object:
    """A copy of `item` carrying its cluster as label and annotation."""
    marked = copy.copy(item)
    metadata = dict(item.get("metadata") or {})
    metadata["labels"] = {**(metadata.get("labels") or {}), CLUSTER_LABEL: cluster}
    metadata["annotations"] = {
        **(metadata.get("annotations") or {}),
        QUERY_SOURCE_ANNOTATION: cluster,
    }
    marked["metadata"] = metadata
    return marked


def _sort_key(item: Object) -> tuple[str, str, str]:
    metadata = item["metadata"]
    return (metadata.get("namespace") or "", metadata["name"], metadata["labels"][CLUSTER_LABEL])


def merged_list(
    query: ObjectQuery,
    per_cluster: dict[str, list[Object]],
    *,
    labels: LabelSelector,
    fields: FieldSelector,
) -> Object:
    """The list object for `query`: every cluster's items, marked, selected, sorted."""
    resource = resource_of(query)
    items = [
        marked
        for cluster, cluster_items in per_cluster.items()
        for marked in (mark(item, cluster) for item in cluster_items)
        if (query.namespace is None or marked["metadata"].get("namespace") == query.namespace)
        and labels.matches(marked["metadata"]["labels"])
        and fields.matches(marked)
    ]
    items.sort(key=_sort_key)
    metadata: Object = {"resourceVersion": ""} if query.api == "core" else {}
    return {
        "kind": f"{resource.kind}List",
        "apiVersion": resource.api_version,
        "metadata": metadata,
        "items": items,
    }


def not_found(query: ObjectQuery) -> statuses.ApiError:
    """metrics-server's NotFound (`podmetrics.metrics.k8s.io "ns/name"`), or the core one."""
    name = query.name or ""
    if query.api == "core":
        return statuses.not_found(NODES, name)
    if query.resource == "pods":
        name = f"{query.namespace}/{name}"
    return statuses.not_found(METRICS_SERVER_RESOURCES[query.resource], name)


def single(query: ObjectQuery, found: dict[str, Object]) -> Object:
    """The one object a get names; Conflict when two clusters hold it (Karmada's words)."""
    if not found:
        raise not_found(query)
    if len(found) > 1:
        kind = "pod" if query.resource == "pods" else "node"
        core = PODS if query.resource == "pods" else NODES
        name = query.name or ""
        raise statuses.conflict(
            core,
            name,
            f'Operation cannot be fulfilled on {core.group_resource} "{name}": '
            f"the {kind}({name}) found in more than one clusters",
        )
    cluster, item = next(iter(found.items()))
    return mark(item, cluster)


def warnings(left_out: dict[str, str]) -> list[str]:
    """One warning per member missing from the answer, naming it and why."""
    return [
        f'cluster "{cluster}" is left out of this answer: {reason}'
        for cluster, reason in sorted(left_out.items())
    ]
