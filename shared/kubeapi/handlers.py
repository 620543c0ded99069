"""Resource requests: list, get, create, replace, delete, and routing to patch, scale and watch.

Each handler turns one REST call into store calls with Kubernetes' rules around them
(namespaces must exist and be active, status subresources, managedFields, validation,
dryRun). Store errors are not caught here: the server maps them once.
"""

import copy
from typing import Any

import orjson
from aiohttp import web

from shared.api.kind_table import CRD_GROUP_RESOURCE
from shared.kubeapi import managedfields, patchhandlers, scaling, statuses, tables, watching
from shared.kubeapi.bodymodels import DeleteOptions, NamespaceFinalize, parse_body
from shared.kubeapi.listing import (
    ContinueToken,
    Selection,
    expired_continue,
    first_page,
    page_from,
    parse_field_selector,
    parse_labels,
    sort_items,
)
from shared.kubeapi.statuses import FieldCause
from shared.kubeapi.targets import (
    OBJECT_NAME,
    Target,
    generated_name,
    is_dry_run,
    present,
    query_flag,
    read_body,
    respond,
)
from shared.kubeapi.writing import ObjectWriter
from shared.store.errors import NotFoundError
from shared.store.objects import utc_timestamp

__all__ = ["Handlers", "Target"]

Object = dict[str, Any]


class Handlers(ObjectWriter):
    """The handlers of one API server: routing, reads, create, replace and deletes.

    The write path they share with patch, scale and watch requests lives in `ObjectWriter`
    (writing.py), below all of them, so those modules need not import this one.
    """

    async def handle(self, request: web.Request, target: Target) -> web.StreamResponse:
        method, sub, kind = request.method, target.subresource, target.kind
        if target.name is None:
            if method == "GET" and query_flag(request, "watch"):
                return await watching.serve_watch(
                    self, request, target, self.selection(request, target)
                )
            routes = {
                "GET": self.list_objects,
                "POST": self.create,
                "DELETE": self.delete_collection,
            }
        elif sub is None:
            routes = {
                "GET": self.get,
                "PUT": self.replace,
                "PATCH": lambda r, t: patchhandlers.patch(self, r, t),
                "DELETE": self.delete,
            }
        elif sub == "status" and kind.resource.status_subresource:
            routes = {
                "GET": self.get,
                "PUT": self.replace,
                "PATCH": lambda r, t: patchhandlers.patch(self, r, t),
            }
        elif sub == "scale" and kind.scale is not None:
            routes = {
                "GET": lambda r, t: scaling.get_scale(self, r, t),
                "PUT": lambda r, t: scaling.put_scale(self, r, t),
                "PATCH": lambda r, t: scaling.patch_scale(self, r, t),
            }
        elif sub == "finalize" and sub in kind.extra_subresources:
            routes = {"PUT": self.finalize}
        else:
            raise statuses.path_not_found(request.path)
        handler = routes.get(method)
        if handler is None:
            raise statuses.method_not_allowed(method, request.path)
        return await handler(request, target)

    def selection(self, request: web.Request, target: Target) -> Selection:
        text = request.query.get("labelSelector", "")
        return Selection(
            parse_labels(text),
            parse_field_selector(request.query.get("fieldSelector"), target.kind),
            text,
        )

    # ---- reads ----

    async def get(self, request: web.Request, target: Target) -> web.Response:
        obj = await self.storage.get(target.resource, target.namespace, target.name or "")
        if tables.wants_table(request.headers.get("Accept", "")):
            meta = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
            return respond(
                tables.table(
                    target.kind,
                    [obj],
                    list_meta=meta,
                    include_object=request.query.get("includeObject", "Metadata"),
                )
            )
        return respond(present(target.kind, obj))

    async def list_objects(self, request: web.Request, target: Target) -> web.Response:
        selection = self.selection(request, target)
        try:
            limit = int(request.query.get("limit") or 0)
        except ValueError as error:
            raise statuses.bad_request(f"invalid limit: {error}") from error
        token_text = request.query.get("continue")
        if token_text:
            token = ContinueToken.decode(token_text)
            if token.snapshot:
                items = self.snapshots.get(token.snapshot)
                if items is None:
                    raise expired_continue(token)
            else:
                items, _ = await self._select(target, selection)
            page = page_from(items, token, limit=limit, counted=selection.empty)
        else:
            items, revision = await self._select(target, selection)
            page = first_page(
                items,
                revision=revision,
                limit=limit,
                snapshots=self.snapshots,
                counted=selection.empty,
            )
        meta: Object = {"resourceVersion": str(page.revision)}
        if page.continue_token:
            meta["continue"] = page.continue_token
        if page.remaining is not None:
            meta["remainingItemCount"] = page.remaining
        if tables.wants_table(request.headers.get("Accept", "")):
            include = request.query.get("includeObject", "Metadata")
            return respond(
                tables.table(target.kind, page.items, list_meta=meta, include_object=include)
            )
        return respond(
            {
                "kind": f"{target.kind.kind}List",
                "apiVersion": target.resource.api_version,
                "metadata": meta,
                "items": [present(target.kind, item) for item in page.items],
            }
        )

    async def _select(self, target: Target, selection: Selection) -> tuple[list[Object], int]:
        listed = await self.storage.list(
            target.resource, namespace=target.namespace, label_selector=selection.labels
        )
        items = [item for item in listed.items if selection.fields.matches(item)]
        return sort_items(items), listed.revision

    async def create(self, request: web.Request, target: Target) -> web.Response:
        obj = self.check_body(target, await read_body(request))
        metadata = obj["metadata"]
        request[OBJECT_NAME] = metadata.get("name") or ""
        if target.kind.namespaced:
            if not metadata.get("namespace"):
                raise statuses.invalid_object(
                    target.resource,
                    metadata.get("name", ""),
                    [FieldCause("metadata.namespace", "Required value", "FieldValueRequired")],
                )
            await self.namespaces.ensure_active(metadata["namespace"])
        # Decoding (the type checks of validation) comes before defaulting, as in
        # kube-apiserver: defaults must never meet a malformed object.
        warnings = await self.validate(request, target, obj, creating=True)
        obj = self.admit_create(target, obj)
        managedfields.record_update(None, obj, context=self.write_context(request, target))
        if is_dry_run(request):
            if not metadata.get("name") and metadata.get("generateName"):
                metadata["name"] = generated_name(metadata["generateName"])
            metadata.setdefault("creationTimestamp", utc_timestamp())
            return respond(present(target.kind, obj), status=201, headers=warnings)
        created = await self.storage.create(target.resource, obj)
        if target.resource.group_resource == CRD_GROUP_RESOURCE:
            created = await self.crds.established(created)
        return respond(present(target.kind, created), status=201, headers=warnings)

    async def replace(self, request: web.Request, target: Target) -> web.Response:
        obj = self.check_body(target, await read_body(request))
        current = await self.storage.get(target.resource, target.namespace, target.name or "")
        return await self.store_update(request, target, current=current, new=obj)

    async def finalize(self, request: web.Request, target: Target) -> web.Response:
        """`PUT namespaces/<ns>/finalize`: only `spec.finalizers` of the body is taken."""
        body = self.check_body(target, await read_body(request))
        current = await self.storage.get(target.resource, None, target.name or "")
        new = copy.deepcopy(current)
        spec = parse_body(NamespaceFinalize, body, what="Namespace").spec
        new.setdefault("spec", {})["finalizers"] = (spec.finalizers if spec else None) or []
        main = Target(target.kind, None, target.name, None)
        return await self.store_update(request, main, current=current, new=new)

    async def _delete_options(self, request: web.Request) -> Object:
        options: Object = {}
        if request.body_exists:
            raw = await request.read()
            if raw.strip():
                try:
                    decoded = orjson.loads(raw)
                except orjson.JSONDecodeError as error:
                    raise statuses.bad_request(f"invalid DeleteOptions: {error}") from error
                parsed = parse_body(DeleteOptions, decoded, what="DeleteOptions")
                options = parsed.model_dump(by_alias=True, exclude_none=True)
        for name in ("propagationPolicy", "gracePeriodSeconds"):
            if name in request.query:
                options[name] = request.query[name]
        policy = options.get("propagationPolicy")
        if policy not in (None, "Background", "Foreground", "Orphan"):
            raise statuses.bad_request(f'propagationPolicy "{policy}" is not supported')
        return options

    async def delete(self, request: web.Request, target: Target) -> web.Response:
        """Foreground and Orphan propagation behave like Background: no garbage collector here."""
        options = await self._delete_options(request)
        preconditions = options.get("preconditions") or {}
        name = target.name or ""
        if target.kind.kind == "Namespace" and target.kind.group == "":
            namespace = await self.namespaces.delete(name, dry_run=is_dry_run(request, options))
            return respond(present(target.kind, namespace))
        if is_dry_run(request, options):
            current = await self.storage.get(target.resource, target.namespace, name)
            return respond(present(target.kind, current))
        result = await self.storage.delete(
            target.resource,
            target.namespace,
            name,
            uid=preconditions.get("uid"),
            resource_version=preconditions.get("resourceVersion"),
        )
        if target.resource.group_resource == CRD_GROUP_RESOURCE and result.deleted:
            self.crds.removed(result.object)
        if not result.deleted:
            return respond(present(target.kind, result.object))
        return respond(statuses.success(target.resource, result.object))

    async def delete_collection(self, request: web.Request, target: Target) -> web.Response:
        selection = self.selection(request, target)
        items, revision = await self._select(target, selection)
        deleted = []
        for item in items:
            metadata = item["metadata"]
            one = Target(target.kind, metadata.get("namespace"), metadata["name"], None)
            try:
                await self.delete(request, one)
            except NotFoundError:
                pass
            deleted.append(present(target.kind, item))
        return respond(
            {
                "kind": f"{target.kind.kind}List",
                "apiVersion": target.resource.api_version,
                "metadata": {"resourceVersion": str(revision)},
                "items": deleted,
            }
        )
