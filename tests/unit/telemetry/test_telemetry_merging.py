"""Many members' answers merged into one, selectors applied after marking the cluster."""

import pytest

from services.telemetry.merging import POD_METRICS, merged_list, single, warnings
from services.telemetry.querying import ObjectQuery
from shared.api.aggregated import CLUSTER_LABEL, QUERY_SOURCE_ANNOTATION
from shared.api.selectors import parse_label_selector
from shared.kubeapi.listing import FieldSelector, parse_field_selector
from shared.kubeapi.registry import Kind
from shared.kubeapi.statuses import ApiError

PODS = ObjectQuery(api="metrics", resource="pods")


def pod(name: str, namespace: str = "web", **labels: str) -> dict:
    return {
        "kind": "PodMetrics",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "containers": [],
    }


PER_CLUSTER = {
    "west": [pod("b", app="nginx"), pod("a", app="api")],
    "east": [pod("b", app="nginx"), pod("c", namespace="other", app="nginx")],
}


def names(listing: dict) -> list[tuple[str, str]]:
    return [
        (item["metadata"]["name"], item["metadata"]["labels"][CLUSTER_LABEL])
        for item in listing["items"]
    ]


def test_every_item_carries_its_cluster_and_same_names_are_kept() -> None:
    listing = merged_list(
        PODS, PER_CLUSTER, labels=parse_label_selector(""), fields=FieldSelector()
    )
    assert listing["kind"] == "PodMetricsList"
    assert listing["apiVersion"] == "metrics.k8s.io/v1beta1"
    assert names(listing) == [("c", "east"), ("a", "west"), ("b", "east"), ("b", "west")]
    first = listing["items"][0]["metadata"]
    assert first["annotations"] == {QUERY_SOURCE_ANNOTATION: "east"}
    assert PER_CLUSTER["east"][1]["metadata"]["labels"] == {"app": "nginx"}, "inputs untouched"


@pytest.mark.parametrize(
    ("labels", "fields", "namespace", "expected"),
    [
        ("app=nginx", "", None, [("c", "east"), ("b", "east"), ("b", "west")]),
        ("app=nginx,cluster.navarch.dev/name=west", "", None, [("b", "west")]),
        ("", "metadata.name=a", None, [("a", "west")]),
        ("", "metadata.namespace!=web", None, [("c", "east")]),
        ("", "", "other", [("c", "east")]),
    ],
)
def test_selectors_apply_to_the_merged_set(
    labels: str, fields: str, namespace: str | None, expected: list[tuple[str, str]]
) -> None:
    query = ObjectQuery(api="metrics", resource="pods", namespace=namespace)
    listing = merged_list(
        query,
        PER_CLUSTER,
        labels=parse_label_selector(labels),
        fields=parse_field_selector(fields, Kind(POD_METRICS)),
    )
    assert names(listing) == expected


def test_the_fleet_node_list_is_a_core_node_list() -> None:
    query = ObjectQuery(api="core", resource="nodes")
    listing = merged_list(
        query,
        {"east": [{"kind": "Node", "metadata": {"name": "n1"}}]},
        labels=parse_label_selector(""),
        fields=FieldSelector(),
    )
    assert (listing["kind"], listing["apiVersion"]) == ("NodeList", "v1")
    assert listing["items"][0]["metadata"]["labels"] == {CLUSTER_LABEL: "east"}


def test_a_get_returns_the_one_found_marked() -> None:
    query = ObjectQuery(api="metrics", resource="pods", namespace="web", name="b")
    found = single(query, {"west": pod("b")})
    assert found["metadata"]["labels"][CLUSTER_LABEL] == "west"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            ObjectQuery(api="metrics", resource="pods", namespace="web", name="b"),
            'podmetrics.metrics.k8s.io "web/b" not found',
        ),
        (
            ObjectQuery(api="metrics", resource="nodes", name="n1"),
            'nodemetrics.metrics.k8s.io "n1" not found',
        ),
        (ObjectQuery(api="core", resource="nodes", name="n1"), 'nodes "n1" not found'),
    ],
)
def test_nothing_found_is_metrics_servers_not_found(query: ObjectQuery, message: str) -> None:
    with pytest.raises(ApiError) as missing:
        single(query, {})
    assert (missing.value.code, missing.value.message) == (404, message)


def test_two_clusters_holding_the_name_is_karmadas_conflict() -> None:
    query = ObjectQuery(api="metrics", resource="pods", namespace="web", name="b")
    with pytest.raises(ApiError) as conflict:
        single(query, {"west": pod("b"), "east": pod("b")})
    assert conflict.value.code == 409
    assert conflict.value.message == (
        'Operation cannot be fulfilled on pods "b": the pod(b) found in more than one clusters'
    )


def test_warnings_name_each_member_left_out() -> None:
    assert warnings({"west": "no answer within 0.8s", "down": "cluster is not Ready"}) == [
        'cluster "down" is left out of this answer: cluster is not Ready',
        'cluster "west" is left out of this answer: no answer within 0.8s',
    ]
