"""Real kubectl against the hub: the articles' manifests, apply, get, watch, patch, delete."""

import subprocess
import time
from collections.abc import Callable

import pytest
import yaml

from tests.integration.gateway.conftest import EXAMPLES, KUBECTL, Hub

pytestmark = pytest.mark.integration

HUB_KINDS = {
    "propagationpolicies",
    "clusterpropagationpolicies",
    "overridepolicies",
    "clusteroverridepolicies",
    "resourcebindings",
    "clusterresourcebindings",
    "works",
    "clusters",
    "federatedhpas",
    "fleets",
    "attachedclusters",
    "distributionpolicies",
    "backups",
    "restores",
    "migrates",
    "deployments",
    "statefulsets",
    "jobs",
    "namespaces",
    "secrets",
    "configmaps",
    "services",
    "serviceaccounts",
    "persistentvolumeclaims",
    "horizontalpodautoscalers",
    "ingresses",
    "poddisruptionbudgets",
    "customresourcedefinitions",
}


def test_api_resources_lists_the_kinds(hub: Hub) -> None:
    result = hub.kubectl("api-resources", "-o", "name")
    assert result.returncode == 0, result.stderr
    plurals = {line.split(".")[0] for line in result.stdout.split()}
    assert HUB_KINDS <= plurals, HUB_KINDS - plurals


def test_every_example_applies_unchanged(hub: Hub) -> None:
    for path in sorted(EXAMPLES.glob("[0-9]*.yaml")):
        result = hub.kubectl("apply", "-f", str(path))
        assert result.returncode == 0, f"{path.name}: {result.stderr}"
    for path in sorted(EXAMPLES.glob("[0-9]*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if not document:
                continue
            namespace = document["metadata"].get("namespace")
            args = [
                "get",
                f"{document['kind']}.{document['apiVersion'].split('/')[0]}"
                if "/" in document["apiVersion"]
                else document["kind"],
                document["metadata"]["name"],
            ]
            if namespace:
                args += ["-n", namespace]
            stored = hub.kubectl_json(*args)
            assert stored["metadata"]["uid"]


def test_server_side_apply_get_yaml_and_conflicts(hub: Hub) -> None:
    manifest = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa-cm, namespace: default}\n"
        "data: {mode: fast}\n"
    )
    applied = hub.kubectl("apply", "--server-side", "-f", "-", stdin=manifest)
    assert applied.returncode == 0, applied.stderr
    other = manifest.replace("fast", "slow")
    conflict = hub.kubectl(
        "apply", "--server-side", "--field-manager=other", "-f", "-", stdin=other
    )
    assert conflict.returncode != 0 and "conflict" in conflict.stderr.lower()
    forced = hub.kubectl(
        "apply",
        "--server-side",
        "--field-manager=other",
        "--force-conflicts",
        "-f",
        "-",
        stdin=other,
    )
    assert forced.returncode == 0, forced.stderr
    shown = yaml.safe_load(hub.kubectl("get", "configmap", "ssa-cm", "-o", "yaml").stdout)
    assert shown["data"] == {"mode": "slow"}


def test_get_watch_sees_another_clients_change(hub: Hub) -> None:
    assert hub.kubectl("create", "configmap", "watched", "--from-literal=a=1").returncode == 0
    watcher = subprocess.Popen(
        [
            str(KUBECTL),
            f"--kubeconfig={hub.kubeconfig}",
            f"--cache-dir={hub.cache_dir}",
            "get",
            "configmap",
            "watched",
            "-w",
            "-o",
            "jsonpath={.data.a}{'\\n'}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        patched = hub.kubectl(
            "patch", "configmap", "watched", "--type", "merge", "-p", '{"data": {"a": "2"}}'
        )
        assert patched.returncode == 0, patched.stderr
        time.sleep(1.0)
    finally:
        watcher.terminate()
        output, _ = watcher.communicate(timeout=10)
    assert output.split() == ["1", "2"], output


@pytest.mark.parametrize(
    ("patch_type", "patch", "check"),
    [
        ("merge", '{"spec": {"replicas": 3}}', lambda d: d["spec"]["replicas"] == 3),
        (
            "json",
            '[{"op": "replace", "path": "/spec/replicas", "value": 4}]',
            lambda d: d["spec"]["replicas"] == 4,
        ),
        (
            "strategic",
            '{"spec": {"template": {"spec": {"containers": '
            '[{"name": "web", "image": "nginx:2"}]}}}}',
            lambda d: (
                [c["image"] for c in d["spec"]["template"]["spec"]["containers"]]
                == ["nginx:2", "busybox:1"]
            ),
        ),
    ],
)
def test_patch_types(hub: Hub, patch_type: str, patch: str, check: Callable[[dict], bool]) -> None:
    name = f"patched-{patch_type}"
    manifest = yaml.safe_dump(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {
                        "containers": [
                            {"name": "web", "image": "nginx:1"},
                            {"name": "side", "image": "busybox:1"},
                        ]
                    },
                },
            },
        }
    )
    assert hub.kubectl("apply", "-f", "-", stdin=manifest).returncode == 0
    result = hub.kubectl("patch", "deployment", name, "--type", patch_type, "-p", patch)
    assert result.returncode == 0, result.stderr
    assert check(hub.kubectl_json("get", "deployment", name))
    deleted = hub.kubectl("delete", "deployment", name)
    assert deleted.returncode == 0, deleted.stderr
    assert "NotFound" in hub.kubectl("get", "deployment", name).stderr
