"""The `/scale` subresource: an `autoscaling/v1 Scale` view of a workload's replica count."""

import copy
from typing import Any

from aiohttp import web

from shared.api.kind_table import ScaleSpec
from shared.kubeapi import statuses
from shared.kubeapi.bodymodels import Scale, parse_body
from shared.kubeapi.patchhandlers import patch_object
from shared.kubeapi.targets import Target, read_body, respond
from shared.kubeapi.writing import ObjectWriter

Object = dict[str, Any]


def _get_path(obj: Object, path: str) -> Any:
    node: Any = obj
    for part in path.strip(".").split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _set_path(obj: Object, path: str, value: Any) -> None:
    parts = path.strip(".").split(".")
    node = obj
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _selector_string(selector: Any) -> str:
    if isinstance(selector, str):
        return selector
    if not isinstance(selector, dict):
        return ""
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        operator, key = expression.get("operator"), expression.get("key")
        values = ",".join(expression.get("values") or [])
        terms.append(
            {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": key}.get(
                operator, f"!{key}"
            )
        )
    return ",".join(terms)


def to_scale(obj: Object, spec: ScaleSpec) -> Object:
    metadata = obj["metadata"]
    status: Object = {"replicas": _get_path(obj, spec.status_replicas) or 0}
    if spec.label_selector:
        selector = _selector_string(_get_path(obj, spec.label_selector))
        if selector:
            status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            key: metadata[key]
            for key in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if key in metadata
        },
        "spec": {"replicas": _get_path(obj, spec.spec_replicas) or 0},
        "status": status,
    }


async def get_scale(handlers: ObjectWriter, request: web.Request, target: Target) -> web.Response:
    del request
    obj = await handlers.storage.get(target.resource, target.namespace, target.name or "")
    assert target.kind.scale is not None
    return respond(to_scale(obj, target.kind.scale))


async def _write_scale(
    handlers: ObjectWriter, request: web.Request, target: Target, *, current: Object, scale: Object
) -> web.Response:
    spec = target.kind.scale
    assert spec is not None
    parsed = parse_body(Scale, scale, what="Scale")
    replicas = parsed.spec.replicas if parsed.spec is not None else None
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise statuses.invalid(
            kind="Scale",
            group="autoscaling",
            name=target.name or "",
            causes=[
                statuses.FieldCause(
                    "spec.replicas",
                    f"Invalid value: {replicas}: must be greater than or equal to 0",
                )
            ],
        )
    requested_rv = parsed.metadata.resource_version if parsed.metadata is not None else None
    if requested_rv and requested_rv != current["metadata"]["resourceVersion"]:
        raise statuses.conflict_on(target.resource, target.name or "")
    new = copy.deepcopy(current)
    _set_path(new, spec.spec_replicas, replicas)
    main = Target(target.kind, target.namespace, target.name, None)
    stored, warnings = await handlers.update_object(request, main, current=current, new=new)
    return respond(to_scale(stored, spec), headers=warnings)


async def put_scale(handlers: ObjectWriter, request: web.Request, target: Target) -> web.Response:
    scale = await read_body(request)
    if not isinstance(scale, dict):
        raise statuses.bad_request("the request body must be a Scale object")
    current = await handlers.storage.get(target.resource, target.namespace, target.name or "")
    return await _write_scale(handlers, request, target, current=current, scale=scale)


async def patch_scale(handlers: ObjectWriter, request: web.Request, target: Target) -> web.Response:
    body = await read_body(request)
    current = await handlers.storage.get(target.resource, target.namespace, target.name or "")
    assert target.kind.scale is not None
    content_type = request.content_type
    patched = patch_object(
        to_scale(current, target.kind.scale),
        body,
        content_type=content_type,
        builtin=True,
        kind="Scale",
    )
    return await _write_scale(handlers, request, target, current=current, scale=patched)
