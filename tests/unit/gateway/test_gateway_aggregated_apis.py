"""The gateway's kube-aggregator pieces: what is forwarded, discovery entries, Warning headers."""

import re

import pytest
from aiohttp.test_utils import make_mocked_request

from services.gateway.aggregating import (
    CachedList,
    api_group,
    discovery_item,
    discovery_resources,
    forwarded,
    warning_header,
    with_groups,
)

# client-go's ParseWarningHeader: `299 - "quoted text"` with backslash escapes inside.
WARNING_RE = re.compile(r'^299 - "((?:[^"\\]|\\.)*)"$')


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/apis/metrics.k8s.io/v1beta1/nodes", True),
        ("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web", True),
        ("GET", "/apis/metrics.k8s.io/v1beta1", True),
        ("POST", "/apis/metrics.k8s.io/v1beta1/nodes", True),
        ("GET", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/a/pods/*/qps", True),
        ("GET", "/apis/metrics.k8s.io", False),
        ("GET", "/apis", False),
        ("GET", "/api/v1/nodes", True),
        ("GET", "/api/v1/nodes/cluster-a-node-0", True),
        ("GET", "/api/v1/nodes?watch=true", False),
        ("DELETE", "/api/v1/nodes/cluster-a-node-0", False),
        ("GET", "/api/v1/pods", False),
        ("GET", "/apis/apps/v1/deployments", False),
    ],
)
def test_what_telemetry_answers(method: str, path: str, expected: bool) -> None:
    assert forwarded(make_mocked_request(method, path)) is expected


@pytest.mark.parametrize(
    "text",
    [
        'cluster "cluster-dr" is left out of this answer: Server disconnected',
        "a plain reason",
        'back\\slash and "quotes"',
    ],
)
def test_warning_headers_parse_as_client_go_parses_them(text: str) -> None:
    header = warning_header(text)
    match = WARNING_RE.match(header)
    assert match is not None, header
    assert re.sub(r"\\(.)", r"\1", match.group(1)) == text


def test_the_group_list_gains_the_aggregated_groups_once() -> None:
    listing = {"kind": "APIGroupList", "apiVersion": "v1", "groups": [{"name": "apps"}]}
    merged = with_groups(with_groups(listing))
    names = [group["name"] for group in merged["groups"]]
    assert names == ["apps", "metrics.k8s.io", "custom.metrics.k8s.io"]
    assert api_group("metrics.k8s.io")["preferredVersion"] == {
        "groupVersion": "metrics.k8s.io/v1beta1",
        "version": "v1beta1",
    }


def test_resource_lists_become_aggregated_discovery_with_subresources() -> None:
    resource_list = {
        "groupVersion": "custom.metrics.k8s.io/v1beta2",
        "resources": [
            {"name": "pods/qps", "namespaced": True, "kind": "MetricValueList", "verbs": ["get"]},
            {"name": "nodes", "namespaced": False, "kind": "NodeMetrics", "verbs": ["get"]},
        ],
    }
    resources = discovery_resources(resource_list)
    assert [r["resource"] for r in resources] == ["nodes", "pods"]
    assert resources[0]["scope"] == "Cluster"
    assert resources[1]["subresources"] == [
        {
            "subresource": "qps",
            "responseKind": {
                "group": "custom.metrics.k8s.io",
                "version": "v1beta2",
                "kind": "MetricValueList",
            },
            "verbs": ["get"],
        }
    ]


def test_a_group_never_fetched_is_listed_stale() -> None:
    item = discovery_item("custom.metrics.k8s.io", CachedList())
    assert item["versions"] == [{"version": "v1beta2", "resources": [], "freshness": "Stale"}]
