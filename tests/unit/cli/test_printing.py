"""What `navarch get/describe` prints, without a server."""

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from shared.cli.client import endpoint_from_kubeconfig
from shared.cli.kube_commands import describe_text, read_manifests
from shared.cli.printing import age, table

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        ("2026-11-25T11:59:15Z", "45s"),
        ("2026-11-25T11:56:48Z", "3m12s"),
        ("2026-11-25T11:15:00Z", "45m"),
        ("2026-11-25T07:00:00Z", "5h"),
        ("2026-11-22T09:00:00Z", "3d3h"),
        ("2026-10-01T00:00:00Z", "55d"),
    ],
)
def test_ages_read_like_kubectl(created: str, expected: str) -> None:
    assert age({"metadata": {"creationTimestamp": created}}, now=NOW) == expected


def test_cluster_table_shows_capacity_columns_aligned() -> None:
    cluster = {
        "apiVersion": "cluster.karmada.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": "cluster-gpu-a100", "creationTimestamp": "2026-11-25T11:59:00Z"},
        "spec": {"provider": "gcp", "region": "us-central"},
        "status": {
            "kubernetesVersion": "v1.31.0",
            "conditions": [{"type": "Ready", "status": "True"}],
            "nodeSummary": {"totalNum": 2, "readyNum": 2},
            "resourceSummary": {
                "allocatable": {"cpu": "128", "memory": "1Ti", "nvidia.com/gpu": "16"},
                "allocated": {"cpu": "4", "memory": "8Gi"},
            },
        },
    }
    lines = table([cluster], kind_group=("cluster.karmada.io", "Cluster"), all_namespaces=False)
    header, row = lines.splitlines()
    assert header.split() == [
        "NAME",
        "READY",
        "MODE",
        "VERSION",
        "PROVIDER",
        "REGION",
        "NODES",
        "CPU",
        "MEMORY",
        "GPUS",
        "AGE",
    ]
    assert row.split()[:10] == [
        "cluster-gpu-a100",
        "True",
        "Push",
        "v1.31.0",
        "gcp",
        "us-central",
        "2/2",
        "4/128",
        "8/1024Gi",
        "0/16",
    ]
    assert header.index("READY") == row.index("True")


def test_manifests_from_files_dirs_and_lists(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "kind: ConfigMap\nmetadata: {name: a}\n---\n---\n"
        "kind: List\nitems: [{kind: Secret, metadata: {name: s}}]\n"
    )
    (tmp_path / "b.json").write_text('{"kind": "Namespace", "metadata": {"name": "n"}}')
    (tmp_path / "ignored.txt").write_text("kind: Nope")
    names = [doc["metadata"]["name"] for doc in read_manifests([str(tmp_path)])]
    assert names == ["a", "s", "n"]
    with pytest.raises(SystemExit, match="does not exist"):
        list(read_manifests([str(tmp_path / "missing.yaml")]))


def test_describe_never_shows_secret_values() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "cluster-01-kubeconfig", "namespace": "kurator-system"},
        "data": {"value": base64.b64encode(b"apiVersion: v1\nkind: Config\n").decode()},
    }
    text = describe_text(secret, [])
    assert "value:  28 bytes" in text
    assert secret["data"]["value"] not in text


def test_kubeconfig_endpoint(tmp_path: Path) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "hub",
        "clusters": [
            {
                "name": "hub",
                "cluster": {
                    "server": "https://127.0.0.1:6443",
                    "certificate-authority-data": base64.b64encode(b"PEM").decode(),
                },
            }
        ],
        "users": [{"name": "admin", "user": {"token": "t0k"}}],
        "contexts": [{"name": "hub", "context": {"cluster": "hub", "user": "admin"}}],
    }
    path = tmp_path / "hub.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    endpoint = endpoint_from_kubeconfig(str(path))
    assert (endpoint.server, endpoint.token, endpoint.ca_pem) == (
        "https://127.0.0.1:6443",
        "t0k",
        b"PEM",
    )
    with pytest.raises(ValueError, match='context "other" does not exist'):
        endpoint_from_kubeconfig(str(path), context="other")
