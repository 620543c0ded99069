"""The fleet kubeconfig: the hub's context current, one context per member named after it."""

from pathlib import Path

import pytest
import yaml

from shared.cli.kubeconfig_merging import (
    Kubeconfig,
    KubeconfigProblem,
    flattened,
    fleet_kubeconfig,
    merged,
)
from shared.kubeconfig import KubeconfigEntry, write_kubeconfig


def config(context: str, *, server: str, user: str = "admin", token: str = "t") -> Kubeconfig:
    return Kubeconfig.model_validate(
        {
            "clusters": [{"name": f"{context}-cluster", "cluster": {"server": server}}],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [
                {"name": context, "context": {"cluster": f"{context}-cluster", "user": user}}
            ],
            "current-context": context,
        }
    )


def names(entries: list) -> list[str]:
    return [entry.name for entry in entries]


def test_each_member_becomes_a_context_named_after_its_cluster() -> None:
    hub = config("navarch-hub", server="https://hub:6443", user="navarch-admin")
    members = {
        "cluster-shanghai": config("whatever", server="https://sim/clusters/sh", token="s"),
        "cluster-hangzhou": config("whatever", server="https://sim/clusters/hz", token="h"),
    }
    fleet = fleet_kubeconfig(hub, members).document()
    assert fleet["current-context"] == "navarch-hub"
    assert [c["name"] for c in fleet["contexts"]] == [
        "navarch-hub",
        "cluster-hangzhou",
        "cluster-shanghai",
    ]
    hangzhou = next(c for c in fleet["contexts"] if c["name"] == "cluster-hangzhou")
    assert hangzhou["context"] == {"cluster": "cluster-hangzhou", "user": "cluster-hangzhou"}
    servers = {c["name"]: c["cluster"]["server"] for c in fleet["clusters"]}
    assert servers["cluster-hangzhou"] == "https://sim/clusters/hz"
    tokens = {u["name"]: u["user"]["token"] for u in fleet["users"]}
    assert tokens == {"navarch-admin": "t", "cluster-hangzhou": "h", "cluster-shanghai": "s"}


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({}, "no current-context"),
        ({"current-context": "x"}, 'context "x" does not exist'),
        (
            {"current-context": "x", "contexts": [{"name": "x", "context": {"cluster": "c"}}]},
            'context "x" names no cluster with a server',
        ),
    ],
)
def test_a_kubeconfig_without_a_usable_context_says_why(document: dict, problem: str) -> None:
    with pytest.raises(KubeconfigProblem, match=problem):
        flattened(Kubeconfig.model_validate(document))


def test_merging_keeps_the_files_other_entries_and_current_context() -> None:
    mine = config("work", server="https://work:443")
    fleet = fleet_kubeconfig(
        config("navarch-hub", server="https://hub:6443"),
        {"cluster-hangzhou": config("m", server="https://sim/hz")},
    )
    result = merged(mine, fleet)
    assert result.current_context == "work"
    assert names(result.contexts) == ["work", "navarch-hub", "cluster-hangzhou"]
    again = merged(result, fleet)
    assert names(again.contexts) == names(result.contexts), "merging twice adds nothing"
    assert merged(Kubeconfig(), fleet).current_context == "navarch-hub"


def test_rewriting_a_kubeconfig_keeps_the_contexts_of_other_names(tmp_path: Path) -> None:
    """A gateway restart rewrites the hub's entry: the member contexts `up` added stay."""
    path = tmp_path / "hub.kubeconfig"
    entry = KubeconfigEntry(server="https://hub:1", ca_pem=None, token="a", context="hub")
    write_kubeconfig(path, entry)
    document = yaml.safe_load(path.read_text())
    document["contexts"].append({"name": "cluster-x", "context": {"cluster": "x", "user": "x"}})
    path.write_text(yaml.safe_dump(document))
    write_kubeconfig(
        path, KubeconfigEntry(server="https://hub:2", ca_pem=None, token="b", context="hub")
    )
    rewritten = yaml.safe_load(path.read_text())
    assert [c["name"] for c in rewritten["contexts"]] == ["hub", "cluster-x"]
    assert rewritten["clusters"][0]["cluster"]["server"] == "https://hub:2"
    assert rewritten["current-context"] == "hub"
