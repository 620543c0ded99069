"""The fixed-type bodies the API server reads itself: DeleteOptions, Scale, a namespace's
finalize body. Parsed by pydantic models, and refused with the words kube-apiserver's Go
decoder uses (`json: cannot unmarshal string into Go struct field
DeleteOptions.gracePeriodSeconds of type int64`), so a body of the wrong shape is a 400
naming the field rather than an exception deep in a handler.
"""

from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.kubeapi import statuses

INT32 = {"ge": -(2**31), "le": 2**31 - 1}
INT64 = {"ge": -(2**63), "le": 2**63 - 1}


class GoStruct(BaseModel):
    """A Go API struct: JSON types are not coerced, unknown fields are ignored (the
    decoder's non-strict mode), null means unset."""

    model_config = ConfigDict(strict=True, extra="ignore", populate_by_name=True)
    go_name: ClassVar[str]
    go_types: ClassVar[dict[str, str]]


class Preconditions(GoStruct):
    go_name = "Preconditions"
    go_types = {"uid": "types.UID", "resourceVersion": "string"}

    uid: str | None = None
    resource_version: str | None = Field(default=None, alias="resourceVersion")


class DeleteOptions(GoStruct):
    go_name = "DeleteOptions"
    go_types = {
        "apiVersion": "string",
        "kind": "string",
        "gracePeriodSeconds": "int64",
        "preconditions": "v1.Preconditions",
        "orphanDependents": "bool",
        "propagationPolicy": "v1.DeletionPropagation",
        "dryRun": "[]string",
    }

    api_version: str | None = Field(default=None, alias="apiVersion")
    kind: str | None = None
    grace_period_seconds: int | None = Field(default=None, alias="gracePeriodSeconds", **INT64)
    preconditions: Preconditions | None = None
    orphan_dependents: bool | None = Field(default=None, alias="orphanDependents")
    propagation_policy: str | None = Field(default=None, alias="propagationPolicy")
    dry_run: list[str] | None = Field(default=None, alias="dryRun")


class ScaleMeta(GoStruct):
    go_name = "ObjectMeta"
    go_types = {"name": "string", "namespace": "string", "resourceVersion": "string"}

    name: str | None = None
    namespace: str | None = None
    resource_version: str | None = Field(default=None, alias="resourceVersion")


class ScaleSpec(GoStruct):
    go_name = "ScaleSpec"
    go_types = {"replicas": "int32"}

    replicas: int | None = Field(default=None, **INT32)


class ScaleStatus(GoStruct):
    go_name = "ScaleStatus"
    go_types = {"replicas": "int32", "selector": "string"}

    replicas: int | None = Field(default=None, **INT32)
    selector: str | None = None


class Scale(GoStruct):
    go_name = "Scale"
    go_types = {
        "apiVersion": "string",
        "kind": "string",
        "metadata": "v1.ObjectMeta",
        "spec": "v1.ScaleSpec",
        "status": "v1.ScaleStatus",
    }

    api_version: str | None = Field(default=None, alias="apiVersion")
    kind: str | None = None
    metadata: ScaleMeta | None = None
    spec: ScaleSpec | None = None
    status: ScaleStatus | None = None


class NamespaceSpec(GoStruct):
    go_name = "NamespaceSpec"
    go_types = {"finalizers": "[]v1.FinalizerName"}

    finalizers: list[str] | None = None


class NamespaceFinalize(GoStruct):
    """What `PUT namespaces/<name>/finalize` reads of its Namespace body."""

    go_name = "Namespace"
    go_types = {"spec": "v1.NamespaceSpec"}

    spec: NamespaceSpec | None = None


Model = TypeVar("Model", bound=GoStruct)


def json_type(value: Any) -> str:
    """The JSON type Go's decoder names in its errors."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _unmarshal_message(model: type[GoStruct], error: ValidationError) -> str:
    """Go's UnmarshalTypeError for the first problem: innermost struct, dotted JSON path."""
    first = error.errors()[0]
    struct: type[GoStruct] = model
    path: list[str] = []
    go_type = "unknown"
    for part in first["loc"]:
        if isinstance(part, int):
            go_type = go_type.removeprefix("[]")
            continue
        field = next(
            (info for name, info in struct.model_fields.items() if part in (name, info.alias)),
            None,
        )
        if field is None:
            break
        json_name = field.alias or str(part)
        path.append(json_name)
        go_type = struct.go_types.get(json_name, "unknown")
        nested = _nested_struct(field.annotation)
        if nested is not None and part != first["loc"][-1]:
            struct = nested
    value = json_type(first.get("input"))
    if value == "number" and go_type.startswith("int"):
        value = f"number {first.get('input')}"
    return (
        f"json: cannot unmarshal {value} into Go struct field {struct.go_name}."
        f"{'.'.join(path)} of type {go_type}"
    )


def _nested_struct(annotation: Any) -> type[GoStruct] | None:
    for candidate in getattr(annotation, "__args__", (annotation,)):
        if isinstance(candidate, type) and issubclass(candidate, GoStruct):
            return candidate
    return None


def parse_body(model: type[Model], body: Any, *, what: str) -> Model:
    """`body` (decoded JSON) as `model`, or 400 BadRequest in the decoder's words."""
    if not isinstance(body, dict):
        raise statuses.bad_request(
            f"invalid {what}: the body must be a JSON object, not {json_type(body)}"
        )
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise statuses.bad_request(f"invalid {what}: {_unmarshal_message(model, error)}") from error
