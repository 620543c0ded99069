"""What a forwarded request asks for: its path and parameters read once, into a model.

The paths are the ones kube-aggregator hands an aggregated API server: the group-version's
resource list, `metrics.k8s.io` node and pod metrics (all namespaces, one namespace, one
object), `custom.metrics.k8s.io` lists and values, and reads of the fleet's nodes
(`/api/v1/nodes`). Anything else is 404; anything but a read is 405, as on metrics-server.
"""

from typing import Literal

from pydantic import BaseModel

from shared.api.aggregated import AggregatedRequest
from shared.kubeapi import statuses

METRICS_GROUP = "metrics.k8s.io"
METRICS_VERSION = "v1beta1"
CUSTOM_METRICS_GROUP = "custom.metrics.k8s.io"
CUSTOM_METRICS_VERSION = "v1beta2"

Api = Literal["metrics", "core"]
Resource = Literal["nodes", "pods"]


class ObjectQuery(BaseModel):
    """A list or get of node/pod metrics, or of the fleet's nodes."""

    api: Api
    resource: Resource
    namespace: str | None = None
    name: str | None = None
    label_selector: str = ""
    field_selector: str = ""


class ResourceListQuery(BaseModel):
    """The group-version's APIResourceList (discovery)."""

    group: str
    version: str


class CustomMetricQuery(BaseModel):
    """A `custom.metrics.k8s.io` value request, relayed as-is to the members that serve it."""

    path: str
    query: list[tuple[str, str]]
    resource: str
    metric: str


Query = ObjectQuery | ResourceListQuery | CustomMetricQuery


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _is_watch(request: AggregatedRequest) -> bool:
    return request.parameter("watch") in ("true", "1")


def _object_query(request: AggregatedRequest, *, api: Api, rest: list[str]) -> ObjectQuery | None:
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 2 or rest[0] not in ("nodes", "pods"):
        return None
    resource: Resource = "nodes" if rest[0] == "nodes" else "pods"
    if resource == "nodes" and namespace is not None:
        return None
    if api == "core" and resource != "nodes":
        return None
    name = rest[1] if len(rest) == 2 else None
    if resource == "pods" and name is not None and namespace is None:
        return None
    return ObjectQuery(
        api=api,
        resource=resource,
        namespace=namespace,
        name=name,
        label_selector=request.parameter("labelSelector"),
        field_selector=request.parameter("fieldSelector"),
    )


def _custom_metric_query(request: AggregatedRequest, rest: list[str]) -> CustomMetricQuery | None:
    """custom-metrics-apiserver's paths: `namespaces/<ns>/<resource>/<name or *>/<metric>`,
    `<resource>/<name or *>/<metric>` (cluster-scoped) and `namespaces/<ns>/metrics/<metric>`."""
    match rest:
        case ["namespaces", _, resource, _, metric]:
            pass
        case ["namespaces", _, "metrics", metric]:
            resource = "namespaces"
        case [resource, _, metric]:
            pass
        case _:
            return None
    return CustomMetricQuery(
        path=request.path, query=list(request.query), resource=resource, metric=metric
    )


def parse_query(request: AggregatedRequest) -> Query:
    """The query a forwarded request makes; ApiError (404, 405) when there is none."""
    segments = _segments(request.path)
    if request.method not in ("GET", "HEAD"):
        raise statuses.method_not_allowed(request.method, request.path)
    query: Query | None = None
    match segments:
        case ["api", "v1", *rest]:
            query = _object_query(request, api="core", rest=rest)
        case ["apis", group, version] if (group, version) in (
            (METRICS_GROUP, METRICS_VERSION),
            (CUSTOM_METRICS_GROUP, CUSTOM_METRICS_VERSION),
        ):
            query = ResourceListQuery(group=group, version=version)
        case ["apis", group, version, *rest] if (group, version) == (
            METRICS_GROUP,
            METRICS_VERSION,
        ):
            query = _object_query(request, api="metrics", rest=rest)
        case ["apis", group, version, *rest] if (group, version) == (
            CUSTOM_METRICS_GROUP,
            CUSTOM_METRICS_VERSION,
        ):
            query = _custom_metric_query(request, rest)
    if query is None:
        raise statuses.path_not_found(request.path)
    if _is_watch(request) and not isinstance(query, ResourceListQuery):
        raise statuses.method_not_allowed("WATCH", request.path)
    return query
