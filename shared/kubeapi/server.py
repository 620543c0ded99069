"""The aiohttp application: routing, authentication, and the one place errors become Statuses.

`create_app(storage, ...)` returns an app that can run alone or be mounted under a prefix
(`parent.add_subapp("/clusters/east", app)`); every URL it emits carries that prefix.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from shared.api.kind_table import KUBERNETES_KINDS
from shared.kubeapi import discovery, statuses
from shared.kubeapi.bodies import BODY_LIMITS, BodyLimits, body_middleware, too_large
from shared.kubeapi.crds import CrdSync
from shared.kubeapi.handlers import Handlers, Target
from shared.kubeapi.listing import ListSnapshots
from shared.kubeapi.namespaces import NamespaceLifecycle
from shared.kubeapi.registry import Registry, hub_registry
from shared.kubeapi.storage import Authenticator, Storage, User, Validator
from shared.kubeapi.targets import OBJECT_NAME
from shared.runtime.tasks import OwnedTasks
from shared.store.errors import StoreError, TooLargeError

log = logging.getLogger(__name__)

Object = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SEED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
OPEN_PATHS = frozenset({"healthz", "livez", "readyz"})


@dataclass(frozen=True)
class ServerSettings:
    """Tunables of one API server; defaults follow kube-apiserver's."""

    git_version: str = "v1.32.0"
    bookmark_interval_s: float = 60.0
    min_request_timeout_s: float = 1800.0
    continue_ttl_s: float = 300.0
    max_body_bytes: int = 3 * 1024 * 1024
    """kube-apiserver's `MaxRequestBodyBytes`: larger bodies are 413."""
    max_body_depth: int = 100
    """Bodies nested deeper are 400 (below the store's 128, see shared/store/limits.py)."""
    body_timeout_s: float = 60.0
    """A body not received in this time is 408 (kube-apiserver's default request timeout)."""
    seed_namespaces: tuple[str, ...] = SEED_NAMESPACES
    namespace_retry_s: float = 0.5


APP_KEY = web.AppKey("navarch_kubeapi", Handlers)
USER = web.RequestKey("navarch_user", User)


def json_response(body: Object, *, content_type: str = "application/json") -> web.Response:
    """JSON with an exact Content-Type (aggregated discovery needs its media-type parameters)."""
    return web.Response(body=orjson.dumps(body), headers={"Content-Type": content_type})


def error_response(error: statuses.ApiError) -> web.Response:
    response = web.Response(
        body=orjson.dumps(error.status()), status=error.code, content_type="application/json"
    )
    response.headers.update(error.headers)
    if error.headers.get("Connection") == "close":
        response.force_close()
    return response


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except statuses.ApiError as error:
        return error_response(error)
    except web.HTTPRequestEntityTooLarge:
        return error_response(too_large(request.client_max_size))
    except TooLargeError as error:
        return error_response(too_large(error.limit))
    except StoreError as error:
        log.exception("store error escaped a handler")
        return error_response(statuses.internal(str(error)))


def _auth_middleware(authenticator: Authenticator) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.match_info.get("tail", "").strip("/") in OPEN_PATHS:
            return await handler(request)
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        user = await authenticator(token.strip()) if scheme.lower() == "bearer" and token else None
        if user is None:
            return error_response(statuses.unauthorized())
        request[USER] = user
        return await handler(request)

    return authenticate


def mount_prefix(request: web.Request) -> str:
    """The path this app is mounted under ("" at the root, "/clusters/east" as a sub-app)."""
    tail = request.match_info.get("tail", "")
    path = request.path
    return path[: len(path) - len(tail) - 1] if path.endswith(tail) else ""


async def _dispatch(request: web.Request) -> web.StreamResponse:
    handlers = request.app[APP_KEY]
    segments = [segment for segment in request.match_info["tail"].split("/") if segment]
    accept = request.headers.get("Accept", "")
    registry = handlers.registry
    match segments:
        case ["api", "v1", _, *_]:
            return await _resource(request, handlers, "", "v1", segments[2:])
        case ["apis", group, version, _, *_]:
            return await _resource(request, handlers, group, version, segments[3:])
    if request.method not in ("GET", "HEAD"):
        raise statuses.method_not_allowed(request.method, request.path)
    match segments:
        case [] | ["healthz" | "livez" | "readyz"]:
            return web.Response(text="ok")
        case ["version"]:
            return json_response(discovery.version_info(git_version=handlers.settings.git_version))
        case ["api"]:
            if media := discovery.wants_aggregated(accept):
                return json_response(
                    discovery.aggregated(registry, core=True, media_type=media), content_type=media
                )
            return json_response(discovery.api_versions(server_address=request.host))
        case ["apis"]:
            if media := discovery.wants_aggregated(accept):
                return json_response(
                    discovery.aggregated(registry, core=False, media_type=media), content_type=media
                )
            return json_response(discovery.api_group_list(registry))
        case ["apis", group]:
            document = discovery.api_group(registry, group)
        case ["api", "v1"]:
            document = discovery.api_resource_list(registry, "", "v1")
        case ["apis", group, version]:
            document = discovery.api_resource_list(registry, group, version)
        case ["openapi", "v3"]:
            document = discovery.openapi_v3_index(registry, prefix=mount_prefix(request))
        case ["openapi", "v3", "api", version]:
            document = discovery.openapi_v3_group_version(registry, "", version)
        case ["openapi", "v3", "apis", group, version]:
            document = discovery.openapi_v3_group_version(registry, group, version)
        case _:
            document = None
    if document is None:
        raise statuses.path_not_found(request.path)
    return json_response(document)


def _target(handlers: Handlers, group: str, version: str, rest: list[str], path: str) -> Target:
    namespace = None
    is_namespace_sub = len(rest) == 3 and rest[2] in ("status", "finalize") and group == ""
    if len(rest) >= 3 and rest[0] == "namespaces" and not is_namespace_sub:
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise statuses.path_not_found(path)
    kind = handlers.registry.lookup(group, version, rest[0])
    if kind is None:
        raise statuses.path_not_found(path)
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else None
    if namespace is not None and not kind.namespaced:
        raise statuses.path_not_found(path)
    if kind.namespaced and namespace is None and name is not None:
        raise statuses.path_not_found(path)
    return Target(kind=kind, namespace=namespace, name=name, subresource=subresource)


async def _resource(
    request: web.Request, handlers: Handlers, group: str, version: str, rest: list[str]
) -> web.StreamResponse:
    target = _target(handlers, group, version, rest, request.path)
    try:
        return await handlers.handle(request, target)
    except StoreError as error:
        name = target.name or request.get(OBJECT_NAME, "")
        raise statuses.from_store_error(error, resource=target.kind.resource, name=name) from error


def create_app(
    storage: Storage,
    *,
    registry: Registry | None = None,
    authenticator: Authenticator | None = None,
    validator: Validator | None = None,
    settings: ServerSettings | None = None,
) -> web.Application:
    """A Kubernetes-compatible API over `storage`; mount it anywhere with `add_subapp`.

    On startup it seeds the namespaces and serves the CRDs already stored; on shutdown it
    ends open watches so the server stops promptly.
    """
    settings = settings or ServerSettings()
    registry = registry or hub_registry()
    if registry.namespace_kind() is None:
        registry.add(KUBERNETES_KINDS[0])
    tasks = OwnedTasks("kubeapi")
    closing = asyncio.Event()
    namespaces = NamespaceLifecycle(
        storage, registry, tasks=tasks, retry_s=settings.namespace_retry_s
    )
    crds = CrdSync(storage, registry, tasks=tasks)
    handlers = Handlers(
        storage=storage,
        registry=registry,
        validator=validator,
        settings=settings,
        snapshots=ListSnapshots(ttl_seconds=settings.continue_ttl_s),
        tasks=tasks,
        closing=closing,
        namespaces=namespaces,
        crds=crds,
    )
    body_limits = BodyLimits(
        max_bytes=settings.max_body_bytes,
        max_depth=settings.max_body_depth,
        timeout_s=settings.body_timeout_s,
    )
    middlewares: list[Any] = [errors_middleware]
    if authenticator is not None:
        middlewares.append(_auth_middleware(authenticator))
    middlewares.append(body_middleware(body_limits))
    app = web.Application(middlewares=middlewares, client_max_size=settings.max_body_bytes)
    app[APP_KEY] = handlers
    app[BODY_LIMITS] = body_limits

    async def start(_app: web.Application) -> None:
        closing.clear()
        await namespaces.seed(settings.seed_namespaces)
        await crds.start()
        await namespaces.resume()

    async def shutdown(_app: web.Application) -> None:
        closing.set()

    async def cleanup(_app: web.Application) -> None:
        closing.set()
        await tasks.stop()

    app.on_startup.append(start)
    app.on_shutdown.append(shutdown)
    app.on_cleanup.append(cleanup)
    app.router.add_route("*", "/{tail:.*}", _dispatch)
    return app
