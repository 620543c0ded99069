"""Conformance through the real kubectl: what users type must behave as against kube-apiserver."""

import json
import subprocess
import time
from pathlib import Path

import yaml

from shared.kubeconfig import KubeconfigEntry, write_kubeconfig
from tests.integration.kubeapi.conftest import KUBECTL, ApiServer


def deployment(name: str, *, replicas: int = 2, image: str = "nginx:1.25") -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "labels": {"app": name}},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "web", "image": image}]},
                },
            },
        }
    )


def test_discovery_lists_every_family(api: ApiServer) -> None:
    out = api.kubectl("api-resources", "-o", "wide").stdout
    assert "deployments" in out and "deploy" in out
    assert "propagationpolicies" in out and "policy.karmada.io/v1alpha1" in out
    assert "attachedclusters" in out and "cluster.kurator.dev/v1alpha1" in out
    versions = api.kubectl("api-versions").stdout.split()
    assert {"v1", "apps/v1", "work.karmada.io/v1alpha2", "fleet.kurator.dev/v1alpha1"} <= set(
        versions
    )
    assert json.loads(api.kubectl("get", "--raw", "/version").stdout)["major"] == "1"


def test_client_side_apply_creates_then_configures(api: ApiServer, namespace: str) -> None:
    out = api.kubectl("apply", "-n", namespace, "-f", "-", stdin=deployment("web")).stdout
    assert "deployment.apps/web created" in out
    out = api.kubectl(
        "apply", "-n", namespace, "-f", "-", stdin=deployment("web", replicas=5)
    ).stdout
    assert "deployment.apps/web configured" in out
    obj = api.kubectl_json("get", "deploy", "web", "-n", namespace)
    assert obj["spec"]["replicas"] == 5
    assert obj["metadata"]["generation"] == 2
    assert "kubectl.kubernetes.io/last-applied-configuration" in obj["metadata"]["annotations"]
    table = api.kubectl("get", "deploy", "-n", namespace).stdout
    assert table.split("\n")[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    as_yaml = yaml.safe_load(
        api.kubectl("get", "deploy", "web", "-n", namespace, "-o", "yaml").stdout
    )
    assert as_yaml["metadata"]["uid"] == obj["metadata"]["uid"]


def test_server_side_apply_conflict_and_force(api: ApiServer, namespace: str) -> None:
    api.kubectl(
        "apply", "--server-side", "-n", namespace, "-f", "-", stdin=deployment("ssa", replicas=1)
    )
    result = api.kubectl(
        "apply", "--server-side", "--field-manager=scaler", "-n", namespace, "-f", "-",
        stdin=deployment("ssa", replicas=4), check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert 'conflict with "kubectl" using apps/v1: .spec.replicas' in result.stderr
    api.kubectl(
        "apply", "--server-side", "--field-manager=scaler", "--force-conflicts", "-n", namespace,
        "-f", "-", stdin=deployment("ssa", replicas=4),
    )  # fmt: skip
    obj = api.kubectl_json("get", "deploy", "ssa", "-n", namespace, "--show-managed-fields")
    assert obj["spec"]["replicas"] == 4
    owners = {e["manager"]: e["fieldsV1"] for e in obj["metadata"]["managedFields"]}
    assert "f:replicas" in owners["scaler"]["f:spec"]
    assert "f:replicas" not in owners["kubectl"]["f:spec"]


def test_patch_types(api: ApiServer, namespace: str) -> None:
    api.kubectl("apply", "-n", namespace, "-f", "-", stdin=deployment("p"))
    api.kubectl(
        "patch", "deploy", "p", "-n", namespace, "--type", "merge", "-p", '{"spec":{"replicas":7}}'
    )
    api.kubectl(
        "patch", "deploy", "p", "-n", namespace, "--type", "json",
        "-p", '[{"op":"add","path":"/metadata/labels/tier","value":"front"}]',
    )  # fmt: skip
    api.kubectl(
        "patch", "deploy", "p", "-n", namespace, "--type", "strategic",
        "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox"}]}}}}',
    )  # fmt: skip
    obj = api.kubectl_json("get", "deploy", "p", "-n", namespace)
    assert obj["spec"]["replicas"] == 7
    assert obj["metadata"]["labels"]["tier"] == "front"
    names = [c["name"] for c in obj["spec"]["template"]["spec"]["containers"]]
    assert names == ["web", "side"]
    failed = api.kubectl(
        "patch", "deploy", "p", "-n", namespace, "--type", "json",
        "-p", '[{"op":"test","path":"/spec/replicas","value":1}]', check=False,
    )  # fmt: skip
    assert failed.returncode != 0
    api.kubectl("scale", "deploy", "p", "-n", namespace, "--replicas=2")
    assert api.kubectl_json("get", "deploy", "p", "-n", namespace)["spec"]["replicas"] == 2


def test_get_watch_sees_another_clients_change(api: ApiServer, namespace: str) -> None:
    api.kubectl("create", "configmap", "watched", "-n", namespace, "--from-literal=a=1")
    command = [
        str(KUBECTL), f"--kubeconfig={api.kubeconfig}", f"--cache-dir={api.cache_dir}",
        "get", "configmap", "watched", "-n", namespace, "-w", "-o", "json",
    ]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as watcher:
        try:
            assert watcher.stdout is not None
            first = _read_json_object(watcher.stdout)
            assert first["data"] == {"a": "1"}
            api.kubectl(
                "patch", "configmap", "watched", "-n", namespace, "-p", '{"data":{"a":"2"}}'
            )
            second = _read_json_object(watcher.stdout)
            assert second["data"] == {"a": "2"}
        finally:
            watcher.terminate()


def _read_json_object(stream: "subprocess.IO[str]") -> dict:  # type: ignore[name-defined]
    """kubectl -w -o json prints pretty objects one after another: read one."""
    lines: list[str] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = stream.readline()
        assert line, "the watch ended early"
        lines.append(line)
        if line.rstrip() == "}":
            return json.loads("".join(lines))
    raise AssertionError("no watch event in time")


def test_delete_and_finalizers(api: ApiServer, namespace: str) -> None:
    held = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "held", "finalizers": ["example.com/hold"]},
    }
    api.kubectl("create", "-n", namespace, "-f", "-", stdin=json.dumps(held))
    api.kubectl("delete", "configmap", "held", "-n", namespace, "--wait=false")
    obj = api.kubectl_json("get", "configmap", "held", "-n", namespace)
    assert obj["metadata"]["deletionTimestamp"]
    api.kubectl(
        "patch",
        "configmap",
        "held",
        "-n",
        namespace,
        "--type",
        "merge",
        "-p",
        '{"metadata":{"finalizers":null}}',
    )
    gone = api.kubectl("get", "configmap", "held", "-n", namespace, check=False)
    assert gone.returncode != 0
    assert 'configmaps "held" not found' in gone.stderr
    api.kubectl("create", "configmap", "plain", "-n", namespace)
    assert "deleted" in api.kubectl("delete", "configmap", "plain", "-n", namespace).stdout


def test_label_and_field_selectors(api: ApiServer, namespace: str) -> None:
    for name, tier in (("a", "front"), ("b", "back"), ("c", "front")):
        api.kubectl("create", "configmap", name, "-n", namespace)
        api.kubectl("label", "configmap", name, "-n", namespace, f"tier={tier}")
    names = api.kubectl(
        "get", "cm", "-n", namespace, "-l", "tier=front", "-o", "name"
    ).stdout.split()
    assert names == ["configmap/a", "configmap/c"]
    names = api.kubectl(
        "get", "cm", "-n", namespace, "-l", "tier in (back)", "-o", "name"
    ).stdout.split()
    assert names == ["configmap/b"]
    names = api.kubectl(
        "get", "cm", "-n", namespace, "--field-selector", "metadata.name!=a", "-o", "name"
    ).stdout.split()
    assert names == ["configmap/b", "configmap/c"]
    bad = api.kubectl("get", "pods", "-n", namespace, "--field-selector", "spec.foo=x", check=False)
    assert "field label not supported: spec.foo" in bad.stderr


def test_pagination_with_chunks(api: ApiServer, namespace: str) -> None:
    for index in range(5):
        api.kubectl("create", "configmap", f"page-{index}", "-n", namespace)
    result = api.kubectl("get", "cm", "-n", namespace, "--chunk-size=2", "-o", "name", "-v=6")
    assert result.stdout.split() == [f"configmap/page-{i}" for i in range(5)]
    assert result.stderr.count("continue=") == 2


def test_crd_then_custom_objects(api: ApiServer, namespace: str) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {
                "plural": "widgets",
                "singular": "widget",
                "kind": "Widget",
                "shortNames": ["wd"],
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [
                        {"name": "Size", "type": "integer", "jsonPath": ".spec.size"}
                    ],
                }
            ],
        },
    }
    api.kubectl("apply", "-f", "-", stdin=json.dumps(crd))
    api.kubectl("wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=10s")
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w1"},
        "spec": {"size": 3},
    }
    api.kubectl("apply", "-n", namespace, "-f", "-", stdin=json.dumps(widget))
    widget["spec"]["size"] = 4
    assert (
        "configured"
        in api.kubectl("apply", "-n", namespace, "-f", "-", stdin=json.dumps(widget)).stdout
    )
    table = api.kubectl("get", "wd", "-n", namespace).stdout.split("\n")
    assert table[0].split() == ["NAME", "SIZE", "AGE"] and table[1].split()[:2] == ["w1", "4"]
    strategic = api.kubectl(
        "patch",
        "widget",
        "w1",
        "-n",
        namespace,
        "--type",
        "strategic",
        "-p",
        '{"spec":{"size":5}}',
        check=False,
    )
    assert strategic.returncode != 0
    assert "strategic-merge-patch+json is not supported by example.com/v1" in strategic.stderr
    api.kubectl("delete", "crd", "widgets.example.com")
    assert api.kubectl("get", "widgets", "-n", namespace, check=False).returncode != 0


def test_namespace_deletion_empties_it(api: ApiServer) -> None:
    api.kubectl("create", "namespace", "doomed")
    api.kubectl("create", "configmap", "inside", "-n", "doomed")
    api.kubectl("delete", "namespace", "doomed", "--timeout=10s")
    assert api.kubectl("get", "namespace", "doomed", check=False).returncode != 0
    missing = api.kubectl("create", "configmap", "x", "-n", "doomed", check=False)
    assert 'namespaces "doomed" not found' in missing.stderr


def test_authentication_and_ca(api: ApiServer, tmp_path: Path) -> None:
    wrong = write_kubeconfig(
        tmp_path / "wrong", KubeconfigEntry(server=api.url, ca_pem=api.certs.ca_pem, token="nope")
    )
    result = subprocess.run(
        [str(KUBECTL), f"--kubeconfig={wrong}", "get", "ns"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0 and "You must be logged in to the server" in result.stderr
    other_ca = tmp_path / "other-ca.pem"
    from shared.certs import ensure_serving_certs

    other_ca.write_bytes(ensure_serving_certs(tmp_path / "other").ca_pem)
    untrusting = write_kubeconfig(
        tmp_path / "untrusting",
        KubeconfigEntry(server=api.url, ca_pem=other_ca.read_bytes(), token="conformance-token"),
    )
    result = subprocess.run(
        [str(KUBECTL), f"--kubeconfig={untrusting}", "get", "ns"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0 and "certificate" in result.stderr
