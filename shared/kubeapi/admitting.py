"""The checks every write goes through before the kind's own hooks: decoding, then metadata.

First what the decoder says (built-in kinds against their OpenAPI schema, custom kinds'
metadata against ObjectMeta's): a type error answers 400, unknown fields are dropped and
reported per `fieldValidation` (Strict: 400, Warn: a `Warning` header, Ignore: silently).
Then what validation says: metadata rules, ConfigMap/Secret keys and the schema's required
fields, all as 422 causes. Both the hub gateway and the member simulator admit through here.
"""

from dataclasses import dataclass, field
from typing import Any

from shared.api.kind_table import Kind
from shared.kubeapi import statuses
from shared.kubeapi.datakeys import data_causes
from shared.kubeapi.decoding import Decoded, decode
from shared.kubeapi.objectmeta import validate_metadata
from shared.kubeapi.schemas import definitions, kind_schema
from shared.kubeapi.statuses import FieldCause

Object = dict[str, Any]
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
FIELD_VALIDATION_MODES = ("Ignore", "Warn", "Strict")
WARNING_CODE = 299


@dataclass
class Admission:
    causes: list[FieldCause] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def cannot_be_handled(kind: Kind, message: str) -> statuses.ApiError:
    """The decoder's 400, worded as kube-apiserver words it."""
    return statuses.bad_request(
        f'{kind.kind} in version "{kind.version}" cannot be handled as a {kind.kind}: {message}'
    )


def _decoded(kind: Kind, obj: Object) -> Decoded:
    schema = kind_schema(kind.group, kind.version, kind.kind) if kind.builtin else None
    if schema is not None:
        if schema.valid(obj):
            return Decoded()
        return decode(obj, definition=schema.definition, defs=definitions())
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return Decoded()
    return decode(
        metadata, definition=OBJECT_META, defs=definitions(), at="metadata", parent=kind.kind
    )


def decode_body(kind: Kind, obj: Object, *, mode: str) -> Admission:
    """Decode `obj` in place (unknown fields removed); raise the decoder's 400 if it fails."""
    decoded = _decoded(kind, obj)
    if decoded.error is not None:
        raise cannot_be_handled(kind, decoded.error)
    unknown = [f'unknown field "{path}"' for path in decoded.unknown]
    if unknown and mode == "Strict":
        raise cannot_be_handled(kind, "strict decoding error: " + ", ".join(unknown))
    return Admission(
        causes=[
            FieldCause(path, "Required value", "FieldValueRequired") for path in decoded.required
        ],
        warnings=unknown if mode == "Warn" else [],
    )


def admit(kind: Kind, obj: Object, *, mode: str, creating: bool) -> Admission:
    """Decoding, then metadata, data keys and required fields (metadata causes first)."""
    decoded = decode_body(kind, obj, mode=mode)
    metadata = validate_metadata(kind, obj, creating=creating)
    return Admission(
        causes=metadata.causes + data_causes(kind, obj) + decoded.causes,
        warnings=decoded.warnings + metadata.warnings,
    )


def _header_text(text: str) -> str:
    """A quoted-string for the header: escaped quotes, and nothing that could break the line."""
    safe = "".join(char if " " <= char <= "~" else "?" for char in text)
    return '"' + safe.replace("\\", "\\\\").replace('"', '\\"') + '"'


def warning_headers(warnings: list[str]) -> dict[str, str]:
    """One `Warning` header carrying each warning (`299 - "text"`, comma-separated)."""
    if not warnings:
        return {}
    unique = list(dict.fromkeys(warnings))
    return {"Warning": ", ".join(f"{WARNING_CODE} - {_header_text(text)}" for text in unique)}
