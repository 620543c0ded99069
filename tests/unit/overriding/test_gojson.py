"""JSON printed as Go prints it, for the text Karmada writes back."""

from typing import Any

import pytest

from shared.overriding.gojson import go_json, sorted_json


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        ({"a": 1, "b": [True, None]}, '{"a":1,"b":[true,null]}'),
        ("<a>&b", '"\\u003ca\\u003e\\u0026b"'),
        ("line\u2028para\u2029", '"line\\u2028para\\u2029"'),
        ("café", '"café"'),
    ],
)
def test_go_json_escapes_as_encoding_json(value: Any, printed: str) -> None:
    assert go_json(value) == printed


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ({"b": 1, "a": {"d": 2.0, "c": 1.5}}, {"a": {"c": 1.5, "d": 2}, "b": 1}),
        ([3.0, 1e22, "x"], [3, 1e22, "x"]),
    ],
)
def test_sorted_json_sorts_keys_and_prints_integral_floats_as_ints(value: Any, stored: Any) -> None:
    result = sorted_json(value)
    assert result == stored
    assert go_json(result) == go_json(stored)
    if isinstance(result, dict):
        assert list(result) == sorted(result)
