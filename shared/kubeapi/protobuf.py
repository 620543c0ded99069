"""Decoding the Kubernetes protobuf envelope for the request bodies kubectl sends that way.

kubectl's typed clients (`kubectl create namespace|configmap|secret|serviceaccount`) send
`application/vnd.kubernetes.protobuf` and client-go never falls back to JSON, so the
server must read them. Only those kinds' schemas are here; other kinds in protobuf get
415 (every other kubectl path, and kubernetes-asyncio, send JSON).
"""

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

MAGIC = b"k8s\x00"
Object = dict[str, Any]
Field = tuple[str, Any, bool]
"""(JSON name, type, repeated); a type is a scalar tag, a schema dict, or ("map", type)."""

_OWNER_REFERENCE: dict[int, Field] = {
    1: ("kind", "string", False),
    3: ("name", "string", False),
    4: ("uid", "string", False),
    5: ("apiVersion", "string", False),
    6: ("controller", "bool", False),
    7: ("blockOwnerDeletion", "bool", False),
}
_OBJECT_META: dict[int, Field] = {
    1: ("name", "string", False),
    2: ("generateName", "string", False),
    3: ("namespace", "string", False),
    5: ("uid", "string", False),
    6: ("resourceVersion", "string", False),
    7: ("generation", "int", False),
    11: ("labels", ("map", "string"), False),
    12: ("annotations", ("map", "string"), False),
    13: ("ownerReferences", _OWNER_REFERENCE, True),
    14: ("finalizers", "string", True),
}
_OBJECT_REFERENCE: dict[int, Field] = {
    1: ("kind", "string", False),
    2: ("namespace", "string", False),
    3: ("name", "string", False),
    4: ("uid", "string", False),
    5: ("apiVersion", "string", False),
    6: ("resourceVersion", "string", False),
    7: ("fieldPath", "string", False),
}
_META: Field = ("metadata", _OBJECT_META, False)
SCHEMAS: dict[tuple[str, str], dict[int, Field]] = {
    ("v1", "Namespace"): {
        1: _META,
        2: ("spec", {1: ("finalizers", "string", True)}, False),
        3: ("status", {1: ("phase", "string", False)}, False),
    },
    ("v1", "ConfigMap"): {
        1: _META,
        2: ("data", ("map", "string"), False),
        3: ("binaryData", ("map", "bytes"), False),
        4: ("immutable", "bool", False),
    },
    ("v1", "Secret"): {
        1: _META,
        2: ("data", ("map", "bytes"), False),
        3: ("type", "string", False),
        4: ("stringData", ("map", "string"), False),
        5: ("immutable", "bool", False),
    },
    ("v1", "ServiceAccount"): {
        1: _META,
        2: ("secrets", _OBJECT_REFERENCE, True),
        3: ("imagePullSecrets", {1: ("name", "string", False)}, True),
        4: ("automountServiceAccountToken", "bool", False),
    },
}


class ProtobufError(ValueError):
    """A body that is not a Kubernetes protobuf envelope of a kind decoded here."""


def _varint(data: bytes, index: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if index >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[index]
        index += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, index
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, Any]]:
    """(field number, value) pairs: ints for varints, bytes for length-delimited fields."""
    index = 0
    while index < len(data):
        key, index = _varint(data, index)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, index = _varint(data, index)
        elif wire == 2:
            length, index = _varint(data, index)
            value, index = data[index : index + length], index + length
        elif wire == 1:
            value, index = data[index : index + 8], index + 8
        elif wire == 5:
            value, index = data[index : index + 4], index + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        yield number, value


def _scalar(kind: str, value: Any) -> Any:
    if kind == "string":
        return bytes(value).decode()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode()
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return value - (1 << 64) if value >= 1 << 63 else value
    if kind == "time":
        seconds = dict(_fields(value)).get(1, 0)
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise ProtobufError(f"unknown scalar {kind}")


def _message(data: bytes, schema: dict[int, Field]) -> Object:
    out: Object = {}
    for number, value in _fields(data):
        if number not in schema:
            continue
        name, kind, repeated = schema[number]
        if isinstance(kind, tuple):
            entry = dict(_fields(value))
            out.setdefault(name, {})[_scalar("string", entry.get(1, b""))] = _scalar(
                kind[1], entry.get(2, b"")
            )
            continue
        decoded = _message(value, kind) if isinstance(kind, dict) else _scalar(kind, value)
        if repeated:
            out.setdefault(name, []).append(decoded)
        else:
            out[name] = decoded
    return out


def decode(body: bytes) -> Object:
    """The object in a `k8s\\0` envelope, as the JSON Kubernetes would have received."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing the k8s protobuf magic prefix")
    envelope = dict(_fields(body[len(MAGIC) :]))
    type_meta = {k: _scalar("string", v) for k, v in _fields(envelope.get(1, b""))}
    api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
    schema = SCHEMAS.get((api_version, kind))
    if schema is None:
        raise ProtobufError(f"{api_version} {kind} is not accepted as protobuf; send JSON")
    return {"apiVersion": api_version, "kind": kind, **_message(envelope.get(2, b""), schema)}
