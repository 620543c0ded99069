"""PATCH requests: JSON, merge and strategic merge patches, and server-side apply.

A patch is computed against the object as read and written back with compare-and-set on
that read's resourceVersion; a concurrent writer makes it re-read and re-apply (a few
times), unless the patch itself carries a resourceVersion, which is then a precondition.
"""

import copy
from typing import Any

from aiohttp import web

from shared.kubeapi import managedfields, statuses
from shared.kubeapi.patching import (
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
    builtin_strategy,
)
from shared.kubeapi.statuses import FieldCause
from shared.kubeapi.targets import Target, present, query_flag, read_body, respond
from shared.kubeapi.writing import ObjectWriter
from shared.store.errors import AlreadyExistsError, ConflictError, NotFoundError

Object = dict[str, Any]

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
ATTEMPTS = 8


def patch_object(obj: Object, patch: Any, *, content_type: str, builtin: bool, kind: str) -> Object:
    """`obj` with `patch` applied; 415 for unknown types and strategic patches of custom kinds."""
    try:
        if content_type == JSON_PATCH:
            return apply_json_patch(obj, patch)
        if content_type == MERGE_PATCH:
            if not isinstance(patch, dict):
                raise PatchError("merge patch must be a JSON object", code=400)
            return apply_merge_patch(obj, patch)
        if content_type == STRATEGIC_PATCH and builtin:
            return apply_strategic_merge_patch(obj, patch, strategy=builtin_strategy(kind))
    except PatchError as error:
        if error.code == 400:
            raise statuses.bad_request(str(error)) from error
        raise statuses.ApiError(422, "Invalid", str(error)) from error
    raise statuses.unsupported_media_type(content_type)


async def patch(handlers: ObjectWriter, request: web.Request, target: Target) -> web.Response:
    content_type = request.content_type
    if content_type == APPLY_PATCH:
        return await apply(handlers, request, target)
    if content_type not in (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH):
        raise statuses.unsupported_media_type(content_type)
    if content_type == STRATEGIC_PATCH and not target.kind.builtin:
        raise statuses.unsupported_media_type(content_type)
    body = await read_body(request)
    name = target.name or ""
    for _ in range(ATTEMPTS):
        current = await handlers.storage.get(target.resource, target.namespace, name)
        current_rv = current["metadata"].get("resourceVersion")
        patched = patch_object(
            copy.deepcopy(current),
            body,
            content_type=content_type,
            builtin=target.kind.builtin,
            kind=target.kind.kind,
        )
        if not isinstance(patched.get("metadata"), dict):
            raise statuses.ApiError(422, "Invalid", "metadata: Required value")
        requested_rv = patched["metadata"].get("resourceVersion")
        explicit = requested_rv not in (None, "", current_rv) or _sets_rv(body, content_type)
        if requested_rv not in (None, "") and requested_rv != current_rv:
            raise statuses.conflict_on(target.resource, name)
        _keep_identity(patched, current, target)
        patched["metadata"]["resourceVersion"] = current_rv
        try:
            return await handlers.store_update(request, target, current=current, new=patched)
        except ConflictError:
            if explicit:
                raise
    raise statuses.conflict_on(target.resource, name)


def _sets_rv(body: Any, content_type: str) -> bool:
    if content_type == JSON_PATCH:
        return any(
            isinstance(op, dict) and op.get("path") == "/metadata/resourceVersion"
            for op in body or []
        )
    return isinstance(body, dict) and bool((body.get("metadata") or {}).get("resourceVersion"))


def _keep_identity(patched: Object, current: Object, target: Target) -> None:
    """Name, namespace, apiVersion and kind cannot be patched away."""
    patched["apiVersion"] = current.get("apiVersion", target.resource.api_version)
    patched["kind"] = current.get("kind", target.kind.kind)
    patched["metadata"]["name"] = current["metadata"]["name"]
    if target.kind.namespaced:
        patched["metadata"]["namespace"] = current["metadata"].get("namespace")


def _apply_conflict(target: Target, error: managedfields.ApplyConflictError) -> statuses.ApiError:
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f'conflict with "{conflict.manager}" using {conflict.api_version}',
            "field": conflict.field,
        }
        for conflict in error.conflicts
    ]
    details: Object = {"name": target.name or "", "kind": target.kind.plural, "causes": causes}
    if target.kind.group:
        details["group"] = target.kind.group
    return statuses.ApiError(409, "Conflict", error.message(), details)


async def apply(handlers: ObjectWriter, request: web.Request, target: Target) -> web.Response:
    """Server-side apply: create when missing, merge and own fields otherwise."""
    manager = request.query.get("fieldManager")
    if not manager:
        raise statuses.invalid(
            kind="PatchOptions",
            group="meta.k8s.io",
            name="",
            causes=[
                FieldCause(
                    "fieldManager",
                    "Required value: is required for apply patch",
                    "FieldValueRequired",
                )
            ],
        )
    config = handlers.check_body(target, await read_body(request, yaml_ok=True))
    force = query_flag(request, "force")
    context = handlers.write_context(request, target, manager=manager)
    explicit_rv = config["metadata"].get("resourceVersion")
    name = target.name or ""
    for _ in range(ATTEMPTS):
        try:
            current: Object | None = await handlers.storage.get(
                target.resource, target.namespace, name
            )
        except NotFoundError:
            if target.subresource:
                raise
            current = None
        if (
            current is not None
            and explicit_rv
            and explicit_rv != current["metadata"]["resourceVersion"]
        ):
            raise statuses.conflict_on(target.resource, name)
        try:
            merged = managedfields.apply(current, config, context=context, force=force)
        except managedfields.ApplyConflictError as error:
            raise _apply_conflict(target, error) from error
        metadata = merged.setdefault("metadata", {})
        metadata["name"] = name
        if target.kind.namespaced:
            metadata["namespace"] = target.namespace
        try:
            if current is None:
                return await _create_applied(handlers, request, target, merged)
            metadata["resourceVersion"] = current["metadata"]["resourceVersion"]
            return await handlers.store_update(
                request, target, current=current, new=merged, record=False
            )
        except (ConflictError, AlreadyExistsError, NotFoundError):
            if explicit_rv:
                raise
    raise statuses.conflict_on(target.resource, name)


async def _create_applied(
    handlers: ObjectWriter, request: web.Request, target: Target, obj: Object
) -> web.Response:
    if target.kind.namespaced:
        await handlers.namespaces.ensure_active(target.namespace or "")
    warnings = await handlers.validate(request, target, obj, creating=True)
    obj = handlers.admit_create(target, obj)
    if request.query.getall("dryRun", []):
        return respond(present(target.kind, obj), status=201, headers=warnings)
    created = await handlers.storage.create(target.resource, obj)
    if target.kind.resource.group_resource == "customresourcedefinitions.apiextensions.k8s.io":
        created = await handlers.crds.established(created)
    return respond(present(target.kind, created), status=201, headers=warnings)
