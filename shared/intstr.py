"""Kubernetes' IntOrString (`3` or `"25%"`) scaled against a total, as `k8s.io/apimachinery`.

PodDisruptionBudgets (minAvailable/maxUnavailable) and rolling strategies (maxSurge/
maxUnavailable) take either an absolute count or a percentage of a total; every consumer must
round the same way the Kubernetes controllers do, so the rule lives here once:
`intstr.GetScaledValueFromIntOrPercent` with its exact error wording.
"""

import re
from typing import Annotated

from pydantic import BeforeValidator

_PERCENT_RE = re.compile(r"^[0-9]+%$")
PERCENT_MESSAGE = (
    "a valid percent string must be a numeric string followed by an ending '%' "
    "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
)


class IntOrStringError(ValueError):
    """An IntOrString that is neither an integer nor an `N%` percentage."""


def _percent_value(text: str) -> int:
    if not text.endswith("%"):
        raise IntOrStringError(
            "invalid value for IntOrString: invalid type: string is not a percentage"
        )
    digits = text[:-1]
    if not re.fullmatch(r"[+-]?[0-9]+", digits):
        raise IntOrStringError(
            f'invalid value for IntOrString: invalid value "{text}": '
            f'strconv.Atoi: parsing "{digits}": invalid syntax'
        )
    return int(digits)


def scaled_value(value: int | str, total: int, *, round_up: bool) -> int:
    """`GetScaledValueFromIntOrPercent`: an int as is, a percentage of `total` rounded."""
    if isinstance(value, bool):
        raise IntOrStringError(
            "invalid value for IntOrString: invalid type: neither int nor percentage"
        )
    if isinstance(value, int):
        return value
    percent = _percent_value(value)
    product = percent * total
    if round_up:
        return -(-product // 100)
    return product // 100


def _validate(value: object) -> int | str:
    """`ValidateNonnegativeIntOrPercent`: what the API server accepts for these fields."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("must be an integer or percentage (e.g '5%')")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("must be greater than or equal to 0")
        return value
    if not _PERCENT_RE.match(value):
        raise ValueError(PERCENT_MESSAGE)
    return value


IntOrString = Annotated[int | str, BeforeValidator(_validate)]
"""A model field that holds `3` or `"25%"`; other strings are rejected at the boundary."""
