"""The member API (the simulator's server) validates names, metadata and schemas like
kube-apiserver: bad objects get its Status and wording, and nothing is stored."""

import json
import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import yaml

from tests.integration.kubeapi.conftest import TOKEN, ApiServer

pytestmark = pytest.mark.integration

Object = dict[str, Any]
SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


class Http:
    def __init__(self, api: ApiServer, session: aiohttp.ClientSession) -> None:
        self.api = api
        self.session = session

    async def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any, Object]:
        async with self.session.request(
            method,
            self.api.url + path,
            data=json.dumps(body) if body is not None else None,
            params=params or {},
            headers={"Content-Type": content_type},
        ) as response:
            return response.status, response.headers, await response.json()


@pytest.fixture
async def http(api: ApiServer) -> AsyncIterator[Http]:
    tls = ssl.create_default_context(cafile=str(api.certs.ca_cert))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(
        headers=headers, connector=aiohttp.TCPConnector(ssl=tls)
    ) as session:
        yield Http(api, session)


def deployment(name: str = "web", **spec: Any) -> Object:
    body: Object = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
        },
    }
    body["spec"].update(spec)
    return body


async def stored_names(http: Http, namespace: str) -> list[str]:
    _, _, listing = await http.send("GET", f"/apis/apps/v1/namespaces/{namespace}/deployments")
    return [item["metadata"]["name"] for item in listing["items"]]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Upper", '"Upper"'),
        ("a" * 300, '"' + "a" * 300 + '"'),
        ("a/b", '"a/b"'),
        ("..", '".."'),
        (".", '"."'),
        ("a\x00b", '"a\\x00b"'),
        ("a\nb", '"a\\nb"'),
        ("🚀", '"🚀"'),
        ("a b", '"a b"'),
        ("../../kube-system/deployments/evil", '"../../kube-system/deployments/evil"'),
    ],
)
async def test_bad_names_get_422_and_nothing_is_stored(
    http: Http, namespace: str, name: str, shown: str
) -> None:
    status, _, body = await http.send(
        "POST", f"/apis/apps/v1/namespaces/{namespace}/deployments", deployment(name)
    )
    assert status == 422, body
    message = "must be no more than 253 characters" if len(name) > 253 else SUBDOMAIN
    assert body["reason"] == "Invalid"
    assert body["message"] == (
        f'Deployment.apps "{name}" is invalid: metadata.name: Invalid value: {shown}: {message}'
    )
    assert body["details"]["causes"] == [
        {"reason": "FieldValueInvalid", "message": f"Invalid value: {shown}: {message}",
         "field": "metadata.name"}
    ]  # fmt: skip
    assert await stored_names(http, namespace) == []


@pytest.mark.parametrize("name", ["Upper", "..", "a.b"])
async def test_bad_namespace_names_are_refused(http: Http, name: str) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    status, _, answer = await http.send("POST", "/api/v1/namespaces", body)
    assert status == 422, answer
    assert answer["message"].startswith(f'Namespace "{name}" is invalid: ')
    assert f'metadata.name: Invalid value: "{name}": ' in answer["message"]
    _, _, listing = await http.send("GET", "/api/v1/namespaces")
    assert name not in [item["metadata"]["name"] for item in listing["items"]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            deployment(replicas="three"),
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of "
            "type int32",
        ),
        (
            {**deployment(), "metadata": {"name": "web", "labels": ["app", "web"]}},
            "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of "
            "type map[string]string",
        ),
        (
            {**deployment(), "spec": "everything"},
            "json: cannot unmarshal string into Go struct field Deployment.spec of type "
            "v1.DeploymentSpec",
        ),
    ],
)
async def test_type_errors_get_the_decoders_400(
    http: Http, namespace: str, body: Object, message: str
) -> None:
    status, _, answer = await http.send(
        "POST", f"/apis/apps/v1/namespaces/{namespace}/deployments", body
    )
    assert status == 400, answer
    assert answer["reason"] == "BadRequest"
    assert answer["message"] == (
        f'Deployment in version "v1" cannot be handled as a Deployment: {message}'
    )
    assert await stored_names(http, namespace) == []


async def test_unknown_fields_follow_field_validation(http: Http, namespace: str) -> None:
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    status, _, answer = await http.send(
        "POST", path, deployment("strict", foo=1), params={"fieldValidation": "Strict"}
    )
    assert status == 400
    assert answer["message"] == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.foo"'
    )
    status, headers, created = await http.send("POST", path, deployment("warned", foo=1))
    assert status == 201
    assert headers["Warning"] == '299 - "unknown field \\"spec.foo\\""'
    assert "foo" not in created["spec"]
    status, headers, created = await http.send(
        "POST", path, deployment("ignored", foo=1), params={"fieldValidation": "Ignore"}
    )
    assert status == 201 and "Warning" not in headers and "foo" not in created["spec"]
    _, _, stored = await http.send("GET", f"{path}/warned")
    assert "foo" not in stored["spec"]
    assert sorted(await stored_names(http, namespace)) == ["ignored", "warned"]


async def test_required_fields_are_422(http: Http, namespace: str) -> None:
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bare"}}
    status, _, answer = await http.send(
        "POST", f"/apis/apps/v1/namespaces/{namespace}/deployments", body
    )
    assert status == 422
    assert answer["message"] == (
        'Deployment.apps "bare" is invalid: [spec.selector: Required value, '
        "spec.template.spec.containers: Required value]"
    )


async def test_labels_and_annotations(http: Http, namespace: str) -> None:
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    long_key = deployment("long-key")
    long_key["metadata"]["labels"] = {"k" * 300: "v"}
    status, _, answer = await http.send("POST", path, long_key)
    assert status == 422
    assert answer["details"]["causes"][0]["field"] == "metadata.labels"
    assert "name part must be no more than 63 characters" in answer["message"]
    many = deployment("many")
    many["metadata"]["labels"] = {f"bad key {index}": "v" for index in range(20_000)}
    status, _, answer = await http.send("POST", path, many)
    assert status == 422 and len(answer["details"]["causes"]) == 20_000
    big = deployment("big")
    big["metadata"]["annotations"] = {"a": "x" * (256 * 1024)}
    status, _, answer = await http.send("POST", path, big)
    assert status == 422
    assert answer["message"] == (
        'Deployment.apps "big" is invalid: metadata.annotations: Too long: must have at most '
        "262144 bytes"
    )
    assert await stored_names(http, namespace) == []


async def test_updates_and_patches_are_validated_too(http: Http, namespace: str) -> None:
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    status, _, created = await http.send("POST", path, deployment("web"))
    assert status == 201
    status, _, answer = await http.send(
        "PATCH",
        f"{path}/web",
        {"spec": {"replicas": "three"}},
        content_type="application/merge-patch+json",
    )
    assert status == 400 and "DeploymentSpec.spec.replicas" in answer["message"]
    status, _, answer = await http.send(
        "PATCH",
        f"{path}/web",
        {"metadata": {"labels": {"Bad Key": "v"}}},
        content_type="application/merge-patch+json",
    )
    assert status == 422 and answer["details"]["causes"][0]["field"] == "metadata.labels"
    applied = deployment("web", replicas="three")
    status, _, answer = await http.send(
        "PATCH",
        f"{path}/web",
        applied,
        params={"fieldManager": "test", "force": "true"},
        content_type="application/apply-patch+yaml",
    )
    assert status == 400
    _, _, stored = await http.send("GET", f"{path}/web")
    assert stored["spec"]["replicas"] == 1 and stored["metadata"].get("labels") is None
    assert stored["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_kubectl_shows_the_warning_and_the_errors(api: ApiServer, namespace: str) -> None:
    manifest = deployment("kubectl-warned", foo=1)
    manifest["metadata"]["namespace"] = namespace
    result = api.kubectl(
        "apply", "--validate=warn", "-f", "-", stdin=yaml.safe_dump(manifest), check=False
    )
    assert result.returncode == 0, result.stderr
    assert 'Warning: unknown field "spec.foo"' in result.stderr
    bad = deployment("Upper")
    bad["metadata"]["namespace"] = namespace
    result = api.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(bad), check=False)
    assert result.returncode != 0
    assert (
        f'The Deployment "Upper" is invalid: metadata.name: Invalid value: "Upper": {SUBDOMAIN}'
        in (result.stderr)
    )
