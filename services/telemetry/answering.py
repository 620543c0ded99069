"""Answer one forwarded request from the members: pick them, ask them in parallel, merge.

The aggregated server's side of kube-aggregator: discovery of `metrics.k8s.io/v1beta1`
(what metrics-server serves) and `custom.metrics.k8s.io/v1beta2` (the union of what the
members' adapters serve), node and pod metrics and the fleet's nodes merged across members,
custom metric values relayed to the members that serve them. Errors are Kubernetes
Statuses; members left out are `Warning` texts on an otherwise complete answer.
"""

import logging
from typing import Any, Protocol

import orjson

from services.telemetry.fanning import fan_out
from services.telemetry.merging import merged_list, resource_of, single, warnings
from services.telemetry.querying import (
    CUSTOM_METRICS_GROUP,
    CUSTOM_METRICS_VERSION,
    METRICS_GROUP,
    METRICS_VERSION,
    CustomMetricQuery,
    ObjectQuery,
    ResourceListQuery,
    parse_query,
)
from services.telemetry.selecting import (
    MemberState,
    Placement,
    forwardable_selector,
    select_members,
)
from shared.api.aggregated import AggregatedRequest, AggregatedResponse
from shared.kubeapi import statuses
from shared.kubeapi.listing import parse_field_selector, parse_labels
from shared.kubeapi.registry import Kind
from shared.members.client import MemberClient, resource_path

log = logging.getLogger(__name__)

Object = dict[str, Any]
READ_VERBS = ["get", "list"]
CUSTOM_METRICS_GROUP_VERSION = f"{CUSTOM_METRICS_GROUP}/{CUSTOM_METRICS_VERSION}"


class FleetView(Protocol):
    """What answering needs from the service: members, placements, member clients."""

    def members(self) -> list[MemberState]: ...

    def placements(self) -> list[Placement]: ...

    def client(self, cluster: str) -> MemberClient | None: ...


def metrics_resource_list() -> Object:
    """What metrics-server answers for `/apis/metrics.k8s.io/v1beta1`."""
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{METRICS_GROUP}/{METRICS_VERSION}",
        "resources": [
            {
                "name": "nodes",
                "singularName": "",
                "namespaced": False,
                "kind": "NodeMetrics",
                "verbs": READ_VERBS,
            },
            {
                "name": "pods",
                "singularName": "",
                "namespaced": True,
                "kind": "PodMetrics",
                "verbs": READ_VERBS,
            },
        ],
    }


def custom_resource_list(per_cluster: dict[str, Object]) -> Object:
    """The union of the members' custom metrics (by name), empty when none serves any."""
    resources: dict[str, Object] = {}
    for listing in per_cluster.values():
        for resource in listing.get("resources") or []:
            resources.setdefault(resource["name"], resource)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": CUSTOM_METRICS_GROUP_VERSION,
        "resources": [resources[name] for name in sorted(resources)],
    }


def metric_not_found(query: CustomMetricQuery) -> statuses.ApiError:
    """custom-metrics-apiserver's NewMetricNotFoundError wording."""
    return statuses.ApiError(
        404,
        "NotFound",
        f"the server could not find the metric {query.metric} for {query.resource}",
    )


def _encoded(status: int, body: Object, *, notes: list[str]) -> tuple[AggregatedResponse, bytes]:
    return AggregatedResponse(status=status, warnings=notes), orjson.dumps(body)


def _member_path(query: ObjectQuery, *, name: str | None) -> str:
    if query.api == "core":
        return resource_path(group="", version="v1", plural="nodes", name=name)
    return resource_path(
        group=METRICS_GROUP,
        version=METRICS_VERSION,
        plural=query.resource,
        namespace=query.namespace,
        name=name,
    )


class Answerer:
    def __init__(self, view: FleetView, *, member_timeout_s: float) -> None:
        self._view = view
        self._timeout = member_timeout_s

    async def answer(self, request: AggregatedRequest) -> tuple[AggregatedResponse, bytes]:
        """The response to one request; never raises for bad input (a Status instead)."""
        try:
            query = parse_query(request)
            if isinstance(query, ResourceListQuery):
                return await self._resource_list(query)
            if isinstance(query, CustomMetricQuery):
                return await self._custom_metric(query)
            return await self._objects(query)
        except statuses.ApiError as error:
            return _encoded(error.code, error.status(), notes=[])

    def _client(self, cluster: str) -> MemberClient:
        client = self._view.client(cluster)
        if client is None:
            raise LookupError(cluster)
        return client

    async def _get(self, cluster: str, path: str, query: list[tuple[str, str]]) -> Object:
        try:
            client = self._client(cluster)
        except LookupError:
            return {}
        return await client.request("GET", path, query=query)

    async def _resource_list(self, query: ResourceListQuery) -> tuple[AggregatedResponse, bytes]:
        if query.group == METRICS_GROUP:
            return _encoded(200, metrics_resource_list(), notes=[])
        members = [m for m in self._view.members() if m.serves_custom_metrics]
        selection = select_members(
            ObjectQuery(api="metrics", resource="nodes"),
            selector=parse_labels(None),
            members=members,
            placements=[],
        )
        path = f"/apis/{CUSTOM_METRICS_GROUP_VERSION}"
        outcome = await fan_out(
            selection.ask, lambda cluster: self._get(cluster, path, []), timeout=self._timeout
        )
        notes = warnings({**selection.left_out, **outcome.failures})
        return _encoded(200, custom_resource_list(outcome.results), notes=notes)

    async def _custom_metric(self, query: CustomMetricQuery) -> tuple[AggregatedResponse, bytes]:
        members = [m for m in self._view.members() if m.serves_custom_metrics]
        selection = select_members(
            ObjectQuery(api="metrics", resource="nodes"),
            selector=parse_labels(None),
            members=members,
            placements=[],
        )
        outcome = await fan_out(
            selection.ask,
            lambda cluster: self._get(cluster, query.path, query.query),
            timeout=self._timeout,
        )
        notes = warnings({**selection.left_out, **outcome.failures})
        if not outcome.results:
            error = metric_not_found(query)
            return _encoded(error.code, error.status(), notes=notes)
        items = [
            item
            for cluster in sorted(outcome.results)
            for item in outcome.results[cluster].get("items") or []
        ]
        first = next(iter(outcome.results.values()))
        body = {
            "kind": first.get("kind", "MetricValueList"),
            "apiVersion": first.get("apiVersion", CUSTOM_METRICS_GROUP_VERSION),
            "metadata": {},
            "items": items,
        }
        return _encoded(200, body, notes=notes)

    async def _objects(self, query: ObjectQuery) -> tuple[AggregatedResponse, bytes]:
        labels = parse_labels(query.label_selector)
        fields = parse_field_selector(query.field_selector, Kind(resource_of(query)))
        selection = select_members(
            query, selector=labels, members=self._view.members(), placements=self._view.placements()
        )
        if query.name is not None:
            path = _member_path(query, name=query.name)
            got = await fan_out(
                selection.ask, lambda cluster: self._get(cluster, path, []), timeout=self._timeout
            )
            notes = warnings({**selection.left_out, **got.failures})
            found = {cluster: item for cluster, item in got.results.items() if item}
            try:
                return _encoded(200, single(query, found), notes=notes)
            except statuses.ApiError as error:
                return _encoded(error.code, error.status(), notes=notes)
        path = _member_path(query, name=None)
        forwarded = forwardable_selector(query.label_selector, labels)
        parameters = [("labelSelector", forwarded)] if forwarded else []
        listed = await fan_out(
            selection.ask,
            lambda cluster: self._get(cluster, path, parameters),
            timeout=self._timeout,
        )
        per_cluster = {
            cluster: list(listing.get("items") or []) for cluster, listing in listed.results.items()
        }
        notes = warnings({**selection.left_out, **listed.failures})
        body = merged_list(query, per_cluster, labels=labels, fields=fields)
        return _encoded(200, body, notes=notes)
