"""Bad input is refused with the field named and nothing stored; tokens and the CA are enforced."""

import asyncio
import ssl
from pathlib import Path

import aiohttp
import pytest
import yaml
from kubernetes_asyncio import client, config, dynamic
from kubernetes_asyncio.client.exceptions import ApiException

from tests.integration.gateway.conftest import Hub

pytestmark = pytest.mark.integration

POLICY = """
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: bad-weights, namespace: default}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: nginx}]
  placement:
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
          - {targetCluster: {clusterNames: [a]}, weight: 0}
"""


@pytest.mark.parametrize(
    ("manifest", "field", "extra_args"),
    [
        (
            POLICY,
            "spec.placement.replicaScheduling.weightPreference.staticWeightList[0].weight",
            [],
        ),
        (
            POLICY.replace("weight: 0", "weight: heavy"),
            "spec.placement.replicaScheduling.weightPreference.staticWeightList[0].weight",
            [],
        ),
        ("apiVersion: fleet.kurator.dev/v1alpha1\nkind: AttachedCluster\n", "", []),
        (
            "apiVersion: cluster.kurator.dev/v1alpha1\nkind: AttachedCluster\n"
            "metadata: {name: ac, namespace: default}\nspec: {labels: {a: b}}\n",
            "spec.kubeconfig",
            [],
        ),
        (
            POLICY.replace("weight: 0", "weight: 1").replace(
                "placement:", "placment: {}\n  placement:"
            ),
            "spec.placment",
            ["--validate=strict"],
        ),
    ],
)
def test_invalid_manifests_are_refused_naming_the_field(
    hub: Hub, manifest: str, field: str, extra_args: list[str]
) -> None:
    result = hub.kubectl("apply", *extra_args, "-f", "-", stdin=manifest)
    assert result.returncode != 0
    assert field in result.stderr, result.stderr
    name = (yaml.safe_load(manifest).get("metadata") or {}).get("name")
    if name:
        kind = yaml.safe_load(manifest)["kind"].lower()
        assert "NotFound" in hub.kubectl("get", kind, name).stderr, "nothing was stored"


def test_invalid_with_kubernetes_asyncio_gives_422_status(hub: Hub) -> None:
    async def attempt() -> ApiException:
        api_client = await config.new_client_from_config(str(hub.kubeconfig))
        try:
            custom = client.CustomObjectsApi(api_client)
            body = yaml.safe_load(POLICY)
            with pytest.raises(ApiException) as caught:
                await custom.create_namespaced_custom_object(
                    "policy.karmada.io", "v1alpha1", "default", "propagationpolicies", body
                )
            return caught.value
        finally:
            await api_client.close()

    error = asyncio.run(attempt())
    assert error.status == 422
    status = yaml.safe_load(error.body)
    assert status["reason"] == "Invalid"
    assert status["details"]["causes"][0]["field"].endswith("staticWeightList[0].weight")


async def test_tokens_and_certificate_authority(hub: Hub, tmp_path: Path) -> None:
    document = yaml.safe_load(hub.kubeconfig.read_text())
    server = document["clusters"][0]["cluster"]["server"]
    ca_pem = (hub.home / "pki" / "ca.crt").read_text()
    trusted = ssl.create_default_context(cadata=ca_pem)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server}/api/v1/namespaces", ssl=trusted) as response:
            assert response.status == 401
            assert (await response.json())["reason"] == "Unauthorized"
        headers = {"Authorization": "Bearer wrong"}
        async with session.get(
            f"{server}/api/v1/namespaces", ssl=trusted, headers=headers
        ) as response:
            assert response.status == 401
        token = document["users"][0]["user"]["token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with session.get(
            f"{server}/api/v1/namespaces", ssl=trusted, headers=headers
        ) as response:
            assert response.status == 200
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            async with session.get(f"{server}/version", ssl=ssl.create_default_context()):
                pass


async def test_added_token_works_and_revoked_token_stops_working(hub: Hub) -> None:
    document = yaml.safe_load(hub.kubeconfig.read_text())
    server = document["clusters"][0]["cluster"]["server"]
    trusted = ssl.create_default_context(cadata=(hub.home / "pki" / "ca.crt").read_text())
    tokens = hub.home / "tokens.csv"
    original = tokens.read_text()
    tokens.write_text(original + "ci-token,ci-bot,ci-bot,\n")

    async def status_with(token: str) -> int:
        async with aiohttp.ClientSession() as session:
            async with session.get(
                f"{server}/api/v1/namespaces",
                ssl=trusted,
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                return response.status

    await asyncio.sleep(1.2)
    assert await status_with("ci-token") == 200
    tokens.write_text(original)
    await asyncio.sleep(1.2)
    assert await status_with("ci-token") == 401


async def test_kubernetes_asyncio_typed_and_dynamic_clients(hub: Hub) -> None:
    api_client = await config.new_client_from_config(str(hub.kubeconfig))
    try:
        core = client.CoreV1Api(api_client)
        created = await core.create_namespaced_config_map(
            "default", {"metadata": {"name": "from-asyncio"}, "data": {"k": "v"}}
        )
        assert created.metadata.resource_version
        fetched = await core.read_namespaced_config_map("from-asyncio", "default")
        assert fetched.data == {"k": "v"}
        dynamic_client = await dynamic.DynamicClient(api_client)
        fleets = await dynamic_client.resources.get(
            api_version="fleet.kurator.dev/v1alpha1", kind="Fleet"
        )
        await fleets.create(
            body={
                "apiVersion": "fleet.kurator.dev/v1alpha1",
                "kind": "Fleet",
                "metadata": {"name": "dyn-fleet"},
                "spec": {"clusters": [{"name": "a"}]},
            },
            namespace="default",
        )
        listed = await fleets.get(namespace="default")
        assert "dyn-fleet" in [item.metadata.name for item in listed.items]
        await core.delete_namespaced_config_map("from-asyncio", "default")
    finally:
        await api_client.close()
