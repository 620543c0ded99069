"""JSON as Go's encoding/json prints it, for values Karmada writes back as text (field
overriders' JSON, the applied-overrides annotations)."""

import json
from typing import Any


def go_json(value: Any) -> str:
    """Compact JSON escaped as Go's encoding/json does (`<`, `>`, `&`, U+2028, U+2029)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def sorted_json(value: Any) -> Any:
    """How the API server stores a free-form JSON value: keys sorted, integral numbers as
    integers (Go decodes `2.0` to float64 2 and prints `2`)."""
    if isinstance(value, dict):
        return {key: sorted_json(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [sorted_json(item) for item in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value
