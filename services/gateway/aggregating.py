"""The gateway's kube-aggregator: `metrics.k8s.io` and `custom.metrics.k8s.io` served by
telemetry, reached over NATS request/reply (`navarch.telemetry.query`), never over HTTP.

As kube-aggregator does for an APIService, the gateway lists the groups in discovery itself
(`/apis`, `/apis/<group>`, and aggregated discovery v2 built from telemetry's resource
lists, cached and marked Stale when telemetry cannot be asked), and forwards everything
under `/apis/<group>/<version>` with the authenticated user. Reads of `/api/v1/nodes` go to
telemetry too: the hub has no nodes of its own, and `kubectl top nodes` lists the nodes
beside their metrics, so the hub's nodes are the fleet's (each labelled with its cluster).
"""

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import subjects
from shared.api.aggregated import AggregatedRequest, AggregatedResponse
from shared.bus import Bus
from shared.kubeapi import statuses
from shared.kubeapi.server import USER, error_response
from shared.relaying import NoResponders, RelayError, ask

log = logging.getLogger(__name__)

Object = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

AGGREGATED_GROUPS: dict[str, str] = {
    "metrics.k8s.io": "v1beta1",
    "custom.metrics.k8s.io": "v1beta2",
}
"""Group -> the version telemetry serves (what an APIService would register)."""
UNAVAILABLE = "the server is currently unable to handle the request"
DISCOVERY_USER = "system:kube-aggregator"


class AggregationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NAVARCH_GATEWAY_AGGREGATED_", extra="ignore")

    timeout_s: float = Field(
        default=5.0, gt=0, description="how long the gateway waits for telemetry's answer"
    )
    discovery_ttl_s: float = Field(
        default=30.0, gt=0, description="how long telemetry's resource lists stay cached"
    )


def forwarded(request: web.Request) -> bool:
    """Whether telemetry answers this request rather than the hub's store."""
    segments = [segment for segment in request.path.split("/") if segment]
    if len(segments) >= 3 and segments[0] == "apis" and segments[1] in AGGREGATED_GROUPS:
        return True
    is_watch = request.query.get("watch") in ("true", "1")
    return (
        segments[:3] == ["api", "v1", "nodes"]
        and len(segments) <= 4
        and request.method in ("GET", "HEAD")
        and not is_watch
    )


def warning_header(text: str) -> str:
    """`299 - "text"` with `\\` and `"` escaped, as kube-apiserver writes warnings; unescaped
    quotes make client-go drop the header."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 - "{escaped}"'


def group_entry(group: str) -> Object:
    version = AGGREGATED_GROUPS[group]
    listed = {"groupVersion": f"{group}/{version}", "version": version}
    return {"name": group, "versions": [listed], "preferredVersion": listed}


def api_group(group: str) -> Object:
    return {"kind": "APIGroup", "apiVersion": "v1", **group_entry(group)}


def with_groups(group_list: Object) -> Object:
    """An APIGroupList with the aggregated groups appended (once)."""
    known = {entry["name"] for entry in group_list.get("groups") or []}
    extra = [group_entry(group) for group in AGGREGATED_GROUPS if group not in known]
    return {**group_list, "groups": [*(group_list.get("groups") or []), *extra]}


def discovery_resources(resource_list: Object) -> list[Object]:
    """APIResourceList entries in aggregated discovery's shape (kube-aggregator's conversion):
    `parent/sub` names become subresources of their parent."""
    group, _, version = str(resource_list.get("groupVersion", "")).partition("/")
    resources: dict[str, Object] = {}
    for entry in resource_list.get("resources") or []:
        name = entry["name"]
        parent, _, sub = name.partition("/")
        kind = {"group": group, "version": version, "kind": entry.get("kind", "")}
        scope = "Namespaced" if entry.get("namespaced") else "Cluster"
        if not sub:
            resources[name] = {
                **resources.get(name, {}),
                "resource": name,
                "responseKind": kind,
                "scope": scope,
                "singularResource": entry.get("singularName") or "",
                "verbs": list(entry.get("verbs") or []),
            }
            continue
        holder = resources.setdefault(
            parent,
            {"resource": parent, "responseKind": kind, "scope": scope, "verbs": []},
        )
        holder.setdefault("subresources", []).append(
            {"subresource": sub, "responseKind": kind, "verbs": list(entry.get("verbs") or [])}
        )
    return [resources[name] for name in sorted(resources)]


@dataclass
class CachedList:
    resources: list[Object] = field(default_factory=list)
    fetched_at: float | None = None
    fresh: bool = False


def discovery_item(group: str, cached: CachedList) -> Object:
    return {
        "metadata": {"name": group},
        "versions": [
            {
                "version": AGGREGATED_GROUPS[group],
                "resources": cached.resources,
                "freshness": "Current" if cached.fresh else "Stale",
            }
        ],
    }


class AggregatedApis:
    """The middleware that forwards aggregated paths and adds their groups to discovery."""

    def __init__(self, bus: Bus, settings: AggregationSettings | None = None) -> None:
        self._bus = bus
        self._settings = settings or AggregationSettings()
        self._lists: dict[str, CachedList] = {group: CachedList() for group in AGGREGATED_GROUPS}

    async def relay(self, request: AggregatedRequest) -> tuple[AggregatedResponse, bytes]:
        """telemetry's answer, or a 503 Status when it cannot be had in time."""
        try:
            return await ask(
                self._bus, subjects.TELEMETRY_QUERY, request, timeout=self._settings.timeout_s
            )
        except (NoResponders, TimeoutError, RelayError) as error:
            log.warning("telemetry did not answer: %r", error, extra={"path": request.path})
            failure = statuses.unavailable(UNAVAILABLE)
            return AggregatedResponse(status=failure.code), orjson.dumps(failure.status())

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        user = request.get(USER)
        relayed = AggregatedRequest(
            method=request.method,
            path=request.path,
            query=list(request.query.items()),
            user=user.name if user is not None else "",
            groups=list(user.groups) if user is not None else [],
        )
        head, body = await self.relay(relayed)
        response = web.Response(
            body=body, status=head.status, headers={"Content-Type": head.content_type}
        )
        for warning in head.warnings:
            response.headers.add("Warning", warning_header(warning))
        return response

    async def _resource_list(self, group: str) -> CachedList:
        cached = self._lists[group]
        now = time.monotonic()
        if (
            cached.fetched_at is not None
            and now - cached.fetched_at < self._settings.discovery_ttl_s
        ):
            return cached
        head, body = await self.relay(
            AggregatedRequest(path=f"/apis/{group}/{AGGREGATED_GROUPS[group]}", user=DISCOVERY_USER)
        )
        if head.status != 200:
            cached.fresh = False
            return cached
        self._lists[group] = CachedList(
            resources=discovery_resources(orjson.loads(body)), fetched_at=now, fresh=True
        )
        return self._lists[group]

    async def _with_discovery(self, response: web.StreamResponse) -> web.StreamResponse:
        if not isinstance(response, web.Response) or response.body is None:
            return response
        content_type = response.headers.get("Content-Type", "")
        document = orjson.loads(bytes(response.body))  # type: ignore[arg-type]
        if "as=APIGroupDiscoveryList" in content_type:
            known = {item["metadata"].get("name") for item in document.get("items") or []}
            extra = [
                discovery_item(group, await self._resource_list(group))
                for group in AGGREGATED_GROUPS
                if group not in known
            ]
            document = {**document, "items": [*(document.get("items") or []), *extra]}
        else:
            document = with_groups(document)
        merged = web.Response(body=orjson.dumps(document), status=response.status)
        merged.headers.update(
            {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        )
        return merged

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        segments = [segment for segment in request.path.split("/") if segment]
        if forwarded(request):
            return await self._forward(request)
        if len(segments) == 2 and segments[0] == "apis" and segments[1] in AGGREGATED_GROUPS:
            if request.method not in ("GET", "HEAD"):
                return error_response(statuses.method_not_allowed(request.method, request.path))
            return web.Response(
                body=orjson.dumps(api_group(segments[1])), content_type="application/json"
            )
        response = await handler(request)
        if segments == ["apis"] and request.method in ("GET", "HEAD") and response.status == 200:
            return await self._with_discovery(response)
        return response
