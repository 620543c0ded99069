"""List semantics: field selectors, continue tokens, snapshot pages."""

import pytest

from shared.kubeapi.listing import (
    ContinueToken,
    ListSnapshots,
    first_page,
    page_from,
    parse_field_selector,
    parse_labels,
)
from shared.kubeapi.registry import member_registry
from shared.kubeapi.statuses import ApiError

REGISTRY = member_registry()
PODS = REGISTRY.lookup("", "v1", "pods")
CONFIGMAPS = REGISTRY.lookup("", "v1", "configmaps")


def pod(name: str, node: str = "", phase: str = "Running") -> dict:
    spec = {"nodeName": node} if node else {}
    return {
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
        "status": {"phase": phase},
    }


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("metadata.name=a", ["a"]),
        ("metadata.name!=a", ["b", "c"]),
        ("spec.nodeName=n1", ["a"]),
        ("spec.nodeName=", ["c"]),
        ("status.phase==Pending,metadata.namespace=default", ["b"]),
    ],
)
def test_pod_field_selectors(selector: str, expected: list[str]) -> None:
    assert PODS is not None
    parsed = parse_field_selector(selector, PODS)
    pods = [pod("a", "n1"), pod("b", "n2", "Pending"), pod("c")]
    assert [p["metadata"]["name"] for p in pods if parsed.matches(p)] == expected


def test_unsupported_field_is_a_bad_request() -> None:
    assert CONFIGMAPS is not None
    with pytest.raises(ApiError) as error:
        parse_field_selector("spec.nodeName=x", CONFIGMAPS)
    assert (
        error.value.code == 400
        and error.value.message == "field label not supported: spec.nodeName"
    )


def test_label_selector_errors_are_bad_requests() -> None:
    assert parse_labels("a in (x,y),!b").matches({"a": "x"})
    with pytest.raises(ApiError) as error:
        parse_labels("a in x")
    assert error.value.code == 400


def test_continue_token_round_trip_and_garbage() -> None:
    token = ContinueToken(42, "ns/name", "abc")
    assert ContinueToken.decode(token.encode()) == token
    with pytest.raises(ApiError):
        ContinueToken.decode("!!not-a-token")


def test_pages_come_from_the_first_snapshot_until_it_expires() -> None:
    now = [0.0]
    snapshots = ListSnapshots(ttl_seconds=10, clock=lambda: now[0])
    items = [{"metadata": {"name": f"o{i}", "namespace": "d"}} for i in range(5)]
    page = first_page(items, revision=7, limit=2, snapshots=snapshots, counted=True)
    assert [i["metadata"]["name"] for i in page.items] == ["o0", "o1"] and page.remaining == 3
    assert page.continue_token is not None
    token = ContinueToken.decode(page.continue_token)
    stored = snapshots.get(token.snapshot)
    assert stored is not None
    second = page_from(stored, token, limit=2, counted=True)
    assert [i["metadata"]["name"] for i in second.items] == ["o2", "o3"] and second.revision == 7
    now[0] = 11.0
    assert snapshots.get(token.snapshot) is None


def test_small_lists_have_no_token() -> None:
    page = first_page(
        [{"metadata": {"name": "a"}}], revision=1, limit=5, snapshots=ListSnapshots(), counted=True
    )
    assert page.continue_token is None and page.remaining is None
