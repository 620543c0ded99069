"""The hub's API under a minute of hostile requests (issue 13): no 500, no stall, still healthy.

Hypothesis draws requests from what the hub's discovery serves (every resource, verb and
subresource) with objects from Kubernetes' OpenAPI schemas and Navarch's pydantic models,
then mutated; paths, query parameters, content types and bodies range from valid to
garbage (`fuzzing_requests.py`). The run is deterministic (derandomized, no example
database) and bounded twice: by `MAX_EXAMPLES` and by `BUDGET_S` of wall time. Every 5xx,
unanswered request and unhandled exception in the gateway's log is collected with its
request, and afterwards the hub must still answer /healthz, create, get, list, watch and
delete as usual.
"""

import http.client
import json
import ssl
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from shared.kubeconfig import load_kubeconfig
from tests.integration.gateway.conftest import Hub
from tests.integration.gateway.fuzzing_client import RawClient, Tally
from tests.integration.gateway.fuzzing_operations import requests
from tests.integration.gateway.fuzzing_requests import FuzzRequest, Resource, Surface

BUDGET_S = 60.0
MAX_EXAMPLES = 4000
"""More than a minute allows on the shared machine: the time budget is what ends the run."""
FUZZ_NAMESPACES = ("fuzz-ns-1", "fuzz-ns-2")
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


def _resources(client: RawClient, token: str) -> tuple[Resource, ...]:
    """Every served resource with its subresources, from discovery."""
    lists: list[tuple[str, str, Any]] = []
    status, core = client.call("GET", "/api/v1", token=token)
    assert status == 200, core
    lists.append(("", "v1", core))
    status, groups = client.call("GET", "/apis", token=token)
    assert status == 200, groups
    for group in groups["groups"]:
        for version in group["versions"]:
            status, listed = client.call("GET", f"/apis/{version['groupVersion']}", token=token)
            if status == 200:
                lists.append((group["name"], version["version"], listed))
    found = []
    for group, version, listed in lists:
        entries = listed.get("resources") or []
        subresources: dict[str, list[str]] = {}
        for entry in entries:
            parent, _, sub = entry["name"].partition("/")
            if sub:
                subresources.setdefault(parent, []).append(sub)
        found += [
            Resource(
                group=group,
                version=version,
                plural=entry["name"],
                kind=entry["kind"],
                namespaced=entry["namespaced"],
                subresources=tuple(subresources.get(entry["name"], ())),
            )
            for entry in entries
            if "/" not in entry["name"]
        ]
    return tuple(found)


def _seed(client: RawClient, token: str) -> None:
    """Namespaces of the fuzzer's own and objects its item paths meet."""
    for namespace in FUZZ_NAMESPACES:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
        status, answer = client.call("POST", "/api/v1/namespaces", token=token, body=body)
        assert status in (201, 409), answer
        config_map = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "fuzz-a", "labels": {"app": "web"}},
            "data": {"key": "value"},
        }
        path = f"/api/v1/namespaces/{namespace}/configmaps"
        status, answer = client.call("POST", path, token=token, body=config_map)
        assert status in (201, 409), answer
        deployment = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "fuzz-a", "labels": {"app": "web"}},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
                },
            },
        }
        path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
        status, answer = client.call("POST", path, token=token, body=deployment)
        assert status in (201, 409), answer


class BudgetSpent(BaseException):
    """Ends the hypothesis run when the time budget is spent: hypothesis lets a
    BaseException through untouched (as it does KeyboardInterrupt), so it neither counts
    as a failure nor starts shrinking."""


def _fuzz(client: RawClient, surface: Surface, token: str) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + BUDGET_S

    @FUZZ_SETTINGS
    @given(request=requests(surface, token))
    def send(request: FuzzRequest) -> None:
        if time.monotonic() >= deadline:
            raise BudgetSpent
        client.record(request, tally)

    try:
        send()
    except BudgetSpent:
        pass
    return tally


def _is_defect(record: dict[str, Any]) -> bool:
    """An error the gateway logged, except aiohttp's own 400 for a request its HTTP parser
    cannot read (an unknown or lowercase method on a kept-alive connection, CONNECT's
    tail): it answers those itself, before any handler runs."""
    if record.get("level") not in ("ERROR", "CRITICAL"):
        return False
    raised = [
        line
        for line in str(record.get("exception", "")).splitlines()
        if line[:1].isalpha() and not line.startswith(("Traceback", "During handling"))
    ]
    parser_error = bool(raised) and raised[-1].startswith("aiohttp.http_exceptions.")
    return not (record.get("logger") == "aiohttp.server" and parser_error)


def _log_defects(log: Path, offset: int) -> list[str]:
    with log.open("rb") as handle:
        handle.seek(offset)
        lines = handle.read().decode(errors="replace").splitlines()
    defects = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            if "Traceback (most recent call last)" in line:
                defects.append(line)
            continue
        if isinstance(record, dict) and _is_defect(record):
            defects.append(f"{record.get('message')}\n{record.get('exception', '')}"[-3000:])
    return defects


def _watch_delivers_deletion(hub: Hub, token: str, *, path: str, revision: str) -> list[str]:
    """The event types a fresh watch from `revision` sees until the object's deletion."""
    context = ssl.create_default_context(cafile=str(hub.home / "pki" / "ca.crt"))
    watch = http.client.HTTPSConnection("127.0.0.1", hub.port, context=context, timeout=15)
    deleter = RawClient(port=hub.port, ca_file=hub.home / "pki" / "ca.crt")
    try:
        watch.request(
            "GET",
            f"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={revision}"
            "&timeoutSeconds=10&fieldSelector=metadata.name%3Dfuzz-health",
            headers={"Authorization": f"Bearer {token}"},
        )
        response = watch.getresponse()
        assert response.status == 200
        status, answer = deleter.call("DELETE", path, token=token)
        assert status == 200, answer
        seen = []
        for line in response:
            event = json.loads(line)
            seen.append(event["type"])
            if event["type"] == "DELETED":
                break
        return seen
    finally:
        watch.close()
        deleter.close()


def _assert_healthy(hub: Hub, client: RawClient, token: str) -> None:
    status, answer = client.call("GET", "/healthz", token=token)
    assert (status, answer) == (200, "ok"), answer
    collection = "/api/v1/namespaces/default/configmaps"
    path = f"{collection}/fuzz-health"
    body = {"metadata": {"name": "fuzz-health"}, "data": {"a": "1"}}
    status, created = client.call("POST", collection, token=token, body=body)
    assert status == 201, created
    status, got = client.call("GET", path, token=token)
    assert (status, got["data"]) == (200, {"a": "1"}), got
    status, listed = client.call("GET", collection, token=token)
    assert status == 200, listed
    assert "fuzz-health" in [item["metadata"]["name"] for item in listed["items"]]
    seen = _watch_delivers_deletion(
        hub, token, path=path, revision=created["metadata"]["resourceVersion"]
    )
    assert seen[-1:] == ["DELETED"], seen
    status, answer = client.call("GET", path, token=token)
    assert status == 404, answer
    assert hub.kubectl("get", "namespaces").returncode == 0


@pytest.mark.timeout(240)
def test_a_minute_of_fuzzing_finds_no_500_and_leaves_the_hub_healthy(hub: Hub) -> None:
    token = load_kubeconfig(hub.kubeconfig).token
    client = RawClient(port=hub.port, ca_file=hub.home / "pki" / "ca.crt")
    log = hub.home / "logs" / "gateway.log"
    offset = log.stat().st_size
    try:
        surface = Surface(resources=_resources(client, token), namespaces=FUZZ_NAMESPACES)
        _seed(client, token)
        started = time.monotonic()
        tally = _fuzz(client, surface, token)
        elapsed = time.monotonic() - started
        codes = sorted(tally.codes.items())
        print(f"fuzzing: {tally.sent} requests in {elapsed:.0f}s, answers by code {codes}")
        findings = [finding.render() for finding in tally.findings]
        assert not findings, f"{len(findings)} defects:\n" + "\n".join(findings[:40])
        defects = _log_defects(log, offset)
        assert not defects, f"{len(defects)} unhandled errors logged:\n" + "\n\n".join(defects[:5])
        assert tally.sent > 300, tally
        _assert_healthy(hub, client, token)
    finally:
        client.close()
