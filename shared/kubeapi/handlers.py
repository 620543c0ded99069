"""Resource requests: list, get, create, replace, delete, and routing to patch, scale and watch.

Each handler turns one REST call into store calls with Kubernetes' rules around them
(namespaces must exist and be active, status subresources, managedFields, validation,
dryRun). Store errors are not caught here: the server maps them once.
"""

import asyncio
import copy
import inspect
from typing import Any

import orjson
from aiohttp import web

from shared.kubeapi import (
    defaulting,
    managedfields,
    patchhandlers,
    scaling,
    statuses,
    tables,
    watching,
)
from shared.kubeapi.admitting import FIELD_VALIDATION_MODES, admit, warning_headers
from shared.kubeapi.crds import CrdSync
from shared.kubeapi.listing import (
    ContinueToken,
    ListSnapshots,
    Selection,
    expired_continue,
    first_page,
    page_from,
    parse_field_selector,
    parse_labels,
    sort_items,
)
from shared.kubeapi.namespaces import NamespaceLifecycle
from shared.kubeapi.patching import StrategyLookup, builtin_strategy, schema_strategy
from shared.kubeapi.registry import CRD_GROUP_RESOURCE, InvalidCrdError, Kind, Registry
from shared.kubeapi.statuses import FieldCause
from shared.kubeapi.storage import Storage, Validator
from shared.kubeapi.targets import (
    OBJECT_NAME,
    Target,
    default_manager,
    generated_name,
    is_dry_run,
    present,
    query_flag,
    read_body,
    respond,
)
from shared.runtime.tasks import OwnedTasks
from shared.store.errors import NotFoundError
from shared.store.objects import utc_timestamp

Object = dict[str, Any]


class Handlers:
    """Shared state of one API server and the handlers that use it."""

    def __init__(
        self,
        *,
        storage: Storage,
        registry: Registry,
        validator: Validator | None,
        settings: Any,
        snapshots: ListSnapshots,
        tasks: OwnedTasks,
        closing: asyncio.Event,
        namespaces: NamespaceLifecycle,
        crds: CrdSync,
    ) -> None:
        self.storage = storage
        self.registry = registry
        self.validator = validator
        self.settings = settings
        self.snapshots = snapshots
        self.tasks = tasks
        self.closing = closing
        self.namespaces = namespaces
        self.crds = crds

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

    def strategy(self, kind: Kind) -> StrategyLookup:
        return builtin_strategy(kind.kind) if kind.builtin else schema_strategy(kind.schema)

    def write_context(
        self, request: web.Request, target: Target, *, manager: str | None = None
    ) -> managedfields.WriteContext:
        return managedfields.WriteContext(
            manager=manager or request.query.get("fieldManager") or default_manager(request),
            api_version=target.resource.api_version,
            time=utc_timestamp(),
            strategy=self.strategy(target.kind),
            subresource=target.subresource or "",
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

    # ---- writes ----

    def check_body(self, target: Target, body: Any) -> Object:
        """The body as an object of this kind, in this namespace, named as the URL says."""
        if not isinstance(body, dict):
            raise statuses.bad_request("the request body must be a JSON object")
        expected = target.resource.api_version
        if (
            body.get("apiVersion", expected) != expected
            or body.get("kind", target.kind.kind) != target.kind.kind
        ):
            if body.get("apiVersion", expected) != expected:
                raise statuses.bad_request(
                    f"the API version in the data ({body.get('apiVersion')}) does not match "
                    f"the expected API version ({expected})"
                )
            raise statuses.bad_request(
                f"the kind in the data ({body.get('kind')}) does not match the expected kind "
                f"({target.kind.kind})"
            )
        body["apiVersion"], body["kind"] = expected, target.kind.kind
        metadata = body.setdefault("metadata", {})
        if not isinstance(metadata, dict):
            raise statuses.bad_request("metadata must be an object")
        if target.kind.namespaced:
            if (
                metadata.get("namespace")
                and target.namespace
                and metadata["namespace"] != target.namespace
            ):
                raise statuses.bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            if target.namespace:
                metadata["namespace"] = target.namespace
        else:
            metadata.pop("namespace", None)
        if target.name is not None and metadata.get("name", target.name) != target.name:
            raise statuses.bad_request(
                f"the name of the object ({metadata.get('name')}) does not match the name on "
                f"the URL ({target.name})"
            )
        if target.name is not None:
            metadata["name"] = target.name
        return body

    async def validate(
        self, request: web.Request, target: Target, obj: Object, *, creating: bool = False
    ) -> dict[str, str]:
        """Normalise, decode and validate (admitting.py), then run the validator hook: 400 on
        what cannot be decoded, 422 on causes, Warning headers for what `Warn` reports."""
        defaulting.normalize(target.kind, obj)
        mode = request.query.get("fieldValidation") or "Warn"
        if mode not in FIELD_VALIDATION_MODES:
            raise statuses.bad_request(
                f'fieldValidation must be one of "Ignore", "Warn", "Strict", got "{mode}"'
            )
        admission = admit(target.kind, obj, mode=mode, creating=creating)
        causes = admission.causes + await self._causes(target, obj, strict=mode == "Strict")
        if target.kind.resource.group_resource == CRD_GROUP_RESOURCE:
            try:
                self.registry.check_crd(obj)
            except InvalidCrdError as error:
                causes.append(FieldCause(field=error.field, message=error.message))
        if causes:
            raise statuses.invalid_object(target.resource, obj["metadata"].get("name", ""), causes)
        warnings = admission.warnings
        if mode == "Warn" and self.validator is not None:
            extra = await self._causes(target, obj, strict=True)
            warnings = warnings + [f"{cause.field}: {cause.message}" for cause in extra]
        return warning_headers(warnings)

    async def _causes(self, target: Target, obj: Object, *, strict: bool) -> list[FieldCause]:
        if self.validator is None:
            return []
        result = self.validator(target.resource, obj, strict)
        if inspect.isawaitable(result):
            result = await result
        return list(result)

    def admit_create(self, target: Target, obj: Object) -> Object:
        """Server-side defaults on create: status reset, namespace phase, generated names."""
        if target.resource.status_subresource:
            obj.pop("status", None)
        if target.kind.kind == "Namespace" and target.kind.group == "":
            self.namespaces.default(obj)
        return obj

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
        obj = self.admit_create(target, obj)
        warnings = await self.validate(request, target, obj, creating=True)
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

    async def store_update(
        self,
        request: web.Request,
        target: Target,
        *,
        current: Object,
        new: Object,
        manager: str | None = None,
        record: bool = True,
    ) -> web.Response:
        stored, warnings = await self.update_object(
            request, target, current=current, new=new, manager=manager, record=record
        )
        return respond(present(target.kind, stored), headers=warnings)

    async def update_object(
        self,
        request: web.Request,
        target: Target,
        *,
        current: Object,
        new: Object,
        manager: str | None = None,
        record: bool = True,
    ) -> tuple[Object, dict[str, str]]:
        """Validate, record ownership and write `new` over `current` (CAS on its RV if set)."""
        metadata = new.setdefault("metadata", {})
        current_metadata = current["metadata"]
        if "managedFields" not in metadata and "managedFields" in current_metadata:
            metadata["managedFields"] = current_metadata["managedFields"]
        if current_metadata.get("deletionTimestamp"):
            added = set(metadata.get("finalizers") or []) - set(
                current_metadata.get("finalizers") or []
            )
            if added:
                raise statuses.forbidden(
                    "no new finalizers can be added if the object is being deleted",
                    resource=target.resource,
                    name=target.name or "",
                )
        warnings = await self.validate(request, target, new)
        if record:
            context = self.write_context(request, target, manager=manager)
            managedfields.record_update(current, new, context=context)
        if is_dry_run(request):
            return new, warnings
        if target.subresource == "status":
            stored = await self.storage.update_status(target.resource, new)
        else:
            stored = await self.storage.update(target.resource, new)
        if target.resource.group_resource == CRD_GROUP_RESOURCE:
            self.crds.changed(stored)
        return stored, warnings

    async def finalize(self, request: web.Request, target: Target) -> web.Response:
        """`PUT namespaces/<ns>/finalize`: only `spec.finalizers` of the body is taken."""
        body = self.check_body(target, await read_body(request))
        current = await self.storage.get(target.resource, None, target.name or "")
        new = copy.deepcopy(current)
        new.setdefault("spec", {})["finalizers"] = (body.get("spec") or {}).get("finalizers") or []
        main = Target(target.kind, None, target.name, None)
        return await self.store_update(request, main, current=current, new=new)

    async def _delete_options(self, request: web.Request) -> Object:
        options: Object = {}
        if request.body_exists:
            raw = await request.read()
            if raw.strip():
                try:
                    options = orjson.loads(raw)
                except orjson.JSONDecodeError as error:
                    raise statuses.bad_request(f"invalid DeleteOptions: {error}") from error
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
