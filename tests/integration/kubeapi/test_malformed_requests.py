"""Requests the hub's fuzz test (tests/integration/gateway/test_hub_fuzzing.py) answered
with 500: each now gets a 4xx Status that says what is wrong, and nothing is written.

DeleteOptions bodies of the wrong JSON type or with fields of the wrong type; YAML bodies
with what YAML has and JSON has not (!!binary, !!set, timestamps, non-string keys), which
are decoded as sigs.k8s.io/yaml decodes them; Scale and namespace-finalize bodies whose
`spec` is not an object.
"""

import json
import uuid
from typing import Any

import aiohttp
import pytest

from tests.integration.kubeapi.conftest import ApiServer


@pytest.fixture
def ns(api: ApiServer) -> str:
    name = f"m-{uuid.uuid4().hex[:8]}"
    api.kubectl("create", "namespace", name)
    return name


async def _send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    body: bytes | str | None = None,
    content_type: str = "application/json",
) -> tuple[int, Any]:
    headers = {"Content-Type": content_type} if body is not None else {}
    async with session.request(method, url, data=body, headers=headers) as response:
        raw = await response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw.decode(errors="replace")


async def _configmap(session: aiohttp.ClientSession, api: ApiServer, ns: str, name: str) -> str:
    url = f"{api.url}/api/v1/namespaces/{ns}/configmaps"
    body = json.dumps({"metadata": {"name": name}, "data": {"a": "b"}})
    code, created = await _send(session, "POST", url, body)
    assert code == 201, created
    return f"{url}/{name}"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[]", "invalid DeleteOptions: the body must be a JSON object, not array"),
        ("1", "invalid DeleteOptions: the body must be a JSON object, not number"),
        ('"x"', "invalid DeleteOptions: the body must be a JSON object, not string"),
        (
            '{"dryRun": 5}',
            "json: cannot unmarshal number into Go struct field DeleteOptions.dryRun of type "
            "[]string",
        ),
        (
            '{"dryRun": "All"}',
            "json: cannot unmarshal string into Go struct field DeleteOptions.dryRun of type "
            "[]string",
        ),
        (
            '{"preconditions": 18446744073709551616}',
            "json: cannot unmarshal number into Go struct field DeleteOptions.preconditions of "
            "type v1.Preconditions",
        ),
        (
            '{"preconditions": {"uid": 5}}',
            "json: cannot unmarshal number into Go struct field Preconditions.preconditions.uid "
            "of type types.UID",
        ),
        (
            '{"gracePeriodSeconds": "30"}',
            "json: cannot unmarshal string into Go struct field "
            "DeleteOptions.gracePeriodSeconds of type int64",
        ),
        (
            '{"propagationPolicy": []}',
            "json: cannot unmarshal array into Go struct field DeleteOptions.propagationPolicy "
            "of type v1.DeletionPropagation",
        ),
    ],
)
async def test_delete_options_of_the_wrong_shape_are_400(
    api: ApiServer, session: aiohttp.ClientSession, ns: str, body: str, message: str
) -> None:
    url = await _configmap(session, api, ns, "keep")
    code, status = await _send(session, "DELETE", url, body)
    assert (code, status["reason"]) == (400, "BadRequest"), status
    assert message in status["message"]
    code, kept = await _send(session, "GET", url)
    assert code == 200, kept


async def test_delete_collection_with_a_bad_body_deletes_nothing(
    api: ApiServer, session: aiohttp.ClientSession, ns: str
) -> None:
    url = await _configmap(session, api, ns, "keep")
    collection = url.rsplit("/", 1)[0]
    code, status = await _send(session, "DELETE", collection, '{"dryRun": 5}')
    assert code == 400, status
    assert (await _send(session, "GET", url))[0] == 200


async def test_well_formed_delete_options_still_work(
    api: ApiServer, session: aiohttp.ClientSession, ns: str
) -> None:
    url = await _configmap(session, api, ns, "gone")
    body = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "dryRun": ["All"],
            "propagationPolicy": "Foreground",
            "gracePeriodSeconds": 0,
            "preconditions": {"uid": None},
        }
    )
    code, status = await _send(session, "DELETE", url, body)
    assert code == 200, status
    assert (await _send(session, "GET", url))[0] == 200
    code, status = await _send(session, "DELETE", url, '{"propagationPolicy": "Background"}')
    assert code == 200, status
    assert (await _send(session, "GET", url))[0] == 404


@pytest.mark.parametrize(
    ("document", "data"),
    [
        ("data: {a: !!binary aGVsbG8=}", {"a": "hello"}),
        ("data: {2: two, true: v, 1.5: x}", {"2": "two", "true": "v", "1.5": "x"}),
        ("data: {when: 2024-01-01, at: 2001-12-14t21:59:43.10-05:00}", None),
        ("data: {a: '2024-01-01T00:00:00Z'}", {"a": "2024-01-01T00:00:00Z"}),
    ],
)
async def test_yaml_is_decoded_as_kubernetes_decodes_it(
    api: ApiServer, session: aiohttp.ClientSession, ns: str, document: str, data: Any
) -> None:
    """Timestamps stay the text they were written as, !!binary is its decoded text, keys
    become strings, as sigs.k8s.io/yaml's YAMLToJSON does."""
    name = f"y-{uuid.uuid4().hex[:6]}"
    url = f"{api.url}/api/v1/namespaces/{ns}/configmaps"
    body = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\n{document}\n"
    code, created = await _send(session, "POST", url, body, "application/yaml")
    assert code == 201, created
    expected = data or {"when": "2024-01-01", "at": "2001-12-14t21:59:43.10-05:00"}
    assert created["data"] == expected


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            "data: {null: x}",
            "error converting YAML to JSON: unsupported map key of type: %!s(<nil>)",
        ),
        ("data: {a: .nan}", "error converting YAML to JSON: json: unsupported value: NaN"),
    ],
)
async def test_yaml_without_a_json_form_is_4xx(
    api: ApiServer, session: aiohttp.ClientSession, ns: str, document: str, message: str
) -> None:
    url = f"{api.url}/api/v1/namespaces/{ns}/configmaps"
    body = f"apiVersion: v1\nkind: ConfigMap\n{document}\n"
    code, status = await _send(session, "POST", url, body, "application/yaml")
    assert (code, status["reason"]) == (400, "BadRequest"), status
    assert message in status["message"]
    listed = (await _send(session, "GET", url))[1]
    assert listed["items"] == []


async def test_scale_and_finalize_bodies_without_an_object_spec_are_4xx(
    api: ApiServer, session: aiohttp.ClientSession, ns: str
) -> None:
    deployments = f"{api.url}/apis/apps/v1/namespaces/{ns}/deployments"
    deployment = {
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
        },
    }
    code, created = await _send(session, "POST", deployments, json.dumps(deployment))
    assert code == 201, created
    for body in ('{"spec": 5}', '{"spec": [1]}', '{"status": 5, "spec": {"replicas": 2}}'):
        code, status = await _send(session, "PUT", f"{deployments}/web/scale", body)
        assert 400 <= code < 500, (body, status)
    code, stored = await _send(session, "GET", f"{deployments}/web")
    assert stored["spec"]["replicas"] == 1
    finalize = f"{api.url}/api/v1/namespaces/{ns}/finalize"
    for body in ('{"spec": 5}', '{"spec": {"finalizers": 5}}', '{"spec": {"finalizers": [5]}}'):
        code, status = await _send(session, "PUT", finalize, body)
        assert 400 <= code < 500, (body, status)
    code, namespace = await _send(session, "GET", f"{api.url}/api/v1/namespaces/{ns}")
    assert namespace["spec"]["finalizers"] == ["kubernetes"]


@pytest.mark.parametrize(
    "metadata",
    [
        "  name: ns-labels-list\n  labels:\n  - app\n  - web\n",
        "  name: ns-spec-string\n",
    ],
    ids=["labels-as-a-list", "spec-as-a-string"],
)
async def test_a_malformed_namespace_is_refused_before_defaulting(
    session: aiohttp.ClientSession, api: ApiServer, metadata: str
) -> None:
    """Found by the hub's fuzz test: namespace defaulting (the name label, the kubernetes
    finalizer) ran before the type checks and failed with 500 on a list of labels."""
    spec = "spec: nothing\n" if "spec-string" in metadata else ""
    body = f"apiVersion: v1\nkind: Namespace\nmetadata:\n{metadata}{spec}"
    code, answer = await _send(
        session, "POST", f"{api.url}/api/v1/namespaces", body, "application/yaml"
    )
    assert code == 400, answer
    assert "cannot be handled as a Namespace" in answer["message"]
