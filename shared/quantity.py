"""Kubernetes resource quantities (`500m`, `64Gi`, `1.5`, `2k`, `1e3`) as exact Decimals.

Capacity arithmetic (scheduler estimator, fleet-manager summaries, simulator) must be exact:
floats would turn `0.1 + 0.2` CPUs into a rounding question. Parsing follows
`k8s.io/apimachinery/pkg/api/resource`; formatting produces its canonical strings.
"""

import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from typing import Literal

QuantityFormat = Literal["DecimalSI", "BinarySI", "DecimalExponent"]

_BINARY_SUFFIXES: dict[str, int] = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_SUFFIXES: dict[str, int] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_DECIMAL_BY_EXPONENT = {exponent: suffix for suffix, exponent in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_SHIFT = {shift: suffix for suffix, shift in _BINARY_SUFFIXES.items()}
_QUANTITY_RE = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([eE][+-]?[0-9]+|[a-zA-Z]*)$")
_EXPONENT_RE = re.compile(r"^[eE][+-]?[0-9]+$")
_NANO = Decimal("1e-9")


class QuantityError(ValueError):
    """A string that is not a Kubernetes quantity; the message quotes it."""


def _split(text: str) -> tuple[Decimal, str]:
    match = _QUANTITY_RE.match(text.strip())
    if match is None:
        raise QuantityError(f"quantities must match the regular expression: {text!r}")
    number, suffix = match.groups()
    known = suffix in _BINARY_SUFFIXES or suffix in _DECIMAL_SUFFIXES
    if not known and not _EXPONENT_RE.match(suffix):
        raise QuantityError(f"unable to parse quantity's suffix: {text!r}")
    return Decimal(number), suffix


def parse_quantity(text: str | int | Decimal) -> Decimal:
    """Exact value of a quantity; sub-nano precision is rounded up to 1n like Kubernetes."""
    if isinstance(text, int | Decimal):
        return Decimal(text)
    number, suffix = _split(text)
    with localcontext() as context:
        context.prec = 60
        if suffix in _BINARY_SUFFIXES:
            value = number * (Decimal(2) ** _BINARY_SUFFIXES[suffix])
        elif suffix in _DECIMAL_SUFFIXES:
            value = number.scaleb(_DECIMAL_SUFFIXES[suffix])
        else:
            value = number.scaleb(int(suffix[1:]))
        rounded = value.quantize(_NANO, rounding=ROUND_CEILING if value > 0 else ROUND_FLOOR)
        if rounded == rounded.to_integral_value():
            return rounded.quantize(Decimal(1))
        return rounded.normalize()


def quantity_format(text: str) -> QuantityFormat:
    """The format a quantity was written in; Kubernetes keeps it when re-serialising."""
    _, suffix = _split(text)
    if suffix in _BINARY_SUFFIXES:
        return "BinarySI"
    if suffix not in _DECIMAL_SUFFIXES:
        return "DecimalExponent"
    return "DecimalSI"


def _round_away(value: Decimal) -> int:
    """Kubernetes' Value()/MilliValue(): round up, away from zero."""
    with localcontext() as context:
        context.prec = 60
        if value >= 0:
            return int(value.to_integral_value(rounding=ROUND_CEILING))
        return int(value.to_integral_value(rounding=ROUND_FLOOR))


def ceil_value(value: Decimal) -> int:
    """`Quantity.Value()`: the integer value, rounded up (away from zero)."""
    return _round_away(value)


def milli_value(value: Decimal) -> int:
    """`Quantity.MilliValue()`: value * 1000, rounded up (away from zero)."""
    return _round_away(value * 1000)


def _decimal_mantissa(value: Decimal) -> tuple[int, int]:
    """Integer mantissa and the largest exponent, a multiple of 3, that keeps it integral."""
    with localcontext() as context:
        context.prec = 60
        exponent = -9
        mantissa = int(value.scaleb(9))
        while exponent < 18 and mantissa % 1000 == 0 and mantissa != 0:
            mantissa //= 1000
            exponent += 3
        if mantissa == 0:
            return 0, 0
    return mantissa, exponent


def format_quantity(value: Decimal | int, *, fmt: QuantityFormat = "DecimalSI") -> str:
    """Canonical Kubernetes rendering: `1500m`, `2k`, `64Gi`, `1536`, `5e-1` → `500e-3`."""
    value = Decimal(value)
    with localcontext() as context:
        context.prec = 60
        value = value.quantize(_NANO, rounding=ROUND_CEILING if value > 0 else ROUND_FLOOR)
    if fmt == "BinarySI" and abs(value) >= 1024 and value == value.to_integral_value():
        integer = int(value)
        shift = 0
        while shift < 60 and integer % 1024 == 0:
            integer //= 1024
            shift += 10
        return f"{integer}{_BINARY_BY_SHIFT.get(shift, '')}"
    mantissa, exponent = _decimal_mantissa(value)
    if fmt == "DecimalExponent":
        return f"{mantissa}e{exponent}" if exponent else str(mantissa)
    return f"{mantissa}{_DECIMAL_BY_EXPONENT[exponent]}"


def canonical_quantity(text: str) -> str:
    """Re-render a quantity string the way the API server stores it (`1.5k` → `1500`)."""
    return format_quantity(parse_quantity(text), fmt=quantity_format(text))
