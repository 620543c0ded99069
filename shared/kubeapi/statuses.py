"""Every API failure as a Kubernetes `Status`, and the one place store errors become HTTP errors.

Handlers raise `ApiError` (built by the helpers here) or let `StoreError`s escape; the
server's dispatch calls `from_store_error` once, and the error middleware renders the
Status. Codes, reasons and messages follow kube-apiserver so kubectl prints what users know.
"""

from dataclasses import dataclass, field
from typing import Any

from shared.api.resources import ResourceType
from shared.store.errors import (
    AlreadyExistsError,
    ConflictError,
    ExpiredError,
    InvalidObjectError,
    NotFoundError,
    StoreError,
    TooLargeError,
    UnavailableError,
)

Object = dict[str, Any]


@dataclass(frozen=True)
class FieldCause:
    """One field-level problem, as validators report it and `details.causes[]` carries it."""

    field: str
    message: str
    reason: str = "FieldValueInvalid"

    def to_dict(self) -> Object:
        return {"reason": self.reason, "message": self.message, "field": self.field}


@dataclass
class ApiError(Exception):
    """A non-2xx answer; `status()` is its body."""

    code: int
    reason: str
    message: str
    details: Object | None = None
    list_meta: Object = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code} {self.reason}: {self.message}"

    def status(self) -> Object:
        body: Object = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": dict(self.list_meta),
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def _details(resource: ResourceType | None, name: str | None) -> Object:
    details: Object = {}
    if name:
        details["name"] = name
    if resource is not None:
        if resource.group:
            details["group"] = resource.group
        details["kind"] = resource.plural
    return details


def success(resource: ResourceType, obj: Object) -> Object:
    """What an immediate delete of most kinds answers (`Status{status: Success}`)."""
    metadata = obj.get("metadata", {})
    details = _details(resource, metadata.get("name"))
    if metadata.get("uid"):
        details["uid"] = metadata["uid"]
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(message: str, *, resource: ResourceType | None = None, name: str = "") -> ApiError:
    return ApiError(403, "Forbidden", message, _details(resource, name))


def not_found(resource: ResourceType, name: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{resource.group_resource} "{name}" not found',
        _details(resource, name),
    )


def path_not_found(path: str) -> ApiError:
    return ApiError(404, "NotFound", f"the server could not find the requested resource ({path})")


def namespace_not_found(namespace: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'namespaces "{namespace}" not found',
        {"name": namespace, "kind": "namespaces"},
    )


def method_not_allowed(method: str, what: str) -> ApiError:
    return ApiError(
        405, "MethodNotAllowed", f"the server does not allow this method ({method}) on {what}"
    )


def not_acceptable(message: str) -> ApiError:
    return ApiError(406, "NotAcceptable", message)


def already_exists(resource: ResourceType, name: str) -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{resource.group_resource} "{name}" already exists',
        _details(resource, name),
    )


def conflict(resource: ResourceType | None, name: str, message: str) -> ApiError:
    return ApiError(409, "Conflict", message, _details(resource, name))


def conflict_on(resource: ResourceType, name: str) -> ApiError:
    return conflict(
        resource,
        name,
        f'Operation cannot be fulfilled on {resource.group_resource} "{name}": the object has '
        "been modified; please apply your changes to the latest version and try again",
    )


def expired(message: str, *, continue_token: str | None = None) -> ApiError:
    meta = {"continue": continue_token} if continue_token else {}
    return ApiError(410, "Expired", message, list_meta=meta)


def request_timeout(message: str) -> ApiError:
    """408, and the connection closes: what is left of the body is not worth reading."""
    return ApiError(408, "Timeout", f"Timeout: {message}", headers={"Connection": "close"})


def request_entity_too_large(message: str) -> ApiError:
    """apimachinery's `NewRequestEntityTooLargeError`."""
    return ApiError(413, "RequestEntityTooLarge", f"Request entity too large: {message}")


def object_too_large(resource: ResourceType, name: str, error: TooLargeError) -> ApiError:
    """An object the store cannot hold: etcd answers `request is too large` (which
    kube-apiserver passes on as a 500); here a 413 that names the size and the limit."""
    too_large = request_entity_too_large(
        f'{resource.group_resource} "{name}" is {error.size} bytes when stored, '
        f"limit is {error.limit}"
    )
    too_large.details = _details(resource, name)
    return too_large


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
        f" (got {content_type})",
    )


def invalid(*, kind: str, group: str, name: str, causes: list[FieldCause]) -> ApiError:
    """422 Invalid with kube-apiserver's message: `Kind.group "name" is invalid: field: msg`."""
    qualified = f"{kind}.{group}" if group else kind
    rendered = [
        f"{cause.field}: {cause.message}" if cause.field else cause.message for cause in causes
    ]
    summary = rendered[0] if len(rendered) == 1 else "[" + ", ".join(rendered) + "]"
    details: Object = {"name": name, "kind": kind}
    if group:
        details["group"] = group
    details["causes"] = [cause.to_dict() for cause in causes]
    return ApiError(422, "Invalid", f'{qualified} "{name}" is invalid: {summary}', details)


def invalid_object(resource: ResourceType, name: str, causes: list[FieldCause]) -> ApiError:
    return invalid(kind=resource.kind, group=resource.group, name=name, causes=causes)


def internal(message: str) -> ApiError:
    return ApiError(500, "InternalError", f"Internal error occurred: {message}")


def unavailable(message: str) -> ApiError:
    return ApiError(503, "ServiceUnavailable", message, headers={"Retry-After": "1"})


def from_store_error(error: StoreError, *, resource: ResourceType, name: str) -> ApiError:
    """The choke point: a store outcome on `resource`/`name` as the Status Kubernetes sends."""
    if isinstance(error, NotFoundError):
        return not_found(resource, name)
    if isinstance(error, AlreadyExistsError):
        return already_exists(resource, name)
    if isinstance(error, ConflictError):
        return conflict(resource, name, str(error))
    if isinstance(error, ExpiredError):
        return expired(str(error))
    if isinstance(error, TooLargeError):
        return object_too_large(resource, name, error)
    if isinstance(error, InvalidObjectError):
        cause = FieldCause(field=error.field, message=error.message)
        return invalid_object(resource, name, [cause])
    if isinstance(error, UnavailableError):
        return unavailable(str(error) or "the store is unavailable")
    return internal(str(error))
