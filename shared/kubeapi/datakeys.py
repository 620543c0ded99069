"""ConfigMap and Secret contents as Kubernetes validates them: key names and total size.

From pkg/apis/core/validation (ValidateConfigMap, ValidateSecret): every key of `data` and
`binaryData` is a config key, a ConfigMap key may not be in both, and the contents together
are at most 1 MiB.
"""

from typing import Any

from shared.api.kind_table import Kind
from shared.api.names import go_quote, is_config_map_key
from shared.kubeapi.statuses import FieldCause

Object = dict[str, Any]
MAX_SECRET_SIZE = 1024 * 1024


def _key_causes(section: str, keys: list[str]) -> list[FieldCause]:
    return [
        FieldCause(f"{section}[{key}]", f"Invalid value: {go_quote(key)}: {message}")
        for key in keys
        for message in is_config_map_key(key)
    ]


def _decoded_size(value: str) -> int:
    """Bytes a base64 value stands for (Kubernetes counts the Secret's decoded bytes)."""
    text = value.replace("\n", "").replace("\r", "")
    return len(text) * 3 // 4 - text[-2:].count("=")


def _too_long(path: str) -> FieldCause:
    return FieldCause(
        path, f"Too long: must have at most {MAX_SECRET_SIZE} bytes", "FieldValueTooLong"
    )


def data_causes(kind: Kind, obj: Object) -> list[FieldCause]:
    if kind.group != "" or kind.kind not in ("ConfigMap", "Secret"):
        return []
    data = obj.get("data") or {}
    if kind.kind == "Secret":
        causes = _key_causes("data", list(data))
        size = sum(_decoded_size(value) for value in data.values() if isinstance(value, str))
        return causes + ([_too_long("data")] if size > MAX_SECRET_SIZE else [])
    binary = obj.get("binaryData") or {}
    causes = _key_causes("data", list(data))
    causes += [
        FieldCause(
            f"data[{key}]",
            f"Invalid value: {go_quote(key)}: duplicate of key present in binaryData",
        )
        for key in data
        if key in binary
    ]
    causes += _key_causes("binaryData", list(binary))
    size = sum(len(value.encode()) for value in data.values() if isinstance(value, str))
    size += sum(_decoded_size(value) for value in binary.values() if isinstance(value, str))
    # kube-apiserver words this one `[]: Too long: ...` (the whole object is meant).
    return causes + ([_too_long("[]")] if size > MAX_SECRET_SIZE else [])
