"""A small Kubernetes REST client for the `navarch` CLI: discovery, resolve names, CRUD, watch.

The CLI talks to the hub (or a simulated member) over HTTPS with the kubeconfig's CA and
token; errors come back as Kubernetes Status objects and are raised as `ApiError`, and a
server that cannot be reached at all as `ServerUnreachable` with kubectl's one line.
"""

import contextlib
import json
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from shared.cli import discovery_cache
from shared.cli.discovery_cache import ApiResource
from shared.cli.transport_errors import TRANSPORT_ERRORS, unreachable

__all__ = ["ApiError", "ApiResource", "Endpoint", "KubeClient", "UnknownResourceError"]

Object = dict[str, Any]


@dataclass(frozen=True)
class Endpoint:
    server: str
    token: str | None = None
    ca_pem: bytes | None = None
    insecure: bool = False


@dataclass
class ApiError(Exception):
    """A non-2xx answer; `status` is the server's Status object."""

    code: int
    reason: str
    message: str
    status: Object = field(default_factory=dict)

    def __str__(self) -> str:
        return f"Error from server ({self.reason}): {self.message}"


class UnknownResourceError(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f'the server doesn\'t have a resource type "{name}"')


class KubeClient:
    def __init__(self, endpoint: Endpoint, *, cache_dir: Path | None = None) -> None:
        """`cache_dir`: where discovery is kept between runs (the CLI's); None: not kept."""
        self.endpoint = endpoint
        self.cache_dir = cache_dir
        self._session: aiohttp.ClientSession | None = None
        self._resources: list[ApiResource] | None = None
        self._from_cache = False
        self.unavailable_groups: list[str] = []
        """Group versions whose discovery answered 503 (an aggregated API that is down)."""

    async def __aenter__(self) -> "KubeClient":
        headers = {"Accept": "application/json", "User-Agent": "navarch-cli"}
        if self.endpoint.token:
            headers["Authorization"] = f"Bearer {self.endpoint.token}"
        ssl_context: ssl.SSLContext | bool = True
        if self.endpoint.insecure:
            ssl_context = False
        elif self.endpoint.ca_pem:
            ssl_context = ssl.create_default_context(cadata=self.endpoint.ca_pem.decode())
        self._session = aiohttp.ClientSession(
            base_url=None,
            headers=headers,
            connector=aiohttp.TCPConnector(ssl=ssl_context),
        )
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._session is not None:
            await self._session.close()

    def _url(self, path: str) -> str:
        return self.endpoint.server.rstrip("/") + path

    @contextlib.contextmanager
    def _reaching_server(self) -> Iterator[None]:
        """The one place transport failures become `ServerUnreachable`."""
        try:
            yield
        except TRANSPORT_ERRORS as error:
            raise unreachable(self.endpoint.server, error) from error

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Object | list[Any] | str | None = None,
        content_type: str = "application/json",
    ) -> Object:
        assert self._session is not None, "use `async with KubeClient(...)`"
        data = body if isinstance(body, str) else None if body is None else json.dumps(body)
        headers = {"Content-Type": content_type} if data is not None else {}
        with self._reaching_server():
            async with self._session.request(
                method, self._url(path), params=params, data=data, headers=headers
            ) as response:
                raw = await response.read()
                status, reason = response.status, response.reason
        payload = _decoded(raw)
        text = raw.decode(errors="replace")
        if status >= 400:
            raise ApiError(
                code=status,
                reason=str(payload.get("reason") or reason),
                message=str(payload.get("message") or text.strip() or reason),
                status=payload,
            )
        return payload

    async def server_version(self) -> Object:
        return await self.request("GET", "/version")

    async def resources(self) -> list[ApiResource]:
        if self._resources is not None:
            return self._resources
        if self.cache_dir is not None:
            cached = discovery_cache.load(self.cache_dir)
            if cached:
                self._resources, self._from_cache = cached, True
                return cached
        found = await self._aggregated_resources()
        if found is None:
            found = await self._legacy_resources()
        self._resources, self._from_cache = found, False
        if self.cache_dir is not None:
            discovery_cache.store(self.cache_dir, found)
        return found

    async def _aggregated_resources(self) -> list[ApiResource] | None:
        """Aggregated discovery (`apidiscovery.k8s.io/v2`): /api and /apis, nothing else;
        None from a server that answers with the legacy documents."""
        found: list[ApiResource] = []
        for path in ("/api", "/apis"):
            document, content_type = await self._get_with_type(
                path, accept=discovery_cache.DISCOVERY_ACCEPT
            )
            if not discovery_cache.is_aggregated(content_type):
                return None
            for resource in discovery_cache.parse_aggregated(document):
                if "/" in resource.plural:
                    continue
                if not any(r.group_resource == resource.group_resource for r in found):
                    found.append(resource)
        return found

    async def _get_with_type(self, path: str, *, accept: str) -> tuple[Object, str]:
        assert self._session is not None, "use `async with KubeClient(...)`"
        with self._reaching_server():
            async with self._session.get(self._url(path), headers={"Accept": accept}) as response:
                raw = await response.read()
                status, content_type = response.status, response.headers.get("Content-Type", "")
        payload = _decoded(raw)
        text = raw.decode(errors="replace")
        if status >= 400:
            raise ApiError(
                code=status,
                reason=str(payload.get("reason") or status),
                message=str(payload.get("message") or text.strip()),
                status=payload,
            )
        return payload, content_type

    async def _legacy_resources(self) -> list[ApiResource]:
        found: list[ApiResource] = []
        core = await self.request("GET", "/api/v1")
        found += _parse_resource_list("", "v1", core)
        groups = await self.request("GET", "/apis")
        for group in groups.get("groups", []):
            preferred = group.get("preferredVersion", {}).get("version")
            versions = [v["version"] for v in group.get("versions", [])]
            for version in [preferred] + [v for v in versions if v != preferred]:
                if version is None:
                    continue
                listing = await self.request("GET", f"/apis/{group['name']}/{version}")
                for resource in _parse_resource_list(group["name"], version, listing):
                    if not any(r.group_resource == resource.group_resource for r in found):
                        found.append(resource)
        return found

    async def _refreshed(self) -> bool:
        """Discovery came from the disk cache: fetch it again (a resource created since)."""
        if not self._from_cache:
            return False
        if self.cache_dir is not None:
            discovery_cache.forget(self.cache_dir)
        self._resources = None
        await self.resources()
        return True

    async def resolve(self, name: str) -> ApiResource:
        """kubectl's lookup: plural, singular, short name or kind, optionally `.group`."""
        found = resolve_in(await self.resources(), name)
        if found is None and await self._refreshed():
            found = resolve_in(await self.resources(), name)
        if found is None:
            raise UnknownResourceError(name)
        return found

    async def resource_for(self, api_version: str, kind: str) -> ApiResource:
        group, _, version = api_version.rpartition("/")
        resources = await self.resources()
        if not any(r.kind == kind and r.group == group for r in resources):
            await self._refreshed()
        for candidate in await self.resources():
            if candidate.kind == kind and candidate.group == group:
                if candidate.version == version:
                    return candidate
        for candidate in await self.resources():
            if candidate.kind == kind and candidate.group == group:
                return replace_version(candidate, version)
        raise UnknownResourceError(f"{kind}.{api_version}")

    async def get(self, resource: ApiResource, namespace: str | None, name: str) -> Object:
        return await self.request("GET", resource.item_path(namespace, name))

    async def list(
        self,
        resource: ApiResource,
        *,
        namespace: str | None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> Object:
        params: dict[str, str] = {}
        if label_selector:
            params["labelSelector"] = label_selector
        if field_selector:
            params["fieldSelector"] = field_selector
        return await self.request("GET", resource.collection_path(namespace), params=params)

    async def apply(
        self, resource: ApiResource, obj: Object, *, field_manager: str, force: bool = False
    ) -> Object:
        metadata = obj.get("metadata") or {}
        namespace = metadata.get("namespace") if resource.namespaced else None
        params = {"fieldManager": field_manager}
        if force:
            params["force"] = "true"
        return await self.request(
            "PATCH",
            resource.item_path(namespace, metadata["name"]),
            params=params,
            body=json.dumps(obj),
            content_type="application/apply-patch+yaml",
        )

    async def delete(self, resource: ApiResource, namespace: str | None, name: str) -> Object:
        return await self.request("DELETE", resource.item_path(namespace, name))

    async def watch(
        self,
        resource: ApiResource,
        *,
        namespace: str | None,
        resource_version: str,
        label_selector: str | None = None,
    ) -> AsyncIterator[Object]:
        assert self._session is not None
        params = {"watch": "true", "resourceVersion": resource_version}
        if label_selector:
            params["labelSelector"] = label_selector
        with self._reaching_server():
            async with self._session.get(
                self._url(resource.collection_path(namespace)),
                params=params,
                timeout=aiohttp.ClientTimeout(total=None, sock_read=None),
            ) as response:
                if response.status >= 400:
                    payload = await response.json()
                    raise ApiError(
                        response.status,
                        payload.get("reason", ""),
                        payload.get("message", ""),
                        payload,
                    )
                async for line in response.content:
                    if line.strip():
                        yield json.loads(line)


def _decoded(raw: bytes) -> Object:
    """A JSON object body (orjson: a list of thousands parses several times faster), else {}."""
    if not raw.lstrip().startswith(b"{"):
        return {}
    decoded = orjson.loads(raw)
    return decoded if isinstance(decoded, dict) else {}


def resolve_in(resources: list[ApiResource], name: str) -> ApiResource | None:
    lowered = name.lower()
    for candidate in resources:
        if lowered in (candidate.group_resource, f"{candidate.singular}.{candidate.group}"):
            return candidate
    for candidate in resources:
        names = {candidate.plural, candidate.singular, candidate.kind.lower()}
        if lowered in names or lowered in candidate.short_names:
            return candidate
    return None


def replace_version(resource: ApiResource, version: str) -> ApiResource:
    return ApiResource(
        group=resource.group,
        version=version,
        plural=resource.plural,
        singular=resource.singular,
        kind=resource.kind,
        namespaced=resource.namespaced,
        short_names=resource.short_names,
        verbs=resource.verbs,
    )


def _parse_resource_list(group: str, version: str, listing: Object) -> list[ApiResource]:
    parsed = []
    for entry in listing.get("resources", []):
        if "/" in entry["name"]:
            continue
        parsed.append(
            ApiResource(
                group=group,
                version=version,
                plural=entry["name"],
                singular=entry.get("singularName") or entry["kind"].lower(),
                kind=entry["kind"],
                namespaced=bool(entry.get("namespaced")),
                short_names=tuple(entry.get("shortNames") or ()),
                verbs=tuple(entry.get("verbs") or ()),
            )
        )
    return parsed


def endpoint_from_kubeconfig(path: str, *, context: str | None = None) -> Endpoint:
    """Read the server, CA and bearer token of a kubeconfig's (current) context."""
    import base64
    from pathlib import Path

    import yaml

    config = yaml.safe_load(Path(path).read_text()) or {}
    context_name = context or config.get("current-context")
    contexts = {c["name"]: c.get("context", {}) for c in config.get("contexts") or []}
    if context_name not in contexts:
        raise ValueError(f'context "{context_name}" does not exist in {path}')
    chosen = contexts[context_name]
    clusters = {c["name"]: c.get("cluster", {}) for c in config.get("clusters") or []}
    users = {u["name"]: u.get("user", {}) for u in config.get("users") or []}
    cluster = clusters.get(chosen.get("cluster"), {})
    user = users.get(chosen.get("user"), {})
    ca_pem: bytes | None = None
    if cluster.get("certificate-authority-data"):
        ca_pem = base64.b64decode(cluster["certificate-authority-data"])
    elif cluster.get("certificate-authority"):
        ca_pem = Path(cluster["certificate-authority"]).read_bytes()
    token = user.get("token")
    if not token and user.get("tokenFile"):
        token = Path(user["tokenFile"]).read_text().strip()
    if "server" not in cluster:
        raise ValueError(f"kubeconfig {path} has no server for context {context_name!r}")
    return Endpoint(
        server=cluster["server"],
        token=token,
        ca_pem=ca_pem,
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
    )
