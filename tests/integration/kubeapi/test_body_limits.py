"""Bodies that could stall or crash the API get Kubernetes' 4xx answers instead (issue 13).

Billion-laughs YAML, bodies over 3 MiB, objects over the store's limit and bodies nested
deeper than the bound: each is answered with a Status, quickly, and nothing is written.
"""

import json
import time
import uuid
from typing import Any

import aiohttp
import pytest

from tests.integration.kubeapi.conftest import ApiServer

DEPTH = 500
LAUGHS = "\n".join(
    ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
)


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"a": value}
    return value


def _configmap(name: str, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, **extra}


@pytest.fixture
def ns(api: ApiServer) -> str:
    name = f"b-{uuid.uuid4().hex[:8]}"
    api.kubectl("create", "namespace", name)
    return name


async def _send(
    session: aiohttp.ClientSession, method: str, url: str, body: bytes | str, content_type: str
) -> tuple[int, dict[str, Any]]:
    async with session.request(
        method, url, data=body, headers={"Content-Type": content_type}
    ) as response:
        return response.status, json.loads(await response.read())


async def _absent(session: aiohttp.ClientSession, url: str) -> None:
    async with session.get(url) as response:
        assert response.status == 404


async def test_billion_laughs_is_refused_quickly(
    api: ApiServer, session: aiohttp.ClientSession, ns: str
) -> None:
    base = f"{api.url}/api/v1/namespaces/{ns}/configmaps"
    document = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: laughs\n{LAUGHS}\n"
    started = time.monotonic()
    code, status = await _send(
        session,
        "PATCH",
        f"{base}/laughs?fieldManager=t",
        document,
        "application/apply-patch+yaml",
    )
    assert (code, status["reason"]) == (400, "BadRequest")
    assert "yaml: document contains excessive aliasing" in status["message"]
    code, status = await _send(session, "POST", base, document, "application/yaml")
    assert (code, status["reason"]) == (400, "BadRequest")
    assert "yaml: document contains excessive aliasing" in status["message"]
    assert time.monotonic() - started < 3
    await _absent(session, f"{base}/laughs")


async def test_modest_aliases_still_apply(
    api: ApiServer, session: aiohttp.ClientSession, ns: str
) -> None:
    base = f"{api.url}/api/v1/namespaces/{ns}/configmaps"
    document = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: anchors\n"
        "  labels: &labels {app: web}\n  annotations: *labels\ndata: {k: v}\n"
    )
    code, created = await _send(
        session, "PATCH", f"{base}/anchors?fieldManager=t", document, "application/apply-patch+yaml"
    )
    assert code == 201, created
    assert created["metadata"]["annotations"] == {"app": "web"}


async def test_body_over_3mib_is_413_with_kubernetes_wording(
    api: ApiServer, session: aiohttp.ClientSession, ns: str
) -> None:
    base = f"{api.url}/api/v1/namespaces/{ns}/configmaps"
    body = json.dumps(_configmap("huge", data={"k": "x" * (3 * 1024 * 1024)}))
    code, status = await _send(session, "POST", base, body, "application/json")
    assert (code, status["reason"]) == (413, "RequestEntityTooLarge")
    assert status["message"] == "Request entity too large: limit is 3145728"
    await _absent(session, f"{base}/huge")


def _event(name: str, message: str) -> dict[str, Any]:
    """Events have no size rule of their own (ConfigMaps and Secrets stop at 1 MiB)."""
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name},
        "involvedObject": {"kind": "Pod", "name": "p"},
        "message": message,
    }


async def test_object_over_the_store_limit_is_413_naming_the_limit(
    api: ApiServer, session: aiohttp.ClientSession, ns: str
) -> None:
    base = f"{api.url}/api/v1/namespaces/{ns}/events"
    body = json.dumps(_event("big", "x" * 2_000_000))
    code, status = await _send(session, "POST", base, body, "application/json")
    assert (code, status["reason"]) == (413, "RequestEntityTooLarge")
    assert status["message"].startswith('Request entity too large: events "big" is ')
    assert status["message"].endswith("limit is 1572864")
    await _absent(session, f"{base}/big")
    code, created = await _send(
        session, "POST", base, json.dumps(_event("grows", "small")), "application/json"
    )
    assert code == 201, created
    patch = json.dumps({"message": "x" * 2_000_000})
    code, status = await _send(
        session, "PATCH", f"{base}/grows", patch, "application/merge-patch+json"
    )
    assert (code, status["reason"]) == (413, "RequestEntityTooLarge")
    assert status["details"] == {"name": "grows", "kind": "events"}


@pytest.mark.parametrize(
    ("method", "suffix", "content_type", "wrap"),
    [
        ("POST", "", "application/json", "object"),
        ("POST", "", "application/yaml", "object"),
        ("PUT", "/deep", "application/json", "object"),
        ("PATCH", "/deep", "application/merge-patch+json", "data"),
        ("PATCH", "/deep", "application/strategic-merge-patch+json", "data"),
        ("PATCH", "/deep", "application/json-patch+json", "operation"),
        ("PATCH", "/deep?fieldManager=t", "application/apply-patch+yaml", "object"),
        ("PATCH", "/deep?fieldManager=t", "application/apply-patch+yaml", "yaml"),
    ],
)
async def test_deep_bodies_are_400_for_every_verb(
    api: ApiServer,
    session: aiohttp.ClientSession,
    ns: str,
    method: str,
    suffix: str,
    content_type: str,
    wrap: str,
) -> None:
    base = f"{api.url}/api/v1/namespaces/{ns}/configmaps"
    code, created = await _send(
        session, "POST", base, json.dumps(_configmap("deep")), "application/json"
    )
    assert code == 201, created
    deep = _deep(DEPTH)
    body: str
    if wrap == "operation":
        body = json.dumps([{"op": "add", "path": "/metadata/annotations", "value": deep}])
    elif wrap == "data":
        body = json.dumps({"metadata": {"annotations": deep}})
    elif wrap == "yaml":
        body = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nspec: " + (
            "[" * DEPTH + "]" * DEPTH
        )
    else:
        body = json.dumps(_configmap("deep", spec=deep))
    code, status = await _send(session, method, base + suffix, body, content_type)
    assert (code, status["reason"]) == (400, "BadRequest"), status
    assert "exceeded max depth" in status["message"]
    async with session.get(f"{base}/deep") as response:
        stored = await response.json()
    assert "spec" not in stored and "annotations" not in stored["metadata"]


TALL_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "talls.limits.navarch.dev"},
    "spec": {
        "group": "limits.navarch.dev",
        "scope": "Namespaced",
        "names": {"plural": "talls", "singular": "tall", "kind": "Tall"},
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
            }
        ],
    },
}


async def test_patches_cannot_grow_an_object_past_the_store_depth(
    api: ApiServer, session: aiohttp.ClientSession, ns: str
) -> None:
    """Each body is within the bound, but a JSON patch can graft one deep value inside
    another: the store refuses the result with 422 naming the field."""
    api.kubectl("apply", "-f", "-", stdin=json.dumps(TALL_CRD))
    api.kubectl("wait", "--for=condition=Established", "crd/talls.limits.navarch.dev")
    base = f"{api.url}/apis/limits.navarch.dev/v1/namespaces/{ns}/talls"
    tall = {"apiVersion": "limits.navarch.dev/v1", "kind": "Tall", "metadata": {"name": "t"}}
    code, created = await _send(
        session, "POST", base, json.dumps(dict(tall, spec=_deep(90))), "application/json"
    )
    assert code == 201, created
    operations = [{"op": "replace", "path": "/spec" + "/a" * 89, "value": _deep(90)}]
    code, status = await _send(
        session, "PATCH", f"{base}/t", json.dumps(operations), "application/json-patch+json"
    )
    assert (code, status["reason"]) == (422, "Invalid"), status
    assert status["details"]["causes"][0]["field"].startswith("spec.a.a")
    assert status["message"].endswith("exceeded max depth of 128")
    async with session.get(f"{base}/t") as response:
        assert nesting_depth((await response.json())["spec"]) == 90


def nesting_depth(value: Any) -> int:
    depth = 0
    while isinstance(value, dict):
        value, depth = value["a"], depth + 1
    return depth


async def test_delete_options_in_the_body_still_count(
    api: ApiServer, session: aiohttp.ClientSession, ns: str
) -> None:
    """Bodies are read up front (bounded); handlers that read their own still see them."""
    base = f"{api.url}/api/v1/namespaces/{ns}/configmaps"
    code, created = await _send(
        session, "POST", base, json.dumps(_configmap("kept")), "application/json"
    )
    assert code == 201, created
    options = {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": "other"}}
    code, status = await _send(
        session, "DELETE", f"{base}/kept", json.dumps(options), "application/json"
    )
    assert (code, status["reason"]) == (409, "Conflict"), status
