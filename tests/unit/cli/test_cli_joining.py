"""`navarch join`'s pure core: flags parsed as kubectl parses them, the verdict read back."""

import re

import pytest

from shared.cli.joining import (
    join_verdict,
    parse_labels,
    parse_taints,
    with_member,
    without_member,
)


def test_labels_and_taints_parse_like_kubectl() -> None:
    assert parse_labels("env=prod, team=web,empty=") == {"env": "prod", "team": "web", "empty": ""}
    assert parse_labels(None) == {}
    assert parse_taints("gpu=a100:NoSchedule,spot:PreferNoSchedule") == [
        {"key": "gpu", "value": "a100", "effect": "NoSchedule"},
        {"key": "spot", "effect": "PreferNoSchedule"},
    ]


@pytest.mark.parametrize(
    ("labels", "taints", "message"),
    [
        ("env", None, 'invalid label spec: "env", expected key=value'),
        (None, "gpu=a100", 'invalid taint spec: "gpu=a100", expected key[=value]:Effect'),
        (None, "gpu:Sometimes", "invalid taint effect: Sometimes, unsupported taint effect"),
    ],
)
def test_bad_flags_are_refused_before_anything_is_written(
    labels: str | None, taints: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_labels(labels)
        parse_taints(taints)


def ready(status: str, reason: str, message: str = "m") -> dict:
    return {
        "status": {
            "conditions": [
                {"type": "Ready", "status": status, "reason": reason, "message": message}
            ]
        }
    }


@pytest.mark.parametrize(
    ("attached", "is_ready", "final", "explanation"),
    [
        (ready("True", "ClusterReady", "ok"), True, True, "ClusterReady: ok"),
        (ready("False", "Unauthorized", "401"), False, True, "unauthorized: 401"),
        (
            ready("False", "InvalidKubeconfig", "no server"),
            False,
            True,
            "invalid kubeconfig: no server",
        ),
        (ready("False", "Unreachable", "refused"), False, False, "unreachable: refused"),
        ({"status": {}}, False, False, "not connected yet"),
        (None, False, False, "not connected yet"),
    ],
)
def test_the_verdict_names_why_a_cluster_is_not_ready(
    attached: dict | None, is_ready: bool, final: bool, explanation: str
) -> None:
    verdict = join_verdict(attached)
    assert (verdict.ready, verdict.final, verdict.explanation()) == (is_ready, final, explanation)


def test_fleet_membership_added_once_and_removed() -> None:
    created = with_member(None, name="edge", namespace="kurator-system", cluster="a")
    assert created["metadata"] == {"name": "edge", "namespace": "kurator-system"}
    twice = with_member(created, name="edge", namespace="kurator-system", cluster="a")
    assert twice["spec"]["clusters"] == [{"name": "a", "kind": "AttachedCluster"}]
    both = with_member(twice, name="edge", namespace="kurator-system", cluster="b")
    assert [m["name"] for m in both["spec"]["clusters"]] == ["a", "b"]
    removed = without_member(both, cluster="a")
    assert removed is not None and [m["name"] for m in removed["spec"]["clusters"]] == ["b"]
    assert without_member(removed, cluster="a") is None
