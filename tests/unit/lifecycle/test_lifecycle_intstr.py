"""IntOrString scaling, ported from apimachinery's intstr_test.go TestGetIntFromIntOrPercent."""

import pytest

from shared.intstr import IntOrStringError, scaled_value


@pytest.mark.parametrize(
    ("value", "total", "round_up", "expected"),
    [
        (123, 0, False, 123),
        ("90%", 100, True, 90),
        ("90%", 95, True, 86),
        ("90%", 95, False, 85),
        ("25%", 10, True, 3),
        ("25%", 10, False, 2),
        ("0%", 7, True, 0),
        ("100%", 7, False, 7),
    ],
)
def test_scaled_values(value: int | str, total: int, round_up: bool, expected: int) -> None:
    assert scaled_value(value, total, round_up=round_up) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("%", 'invalid value "%": strconv.Atoi: parsing "": invalid syntax'),
        ("90#", "invalid type: string is not a percentage"),
        ("#%", 'invalid value "#%": strconv.Atoi: parsing "#": invalid syntax'),
        ("90", "invalid type: string is not a percentage"),
    ],
)
def test_invalid_values(value: str, message: str) -> None:
    with pytest.raises(IntOrStringError) as caught:
        scaled_value(value, 100, round_up=True)
    assert str(caught.value) == f"invalid value for IntOrString: {message}"
