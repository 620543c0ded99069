"""Conformance through kubernetes-asyncio: typed APIs, the dynamic client, watches and errors."""

import json
import ssl
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.rest import ApiException
from kubernetes_asyncio.dynamic import DynamicClient

from shared.kubeapi.handlers import Handlers
from shared.kubeapi.server import APP_KEY
from tests.integration.kubeapi.conftest import TOKEN, ApiServer


def configuration(api: ApiServer, *, token: str | None = TOKEN) -> client.Configuration:
    config = client.Configuration(host=api.url)
    config.ssl_ca_cert = str(api.certs.ca_cert)
    if token:
        config.api_key = {"BearerToken": token}
        config.api_key_prefix = {"BearerToken": "Bearer"}
    return config


@pytest.fixture
async def api_client(api: ApiServer) -> AsyncIterator[client.ApiClient]:
    async with client.ApiClient(configuration(api)) as api_client:
        yield api_client


@pytest.fixture
def ns(api: ApiServer) -> str:
    name = f"a-{uuid.uuid4().hex[:8]}"
    api.kubectl("create", "namespace", name)
    return name


def configmap(name: str, **labels: str) -> client.V1ConfigMap:
    return client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name=name, labels=labels or None), data={"k": "v"}
    )


async def test_create_conflicts_and_errors(api_client: client.ApiClient, ns: str) -> None:
    core = client.CoreV1Api(api_client)
    created = await core.create_namespaced_config_map(ns, configmap("one"))
    assert created.metadata.uid and created.metadata.resource_version
    with pytest.raises(ApiException) as exists:
        await core.create_namespaced_config_map(ns, configmap("one"))
    status = json.loads(exists.value.body)
    assert exists.value.status == 409 and status["reason"] == "AlreadyExists"
    assert status["message"] == 'configmaps "one" already exists'
    assert status["details"] == {"name": "one", "kind": "configmaps"}
    created.data = {"k": "new"}
    await core.replace_namespaced_config_map("one", ns, created)
    created.data = {"k": "stale"}
    with pytest.raises(ApiException) as stale:
        await core.replace_namespaced_config_map("one", ns, created)
    assert stale.value.status == 409
    assert "the object has been modified" in json.loads(stale.value.body)["message"]
    with pytest.raises(ApiException) as missing:
        await core.read_namespaced_config_map("nope", ns)
    assert missing.value.status == 404
    with pytest.raises(ApiException) as no_namespace:
        await core.create_namespaced_config_map("no-such-ns", configmap("x"))
    assert json.loads(no_namespace.value.body)["message"] == 'namespaces "no-such-ns" not found'


async def test_typed_patch_scale_status_and_dry_run(api_client: client.ApiClient, ns: str) -> None:
    apps = client.AppsV1Api(api_client)
    body = {
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "web", "image": "nginx", "env": [{"name": "A", "value": "1"}]}
                    ]
                },
            },
        },
    }
    await apps.create_namespaced_deployment(ns, body)
    patched = await apps.patch_namespaced_deployment(
        "web",
        ns,
        {
            "spec": {
                "template": {
                    "spec": {"containers": [{"name": "web", "env": [{"name": "B", "value": "2"}]}]}
                }
            }
        },
    )
    assert [e.name for e in patched.spec.template.spec.containers[0].env] == ["A", "B"]
    scale = await apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 3}})
    assert scale.spec.replicas == 3 and scale.status.selector == "app=web"
    status = await apps.patch_namespaced_deployment_status(
        "web", ns, {"status": {"replicas": 3, "readyReplicas": 2}}
    )
    assert status.status.ready_replicas == 2 and status.spec.replicas == 3
    dry = await apps.patch_namespaced_deployment(
        "web", ns, {"spec": {"replicas": 9}}, dry_run="All"
    )
    assert dry.spec.replicas == 9
    assert (await apps.read_namespaced_deployment("web", ns)).spec.replicas == 3
    config = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    applied = await apps.patch_namespaced_deployment(
        "web", ns, {**config, "spec": {"replicas": 5}},
        field_manager="robot", force=True, _content_type="application/apply-patch+yaml",
    )  # fmt: skip
    assert applied.spec.replicas == 5
    assert any(entry.manager == "robot" for entry in applied.metadata.managed_fields)


async def test_list_pages_and_expired_continue(
    api: ApiServer, api_client: client.ApiClient, ns: str
) -> None:
    core = client.CoreV1Api(api_client)
    for index in range(5):
        await core.create_namespaced_config_map(
            ns, configmap(f"cm-{index}", team="a" if index % 2 else "b")
        )
    first = await core.list_namespaced_config_map(ns, limit=2)
    assert [i.metadata.name for i in first.items] == ["cm-0", "cm-1"]
    assert first.metadata.remaining_item_count == 3
    await core.create_namespaced_config_map(ns, configmap("cm-00"))
    second = await core.list_namespaced_config_map(ns, limit=2, _continue=first.metadata._continue)
    assert [i.metadata.name for i in second.items] == ["cm-2", "cm-3"]
    assert second.metadata.resource_version == first.metadata.resource_version
    selected = await core.list_namespaced_config_map(ns, label_selector="team=a")
    assert [i.metadata.name for i in selected.items] == ["cm-1", "cm-3"]
    handlers: Handlers = api.app[APP_KEY]
    api.loop.call_soon_threadsafe(handlers.snapshots.drop_all)
    api.run(_noop())
    with pytest.raises(ApiException) as expired:
        await core.list_namespaced_config_map(ns, limit=2, _continue=second.metadata._continue)
    status = json.loads(expired.value.body)
    assert expired.value.status == 410 and status["reason"] == "Expired"
    rest = await core.list_namespaced_config_map(ns, _continue=status["metadata"]["continue"])
    assert [i.metadata.name for i in rest.items] == ["cm-4"]


async def _noop() -> None:
    return None


async def test_watch_from_revision_and_after_expiry(
    api: ApiServer, api_client: client.ApiClient, ns: str
) -> None:
    core = client.CoreV1Api(api_client)
    listed = await core.list_namespaced_config_map(ns)
    await core.create_namespaced_config_map(ns, configmap("w1"))
    await core.patch_namespaced_config_map("w1", ns, {"data": {"k": "2"}})
    seen = []
    async with watch.Watch() as stream:
        async for event in stream.stream(
            core.list_namespaced_config_map,
            ns,
            resource_version=listed.metadata.resource_version,
            timeout_seconds=5,
        ):
            seen.append((event["type"], event["object"].data["k"]))
            if len(seen) == 2:
                break
    assert seen == [("ADDED", "v"), ("MODIFIED", "2")]
    latest = (await core.list_namespaced_config_map(ns)).metadata.resource_version
    api.run(api.store.compact(before_revision=int(latest)))
    with pytest.raises(ApiException) as gone:
        async with watch.Watch() as stream:
            async for _ in stream.stream(
                core.list_namespaced_config_map,
                ns,
                resource_version=listed.metadata.resource_version,
                timeout_seconds=5,
            ):
                pass
    assert gone.value.status == 410
    relisted = await core.list_namespaced_config_map(ns)
    assert [i.metadata.name for i in relisted.items] == ["w1"]


async def test_bookmarks_selectors_and_timeout(api: ApiServer, ns: str) -> None:
    """Raw lines: bookmarks arrive, a selector turns a non-matching change into DELETED."""
    context = ssl.create_default_context(cafile=str(api.certs.ca_cert))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    base = f"{api.url}/api/v1/namespaces/{ns}/configmaps"
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(
            base, json={"metadata": {"name": "sel", "labels": {"x": "1"}}}, ssl=context
        ) as r:
            assert r.status == 201
        query = "watch=1&labelSelector=x%3D1&allowWatchBookmarks=true&timeoutSeconds=1"
        async with session.get(f"{base}?{query}", ssl=context) as response:
            async with session.patch(
                f"{base}/sel", data='{"metadata":{"labels":{"x":"2"}}}',
                headers={"Content-Type": "application/merge-patch+json"}, ssl=context,
            ) as r:  # fmt: skip
                assert r.status == 200
            events = [json.loads(line) async for line in response.content]
    types = [event["type"] for event in events]
    assert types[:2] == ["ADDED", "DELETED"]
    assert "BOOKMARK" in types
    assert events[-1]["type"] == "BOOKMARK" and events[-1]["object"]["metadata"]["resourceVersion"]


async def test_dynamic_client_and_custom_resources(
    api_client: client.ApiClient, ns: str, tmp_path: Path
) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gizmos.example.org"},
        "spec": {
            "group": "example.org",
            "scope": "Namespaced",
            "names": {"plural": "gizmos", "singular": "gizmo", "kind": "Gizmo"},
            "versions": [
                {"name": "v1", "served": True, "storage": True, "subresources": {"status": {}}}
            ],
        },
    }
    extensions = client.ApiextensionsV1Api(api_client)
    await extensions.create_custom_resource_definition(crd)
    async with DynamicClient(api_client, cache_file=str(tmp_path / "discovery.json")) as dynamic:
        gizmos = await dynamic.resources.get(api_version="example.org/v1", kind="Gizmo")
        await gizmos.create(
            body={
                "apiVersion": "example.org/v1",
                "kind": "Gizmo",
                "metadata": {"name": "g"},
                "spec": {"n": 1},
            },
            namespace=ns,
        )
        got = await gizmos.get(name="g", namespace=ns)
        assert got.spec.n == 1
        pps = await dynamic.resources.get(
            api_version="policy.karmada.io/v1alpha1", kind="PropagationPolicy"
        )
        assert pps.namespaced and pps.group_version == "policy.karmada.io/v1alpha1"
    custom = client.CustomObjectsApi(api_client)
    await custom.patch_namespaced_custom_object(
        "example.org",
        "v1",
        ns,
        "gizmos",
        "g",
        {"spec": {"n": 2}},
        _content_type="application/merge-patch+json",
    )
    with pytest.raises(ApiException) as strategic:
        await custom.patch_namespaced_custom_object(
            "example.org", "v1", ns, "gizmos", "g", {"spec": {"n": 3}},
            _content_type="application/strategic-merge-patch+json",
        )  # fmt: skip
    assert strategic.value.status == 415
    listed = await custom.list_namespaced_custom_object("example.org", "v1", ns, "gizmos")
    assert [item["spec"]["n"] for item in listed["items"]] == [2]
    await extensions.delete_custom_resource_definition("gizmos.example.org")


async def test_unauthenticated_requests_get_401(api: ApiServer) -> None:
    for token in (None, "wrong"):
        async with client.ApiClient(configuration(api, token=token)) as anonymous:
            with pytest.raises(ApiException) as denied:
                await client.CoreV1Api(anonymous).list_namespace()
            assert denied.value.status == 401
            assert json.loads(denied.value.body)["reason"] == "Unauthorized"
