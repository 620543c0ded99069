"""Which members a query asks: the cluster label, bindings' placements, readiness."""

import pytest

from services.telemetry.querying import ObjectQuery
from services.telemetry.selecting import (
    NOT_READY,
    MemberState,
    Placement,
    forwardable_selector,
    select_members,
)
from shared.api.selectors import parse_label_selector

MEMBERS = [
    MemberState(name="east", ready=True),
    MemberState(name="west", ready=True),
    MemberState(name="north", ready=True),
    MemberState(name="down", ready=False),
    MemberState(name="cut", ready=True, connected=False, connect_error="secret missing"),
]
PLACEMENTS = [
    Placement(namespace="web", clusters=["east", "down"], pod_labels={"app": "nginx"}),
    Placement(namespace="web", clusters=["west"], pod_labels={"app": "api"}),
    Placement(namespace="web", clusters=["north"], pod_labels=None),
    Placement(namespace="other", clusters=["west"], pod_labels={"app": "nginx"}),
]
PODS_IN_WEB = ObjectQuery(api="metrics", resource="pods", namespace="web")
ALL_PODS = ObjectQuery(api="metrics", resource="pods")
NODES = ObjectQuery(api="metrics", resource="nodes")


@pytest.mark.parametrize(
    ("query", "selector", "asked", "left_out"),
    [
        (NODES, "", ["east", "north", "west"], {"down": NOT_READY, "cut": "secret missing"}),
        (
            ALL_PODS,
            "app=nginx",
            ["east", "north", "west"],
            {"down": NOT_READY, "cut": "secret missing"},
        ),
        (PODS_IN_WEB, "", ["east", "north", "west"], {"down": NOT_READY, "cut": "secret missing"}),
        # nginx pods in web: east (and down) place them; north's template is unknown.
        (PODS_IN_WEB, "app=nginx", ["east", "north"], {"down": NOT_READY}),
        (PODS_IN_WEB, "app=api", ["north", "west"], {}),
        (PODS_IN_WEB, "app=none", ["north"], {}),
        # the cluster label is answered by telemetry, never sent on
        (NODES, "cluster.navarch.dev/name=west", ["west"], {}),
        (NODES, "cluster.navarch.dev/name in (west,down)", ["west"], {"down": NOT_READY}),
        (
            NODES,
            "cluster.navarch.dev/name!=west",
            ["east", "north"],
            {"down": NOT_READY, "cut": "secret missing"},
        ),
        (PODS_IN_WEB, "app=nginx,cluster.navarch.dev/name=north", ["north"], {}),
    ],
)
def test_members_asked(
    query: ObjectQuery, selector: str, asked: list[str], left_out: dict[str, str]
) -> None:
    selection = select_members(
        query, selector=parse_label_selector(selector), members=MEMBERS, placements=PLACEMENTS
    )
    assert selection.ask == asked
    assert selection.left_out == left_out


@pytest.mark.parametrize(
    ("text", "forwarded"),
    [
        ("app=nginx", "app=nginx"),
        ("", ""),
        ("app=nginx,cluster.navarch.dev/name=east", ""),
    ],
)
def test_selectors_naming_the_cluster_label_stay_here(text: str, forwarded: str) -> None:
    assert forwardable_selector(text, parse_label_selector(text)) == forwarded
