"""Forwarded paths read into queries, as kube-aggregator hands them to an aggregated server."""

import pytest

from services.telemetry.querying import (
    CustomMetricQuery,
    ObjectQuery,
    ResourceListQuery,
    parse_query,
)
from shared.api.aggregated import AggregatedRequest
from shared.kubeapi.statuses import ApiError


def request(path: str, *query: tuple[str, str], method: str = "GET") -> AggregatedRequest:
    return AggregatedRequest(method=method, path=path, query=list(query), user="admin")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/apis/metrics.k8s.io/v1beta1/nodes", ObjectQuery(api="metrics", resource="nodes")),
        (
            "/apis/metrics.k8s.io/v1beta1/nodes/n1",
            ObjectQuery(api="metrics", resource="nodes", name="n1"),
        ),
        ("/apis/metrics.k8s.io/v1beta1/pods", ObjectQuery(api="metrics", resource="pods")),
        (
            "/apis/metrics.k8s.io/v1beta1/namespaces/web/pods",
            ObjectQuery(api="metrics", resource="pods", namespace="web"),
        ),
        (
            "/apis/metrics.k8s.io/v1beta1/namespaces/web/pods/p1",
            ObjectQuery(api="metrics", resource="pods", namespace="web", name="p1"),
        ),
        ("/api/v1/nodes", ObjectQuery(api="core", resource="nodes")),
        ("/api/v1/nodes/n1", ObjectQuery(api="core", resource="nodes", name="n1")),
        (
            "/apis/metrics.k8s.io/v1beta1",
            ResourceListQuery(group="metrics.k8s.io", version="v1beta1"),
        ),
        (
            "/apis/custom.metrics.k8s.io/v1beta2",
            ResourceListQuery(group="custom.metrics.k8s.io", version="v1beta2"),
        ),
    ],
)
def test_paths_become_queries(path: str, expected: object) -> None:
    assert parse_query(request(path)) == expected


def test_selectors_are_kept() -> None:
    query = parse_query(
        request(
            "/apis/metrics.k8s.io/v1beta1/pods",
            ("labelSelector", "app=nginx"),
            ("fieldSelector", "metadata.name=p1"),
        )
    )
    assert isinstance(query, ObjectQuery)
    assert (query.label_selector, query.field_selector) == ("app=nginx", "metadata.name=p1")


@pytest.mark.parametrize(
    ("path", "resource", "metric"),
    [
        ("/apis/custom.metrics.k8s.io/v1beta2/namespaces/web/pods/*/qps", "pods", "qps"),
        ("/apis/custom.metrics.k8s.io/v1beta2/nodes/n1/temperature", "nodes", "temperature"),
        ("/apis/custom.metrics.k8s.io/v1beta2/namespaces/web/metrics/queue", "namespaces", "queue"),
    ],
)
def test_custom_metric_paths(path: str, resource: str, metric: str) -> None:
    query = parse_query(request(path))
    assert isinstance(query, CustomMetricQuery)
    assert (query.resource, query.metric, query.path) == (resource, metric, path)


@pytest.mark.parametrize(
    ("path", "method", "query", "code"),
    [
        ("/apis/metrics.k8s.io/v1beta1/namespaces/web/nodes", "GET", (), 404),
        ("/apis/metrics.k8s.io/v1beta1/services", "GET", (), 404),
        ("/apis/metrics.k8s.io/v1beta2/nodes", "GET", (), 404),
        ("/api/v1/pods", "GET", (), 404),
        ("/apis/metrics.k8s.io/v1beta1/nodes", "POST", (), 405),
        ("/apis/metrics.k8s.io/v1beta1/nodes/n1", "DELETE", (), 405),
        ("/apis/metrics.k8s.io/v1beta1/pods", "GET", (("watch", "true"),), 405),
    ],
)
def test_what_is_refused(path: str, method: str, query: tuple, code: int) -> None:
    with pytest.raises(ApiError) as refused:
        parse_query(request(path, *query, method=method))
    assert refused.value.code == code
