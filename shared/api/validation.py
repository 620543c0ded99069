"""Field errors as Kubernetes reports them: a path like `spec.rules[0].value` and a message.

Every model's validation (pydantic schema, webhook-style rules, unknown fields under
`fieldValidation=Strict`) produces these, and the gateway turns them into a 422 Status.
"""

import json
from typing import NamedTuple

from pydantic import BaseModel, ValidationError


class FieldError(NamedTuple):
    path: str
    message: str


def format_location(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def pydantic_field_errors(error: ValidationError) -> list[FieldError]:
    """Pydantic's errors in Kubernetes' words (`Required value`, `Unsupported value: …`)."""
    found: list[FieldError] = []
    for item in error.errors():
        path = format_location(tuple(item["loc"]))
        if item["type"] == "missing":
            message = "Required value"
        elif item["type"] == "literal_error":
            message = f"Unsupported value: {json.dumps(item['input'])}: {item['msg']}"
        else:
            message = f"Invalid value: {json.dumps(item.get('input'), default=str)}: {item['msg']}"
        found.append(FieldError(path, message))
    return found


def unknown_fields(model: BaseModel, path: str = "") -> list[FieldError]:
    """Fields the models don't define, as `fieldValidation=Strict` reports them."""
    found: list[FieldError] = []
    for name in sorted(model.model_extra or {}):
        found.append(FieldError(f"{path}.{name}" if path else name, "unknown field"))
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        key = field.alias or name
        child = f"{path}.{key}" if path else key
        if isinstance(value, BaseModel):
            found += unknown_fields(value, child)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    found += unknown_fields(item, f"{child}[{index}]")
        elif isinstance(value, dict):
            for entry_key, item in value.items():
                if isinstance(item, BaseModel):
                    found += unknown_fields(item, f"{child}[{entry_key}]")
    return found
