"""Kubernetes quantities: exact parsing, Kubernetes' rounding, canonical formatting."""

from decimal import Decimal

import pytest

from shared.quantity import (
    QuantityError,
    canonical_quantity,
    ceil_value,
    format_quantity,
    milli_value,
    parse_quantity,
    quantity_format,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("64Gi", Decimal(64 * 2**30)),
        ("1.5", Decimal("1.5")),
        ("2k", Decimal(2000)),
        ("1e3", Decimal(1000)),
        ("1.5E-3", Decimal("0.0015")),
        ("100Mi", Decimal(100 * 2**20)),
        ("1Ki", Decimal(1024)),
        ("1Ei", Decimal(2**60)),
        ("1E", Decimal(10**18)),
        ("3M", Decimal(3_000_000)),
        ("5n", Decimal("0.000000005")),
        ("7u", Decimal("0.000007")),
        (".5", Decimal("0.5")),
        ("+2", Decimal(2)),
        ("-1.5", Decimal("-1.5")),
        ("0", Decimal(0)),
        ("0.0000000001", Decimal("0.000000001")),  # sub-nano rounds up to 1n
    ],
)
def test_parse(text: str, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "5Xi", "1 Gi", "Gi", "1e", "--1"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("text", "fmt"),
    [("64Gi", "BinarySI"), ("500m", "DecimalSI"), ("2", "DecimalSI"), ("1e3", "DecimalExponent")],
)
def test_format_kind(text: str, fmt: str) -> None:
    assert quantity_format(text) == fmt


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1.5k", "1500"),
        ("2000", "2k"),
        ("0.5", "500m"),
        ("1.5", "1500m"),
        ("64Gi", "64Gi"),
        ("1536Mi", "1536Mi"),
        ("1024Mi", "1Gi"),
        ("0.5Gi", "512Mi"),
        ("1e3", "1e3"),
        ("1.5e3", "1500"),
        ("0", "0"),
        ("1000m", "1"),
    ],
)
def test_canonical(text: str, canonical: str) -> None:
    assert canonical_quantity(text) == canonical


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        (Decimal(1536), "BinarySI", "1536"),  # not a whole power of 1024
        (Decimal(512), "BinarySI", "512"),  # below 1024 Kubernetes falls back to decimal
        (Decimal("0.25"), "DecimalSI", "250m"),
        (Decimal(2**30), "BinarySI", "1Gi"),
        (Decimal(16), "DecimalSI", "16"),
    ],
)
def test_format(value: Decimal, fmt: str, text: str) -> None:
    assert format_quantity(value, fmt=fmt) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "milli", "whole"),
    [
        ("500m", 500, 1),
        ("1", 1000, 1),
        ("1.0001", 1001, 2),  # MilliValue rounds a sub-milli remainder up
        ("2Gi", 2 * 2**30 * 1000, 2 * 2**30),
        ("-0.5", -500, -1),  # away from zero
        ("1n", 1, 1),
    ],
)
def test_rounding(text: str, milli: int, whole: int) -> None:
    value = parse_quantity(text)
    assert milli_value(value) == milli
    assert ceil_value(value) == whole


def test_arithmetic_is_exact() -> None:
    total = parse_quantity("100m") + parse_quantity("200m")
    assert total == parse_quantity("300m")
    assert format_quantity(total) == "300m"
