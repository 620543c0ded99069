"""The hub refuses what kube-apiserver refuses (names, metadata, schemas of built-in kinds), and
refuses Kurator/Karmada finalizers nothing in Navarch would remove, so deletes never hang."""

import asyncio
import json

import pytest
import yaml
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException

from tests.integration.gateway.conftest import Hub

pytestmark = pytest.mark.integration

BACKUP = """
apiVersion: backup.kurator.dev/v1alpha1
kind: Backup
metadata:
  name: {name}
  namespace: default
  finalizers: {finalizers}
spec:
  destination: {{fleet: quickstart}}
"""


def deployment(name: str, *, labels: object = None, **spec: object) -> str:
    body: dict = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
            **spec,
        },
    }
    if labels is not None:
        body["metadata"]["labels"] = labels
    return yaml.safe_dump(body)


def test_a_backup_with_an_unserved_kurator_finalizer_is_refused_up_front(hub: Hub) -> None:
    result = hub.kubectl(
        "apply", "-f", "-", stdin=BACKUP.format(name="held", finalizers='["fleet.kurator.dev"]')
    )
    assert result.returncode != 0
    assert "metadata.finalizers[0]: Forbidden: no Navarch service removes the finalizer " in (
        result.stderr
    )
    assert '"fleet.kurator.dev"' in result.stderr
    assert "NotFound" in hub.kubectl("get", "backups.backup.kurator.dev", "held").stderr


def test_a_backup_without_it_is_created_and_deleted_at_once(hub: Hub) -> None:
    created = hub.kubectl("apply", "-f", "-", stdin=BACKUP.format(name="free", finalizers="[]"))
    assert created.returncode == 0, created.stderr
    deleted = hub.kubectl("delete", "backups.backup.kurator.dev", "free", "--timeout=20s")
    assert deleted.returncode == 0, deleted.stderr
    assert "NotFound" in hub.kubectl("get", "backups.backup.kurator.dev", "free").stderr


def test_labels_given_as_a_list_never_reach_the_store(hub: Hub) -> None:
    """The scheduler once retried such a template forever; the API now refuses it (kubectl
    refuses it client-side, so this goes through kubernetes-asyncio)."""

    async def attempt() -> ApiException:
        api_client = await config.new_client_from_config(str(hub.kubeconfig))
        try:
            apps = client.AppsV1Api(api_client)
            body = yaml.safe_load(deployment("listed", labels=["app", "web"]))
            with pytest.raises(ApiException) as caught:
                await apps.create_namespaced_deployment("default", body)
            return caught.value
        finally:
            await api_client.close()

    error = asyncio.run(attempt())
    assert error.status == 400
    assert json.loads(error.body)["message"] == (
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal '
        "array into Go struct field ObjectMeta.metadata.labels of type map[string]string"
    )
    assert "NotFound" in hub.kubectl("get", "deployment", "listed").stderr


@pytest.mark.parametrize("name", ["Upper", "a b", "x" * 300])
def test_bad_names_are_refused_on_the_hub(hub: Hub, name: str) -> None:
    result = hub.kubectl("apply", "-f", "-", stdin=deployment(name))
    assert result.returncode != 0
    assert f'metadata.name: Invalid value: "{name}"' in result.stderr
    listing = hub.kubectl_json("get", "deployments")
    assert name not in [item["metadata"]["name"] for item in listing["items"]]


def test_replicas_as_a_word_and_unknown_fields(hub: Hub) -> None:
    result = hub.kubectl("apply", "-f", "-", stdin=deployment("worded", replicas="three"))
    assert result.returncode != 0
    assert (
        "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of "
        "type int32"
    ) in result.stderr
    strict = hub.kubectl("apply", "--validate=strict", "-f", "-", stdin=deployment("s", foo=1))
    assert strict.returncode != 0
    assert 'strict decoding error: unknown field "spec.foo"' in strict.stderr
    warned = hub.kubectl("apply", "--validate=warn", "-f", "-", stdin=deployment("w", foo=1))
    assert warned.returncode == 0, warned.stderr
    assert 'Warning: unknown field "spec.foo"' in warned.stderr
    stored = json.loads(hub.kubectl("get", "deployment", "w", "-o", "json").stdout)
    assert "foo" not in stored["spec"]
