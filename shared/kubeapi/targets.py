"""What a resource request names and how answers are shaped: shared by every handler module."""

import random
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from shared.api.kind_table import Kind
from shared.api.resources import ResourceType
from shared.kubeapi import statuses
from shared.kubeapi.bodies import read_body
from shared.store.objects import GENERATE_NAME_ALPHABET

Object = dict[str, Any]
OBJECT_NAME = web.RequestKey("navarch_object_name", str)
"""The name a create request's body gives, for error messages about it."""


@dataclass(frozen=True)
class Target:
    """What a resource URL names."""

    kind: Kind
    namespace: str | None
    name: str | None
    subresource: str | None

    @property
    def resource(self) -> ResourceType:
        return self.kind.resource


def present(kind: Kind, obj: Object) -> Object:
    """The object as this version serves it (CRD versions share storage, relabelled here)."""
    out = dict(obj)
    out["apiVersion"] = kind.resource.api_version
    out["kind"] = kind.kind
    return out


def respond(
    body: Object, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(body), status=status, content_type="application/json", headers=headers
    )


def query_flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true")


def is_dry_run(request: web.Request, options: Object | None = None) -> bool:
    values = request.query.getall("dryRun", [])
    if options and options.get("dryRun"):
        values = [*values, *options["dryRun"]]
    for value in values:
        if value != "All":
            raise statuses.bad_request(f'unsupported dry run value: "{value}"')
    return bool(values)


def default_manager(request: web.Request) -> str:
    """Kubernetes' default field manager: the user agent up to its first `/`."""
    agent = request.headers.get("User-Agent", "unknown")
    return agent.split("/", 1)[0][:128] or "unknown"


def generated_name(prefix: str) -> str:
    return prefix + "".join(random.choices(GENERATE_NAME_ALPHABET, k=5))


__all__ = [
    "OBJECT_NAME",
    "Target",
    "default_manager",
    "generated_name",
    "is_dry_run",
    "present",
    "query_flag",
    "read_body",
    "respond",
]
