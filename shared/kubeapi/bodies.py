"""Request bodies, read and decoded within bounds, with kube-apiserver's answers.

Size: a body over the limit (3 MiB, kube-apiserver's `MaxRequestBodyBytes`) is 413
`Request entity too large: limit is 3145728`. Time: a body that does not arrive within
the body timeout is 408, and the connection closes. Shape: YAML aliases, decoded size and
nesting are bounded (`shared.safeyaml`), and JSON nested deeper than `max_depth` is 400,
so no recursive walk over a user object (managed fields, patches, merges) ever meets a
body deep enough to exhaust the stack.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
import yaml
from aiohttp import web

from shared import nesting, safeyaml
from shared.kubeapi import protobuf, statuses, yamljson

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class BodyLimits:
    max_bytes: int = 3 * 1024 * 1024
    max_depth: int = 100
    timeout_s: float = 60.0

    def yaml_limits(self) -> safeyaml.YamlLimits:
        return safeyaml.YamlLimits(max_decoded_bytes=self.max_bytes, max_depth=self.max_depth)


BODY_LIMITS = web.AppKey("navarch_body_limits", BodyLimits)


def too_large(limit: int) -> statuses.ApiError:
    return statuses.request_entity_too_large(f"limit is {limit}")


def body_middleware(limits: BodyLimits) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Read every body up front, within the size and time limits, so handlers (and their
    `request.read()`) only ever see a complete, bounded body."""

    @web.middleware
    async def bounded(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.body_exists:
            await _read_bounded(request, limits)
        return await handler(request)

    return bounded


async def _read_bounded(request: web.Request, limits: BodyLimits) -> bytes:
    limit = min(limits.max_bytes, request.client_max_size or limits.max_bytes)
    if request.content_length is not None and request.content_length > limit:
        raise too_large(limit)
    try:
        async with asyncio.timeout(limits.timeout_s):
            raw = await request.read()
    except TimeoutError as error:
        raise statuses.request_timeout(
            f"the request body was not received within {limits.timeout_s:g}s"
        ) from error
    except web.HTTPRequestEntityTooLarge as error:
        raise too_large(limit) from error
    if len(raw) > limit:
        raise too_large(limit)
    return raw


async def read_body(request: web.Request, *, yaml_ok: bool = False) -> Any:
    """The decoded body: protobuf, JSON, or YAML (apply bodies and YAML content types)."""
    limits = request.app.get(BODY_LIMITS) or BodyLimits()
    raw = await _read_bounded(request, limits)
    if not raw:
        raise statuses.bad_request("the request body is empty")
    if request.content_type == "application/vnd.kubernetes.protobuf":
        try:
            body = protobuf.decode(raw)
        except protobuf.ProtobufError as error:
            raise statuses.ApiError(415, "UnsupportedMediaType", str(error)) from error
    else:
        as_yaml = yaml_ok or "yaml" in request.content_type
        body = decode(raw, as_yaml=as_yaml, apply=yaml_ok, limits=limits)
    check_depth(body, max_depth=limits.max_depth)
    return body


def decode(raw: bytes, *, as_yaml: bool, apply: bool, limits: BodyLimits) -> Any:
    """JSON, or YAML (which JSON also is) with bounded aliases; 400 on failure, worded as
    kube-apiserver words it (apply bodies: `error decoding YAML: ...`)."""
    try:
        if as_yaml:
            return _json_or_yaml(raw, limits)
        return orjson.loads(raw)
    except safeyaml.YamlBoundError as error:
        prefix = "error decoding YAML: " if apply else ""
        raise statuses.bad_request(f"{prefix}error converting YAML to JSON: {error}") from error
    except (orjson.JSONDecodeError, yaml.YAMLError, RecursionError) as error:
        raise statuses.bad_request(
            f"the body of the request could not be decoded: {error}"
        ) from error


def _json_or_yaml(raw: bytes, limits: BodyLimits) -> Any:
    """Apply bodies are YAML, but clients (kubernetes-asyncio, kubectl) mostly send JSON,
    which is YAML too: the JSON parser is tried first because it is far faster."""
    if raw.lstrip()[:1] in (b"{", b"["):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return yamljson.load(raw, limits=limits.yaml_limits())


def check_depth(body: Any, *, max_depth: int) -> None:
    """400 for a body nested deeper than `max_depth`, naming where."""
    path = nesting.too_deep(body, max_depth=max_depth)
    if path is not None:
        raise statuses.bad_request(
            "the body of the request could not be decoded: exceeded max depth of "
            f"{max_depth} at {nesting.render(path) or '<root>'}"
        )
