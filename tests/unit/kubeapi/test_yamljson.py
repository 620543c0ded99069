"""YAML bodies decode to the JSON values kube-apiserver's decoder gives (sigs.k8s.io/yaml)."""

import re
from typing import Any

import pytest

from shared.kubeapi.yamljson import YamlJsonError, go_float_key, load
from shared.safeyaml import YamlLimits

LIMITS = YamlLimits()


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("a: 2024-01-01", {"a": "2024-01-01"}),
        ("a: 2001-12-14t21:59:43.10-05:00", {"a": "2001-12-14t21:59:43.10-05:00"}),
        ("a: !!binary aGVsbG8=", {"a": "hello"}),
        ("a: !!binary /w==", {"a": "\ufffd"}),
        ("a: !!set {x, y}", {"a": {"x": None, "y": None}}),
        (
            "{2: two, true: t, false: f, 1.5: x, 100.0: h}",
            {"2": "two", "true": "t", "false": "f", "1.5": "x", "100": "h"},
        ),
        ("a: 99999999999999999999", {"a": 1e20}),
        ("a: 18446744073709551615", {"a": 18446744073709551615}),
        ("a: [1, {b: [2]}]", {"a": [1, {"b": [2]}]}),
        ("base: &b {x: 1}\nuse: {<<: *b, y: 2}", {"base": {"x": 1}, "use": {"x": 1, "y": 2}}),
    ],
)
def test_documents_decode_as_kubernetes_decodes_them(document: str, expected: Any) -> None:
    assert load(document.encode(), limits=LIMITS) == expected


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("null: x", "unsupported map key of type: %!s(<nil>), key: None"),
        ("a: .nan", "json: unsupported value: NaN"),
        ("a: [.inf]", "json: unsupported value: +Inf"),
        ("a: -.inf", "json: unsupported value: -Inf"),
        ("a: !!binary '%%%'", "yaml: !!binary value contains invalid base64 data"),
    ],
)
def test_documents_without_a_json_form_are_refused(document: str, message: str) -> None:
    with pytest.raises(YamlJsonError, match=re.escape(message)):
        load(document.encode(), limits=LIMITS)


def test_float_keys_are_written_as_go_writes_them() -> None:
    assert [go_float_key(v) for v in (1.5, 100.0, 1e20, float("nan"))] == [
        "1.5",
        "100",
        "1e+20",
        ".nan",
    ]
