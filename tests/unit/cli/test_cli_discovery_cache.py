"""The CLI's discovery: aggregated documents parsed, kept on disk, forgotten when stale."""

import argparse
from pathlib import Path

import pytest

from shared.cli import discovery_cache
from shared.cli.client import resolve_in
from shared.cli.main import COMMAND_MODULES, build_parser

AGGREGATED = {
    "kind": "APIGroupDiscoveryList",
    "items": [
        {
            "metadata": {"name": "apps"},
            "versions": [
                {
                    "version": "v1",
                    "resources": [
                        {
                            "resource": "deployments",
                            "responseKind": {
                                "group": "apps",
                                "version": "v1",
                                "kind": "Deployment",
                            },
                            "scope": "Namespaced",
                            "singularResource": "deployment",
                            "shortNames": ["deploy"],
                            "verbs": ["get", "list"],
                        }
                    ],
                }
            ],
        },
        {
            "metadata": {"name": "cluster.karmada.io"},
            "versions": [
                {
                    "version": "v1alpha1",
                    "resources": [
                        {
                            "resource": "clusters",
                            "responseKind": {"kind": "Cluster"},
                            "scope": "Cluster",
                        }
                    ],
                }
            ],
        },
    ],
}


def test_aggregated_discovery_resolves_like_kubectl() -> None:
    resources = discovery_cache.parse_aggregated(AGGREGATED)
    deploy = resolve_in(resources, "deploy")
    assert deploy is not None and deploy.item_path("web", "nginx") == (
        "/apis/apps/v1/namespaces/web/deployments/nginx"
    )
    cluster = resolve_in(resources, "clusters.cluster.karmada.io")
    assert cluster is not None and not cluster.namespaced and cluster.singular == "cluster"
    assert resolve_in(resources, "nothing") is None


def test_the_cache_is_kept_until_its_ttl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = discovery_cache.cache_dir_for("https://127.0.0.1:6443", tmp_path)
    assert directory == tmp_path / "cache" / "discovery" / "127.0.0.1_6443"
    resources = discovery_cache.parse_aggregated(AGGREGATED)
    discovery_cache.store(directory, resources)
    assert discovery_cache.load(directory) == resources
    monkeypatch.setenv(discovery_cache.TTL_ENV, "60")
    future = discovery_cache.time.time() + 61
    assert discovery_cache.load(directory, now=future) is None
    discovery_cache.forget(directory)
    assert discovery_cache.load(directory) is None
    (directory / discovery_cache.CACHE_FILE).write_text("{not json")
    assert discovery_cache.load(directory) is None, "a broken cache is ignored"


def test_every_command_is_registered_by_the_module_the_table_names() -> None:
    everything = build_parser()
    commands = next(a for a in everything._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) == set(COMMAND_MODULES)
    for command in COMMAND_MODULES:
        alone = build_parser(command)
        sub = next(a for a in alone._actions if isinstance(a, argparse._SubParsersAction))
        assert command in sub.choices
