"""The state one API server's handlers share, and the write path every write goes through.

Create, replace, patch, apply and `/scale` all check the body against the URL, validate it
(admitting.py plus the server's validator), record managedFields and store it; watch
requests read the same state. Kept below handlers.py, patchhandlers.py, scaling.py and
watching.py so that they all import it and none of them imports another.
"""

import asyncio
import inspect
from typing import Any

from aiohttp import web

from shared.api.crd_kinds import InvalidCrdError
from shared.api.kind_table import CRD_GROUP_RESOURCE, Kind
from shared.kubeapi import defaulting, managedfields, statuses
from shared.kubeapi.admitting import FIELD_VALIDATION_MODES, admit, warning_headers
from shared.kubeapi.crds import CrdSync
from shared.kubeapi.listing import ListSnapshots
from shared.kubeapi.namespaces import NamespaceLifecycle
from shared.kubeapi.patching import StrategyLookup, builtin_strategy, schema_strategy
from shared.kubeapi.registry import Registry
from shared.kubeapi.statuses import FieldCause
from shared.kubeapi.storage import Storage, Validator
from shared.kubeapi.targets import Target, default_manager, is_dry_run, present, respond
from shared.runtime.tasks import OwnedTasks
from shared.store.objects import utc_timestamp

Object = dict[str, Any]


class ObjectWriter:
    """Shared state of one API server and the checked, validated, recorded write of an object."""

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
