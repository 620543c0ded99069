"""Server-side normalisation of built-in kinds that every write path applies before admission."""

import base64
from typing import Any

from shared.api.kind_table import Kind

Object = dict[str, Any]


def normalize(kind: Kind, obj: Object) -> Object:
    """A Secret's `stringData` is write-only: Kubernetes folds it into `data` (base64)."""
    if kind.group == "" and kind.kind == "Secret" and "stringData" in obj:
        string_data = obj.pop("stringData") or {}
        data = dict(obj.get("data") or {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data
    return obj
