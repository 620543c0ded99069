"""One member cluster's API through kubernetes-asyncio, with errors sorted for conditions.

Requests go through the library's ApiClient (auth, TLS and proxies as the kubeconfig says)
and come back as plain Kubernetes objects; every call has a timeout so a partitioned
member can never hang its caller.
"""

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import aiohttp
import orjson
import yaml
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.config.config_exception import ConfigException

from shared.api.cluster import APIEnablement, APIResource

Object = dict[str, Any]
FailureReason = Literal["InvalidKubeconfig", "Unauthorized", "Unreachable", "Error"]
DEFAULT_TIMEOUT_S = 10.0


@dataclass
class MemberError(Exception):
    """Why a member could not be used, in the words of the AttachedCluster's condition."""

    reason: FailureReason
    message: str
    status: int | None = None
    body: str = ""
    """The member's answer (a meta/v1 Status) when it answered with an error."""

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


@dataclass(frozen=True)
class Probe:
    online: bool
    healthy: bool
    detail: str = ""


def path_segment(value: str) -> str:
    """One URL path segment: every reserved character escaped (`/` too), so a name can never
    climb to another collection; `.` and `..` are not names any API server accepts."""
    if value in (".", ".."):
        raise MemberError("Error", f"{value!r} cannot be a name in a member URL")
    return quote(value, safe="")


def resource_path(
    *, group: str, version: str, plural: str, namespace: str | None = None, name: str | None = None
) -> str:
    """`/api/v1/namespaces/<ns>/<plural>[/<name>]` or `/apis/<group>/<version>/...`, escaped."""
    base = f"/apis/{path_segment(group)}/{path_segment(version)}" if group else f"/api/{version}"
    if namespace:
        base += f"/namespaces/{path_segment(namespace)}"
    base += f"/{path_segment(plural)}"
    return f"{base}/{path_segment(name)}" if name is not None else base


def decode_secret_value(data: dict[str, str], key: str) -> str:
    """A Secret's `data[key]` as text; base64 as Kubernetes stores it."""
    if key not in data:
        raise MemberError("InvalidKubeconfig", f'secret has no key "{key}"')
    try:
        return base64.b64decode(data[key], validate=True).decode()
    except (ValueError, UnicodeDecodeError) as error:
        raise MemberError("InvalidKubeconfig", f'secret key "{key}" is not base64 text') from error


def _classify(error: BaseException) -> MemberError:
    if isinstance(error, MemberError):
        return error
    if isinstance(error, ApiException):
        if error.status in (401, 403):
            return MemberError(
                "Unauthorized", f"the member refused the credentials ({error.status})", error.status
            )
        return MemberError(
            "Error", f"{error.status} {error.reason}", error.status, body=str(error.body or "")
        )
    if isinstance(error, TimeoutError):
        return MemberError("Unreachable", "request timed out")
    return MemberError("Unreachable", str(error) or type(error).__name__)


class MemberClient:
    def __init__(self, api: client.ApiClient, *, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.api = api
        self.server = api.configuration.host
        self._timeout = timeout

    @classmethod
    async def from_kubeconfig(
        cls, text: str, *, timeout: float = DEFAULT_TIMEOUT_S
    ) -> "MemberClient":
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise MemberError("InvalidKubeconfig", f"kubeconfig is not YAML: {error}") from error
        if not isinstance(document, dict) or not document.get("clusters"):
            raise MemberError("InvalidKubeconfig", "kubeconfig has no clusters")
        configuration = client.Configuration()
        try:
            await config.load_kube_config_from_dict(document, client_configuration=configuration)
        except (ConfigException, KeyError, TypeError, ValueError) as error:
            raise MemberError("InvalidKubeconfig", f"kubeconfig cannot be used: {error}") from error
        return cls(client.ApiClient(configuration), timeout=timeout)

    async def close(self) -> None:
        await self.api.close()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float | None = None,
    ) -> aiohttp.ClientResponse:
        response = await self.api.call_api(
            path,
            method,
            {},
            query or [],
            {"Accept": "application/json", "Content-Type": content_type},
            body=body,
            auth_settings=["BearerToken"],
            _preload_content=False,
            _return_http_data_only=True,
            _request_timeout=timeout or self._timeout,
        )
        if not 200 <= response.status <= 299:
            # Without preloading, kubernetes-asyncio returns error responses instead of raising.
            error = ApiException(status=response.status, reason=response.reason)
            error.body = await response.text()
            response.release()
            raise error
        return response

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Object:
        """A JSON request; raises MemberError (status kept, e.g. 404, 409) on failure."""
        try:
            response = await self._call(
                method, path, query=query, body=body, content_type=content_type
            )
            body = await response.read()
        except Exception as error:
            raise _classify(error) from error
        return orjson.loads(body) if body else {}

    async def probe(self, *, timeout: float = 2.0) -> Probe:
        """Karmada's health check: `/readyz`, or `/healthz` where readyz is missing.

        Probes run every couple of seconds for every member, so they go straight through the
        client's configured session (same TLS and credentials) rather than the generated
        request machinery, which costs several times the CPU per call.
        """
        session = self.api.rest_client.pool_manager
        auth = (await self.api.configuration.auth_settings()).get("BearerToken")
        headers = {auth["key"]: auth["value"]} if auth and auth.get("value") else {}
        for path in ("/readyz", "/healthz"):
            try:
                async with session.get(
                    f"{self.server}{path}",
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=timeout),
                ) as response:
                    status = response.status
                    await response.read()
            except Exception as error:
                return Probe(online=False, healthy=False, detail=_classify(error).message)
            if status == 200:
                return Probe(online=True, healthy=True)
            if status == 404 and path == "/readyz":
                continue
            if status in (401, 403):
                return Probe(online=True, healthy=False, detail="unauthorized")
            return Probe(online=True, healthy=False, detail=f"{path} answered {status}")
        return Probe(online=True, healthy=False, detail="no health endpoint")

    async def version(self) -> str:
        return str((await self.request("GET", "/version")).get("gitVersion", ""))

    async def api_enablements(self) -> list[APIEnablement]:
        """Every group/version and its resources (subresources skipped), sorted like Karmada."""
        lists = [("v1", await self.request("GET", "/api/v1"))]
        groups = await self.request("GET", "/apis")
        for group in groups.get("groups", []):
            for version in group.get("versions", []):
                group_version = version["groupVersion"]
                lists.append((group_version, await self.request("GET", f"/apis/{group_version}")))
        enablements = []
        for group_version, listing in lists:
            resources = sorted(
                (
                    APIResource(name=entry["name"], kind=entry["kind"])
                    for entry in listing.get("resources", [])
                    if "/" not in entry["name"]
                ),
                key=lambda resource: resource.name,
            )
            enablements.append(APIEnablement(group_version=group_version, resources=resources))
        return sorted(enablements, key=lambda enablement: enablement.group_version)

    async def watch(
        self,
        path: str,
        *,
        resource_version: str,
        timeout_seconds: int = 300,
        query: list[tuple[str, str]] | None = None,
    ) -> AsyncIterator[Object]:
        """Raw watch events (`{"type", "object"}`), bookmarks included; ends with the stream."""
        params = [
            ("watch", "true"),
            ("resourceVersion", resource_version),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(timeout_seconds)),
            *(query or []),
        ]
        try:
            response = await self._call(
                "GET", path, query=params, timeout=timeout_seconds + self._timeout
            )
        except Exception as error:
            raise _classify(error) from error
        try:
            async for line in response.content:
                if line.strip():
                    yield orjson.loads(line)
        except (TimeoutError, aiohttp.ClientError) as error:
            raise _classify(error) from error
        finally:
            response.release()
