"""CronJob schedules and time zones: robfig/cron's and Kubernetes' words, croniter's dates."""

from datetime import UTC, datetime

import pytest

from shared.cron import (
    CronScheduleError,
    next_fire_time,
    previous_fire_time,
    schedule_error,
    time_zone_error,
)

NOON = datetime(2024, 3, 10, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "error"),
    [
        ("*/5 * * * *", None),
        ("0 0 13 * 5", None),
        ("@hourly", None),
        ("@every 1h30m", None),
        ("0 0 * JAN-FEB SUN", None),
        ("0 0 ? * MON-FRI", None),
        ("", "empty spec string"),
        ("0 0 13 *", "expected exactly 5 fields, found 4: [0 0 13 *]"),
        ("0 0 0 0 0 0", "expected exactly 5 fields, found 6: [0 0 0 0 0 0]"),
        ("@reboot", "unrecognized descriptor: @reboot"),
        ("@every 5x", 'failed to parse duration @every 5x: time: invalid duration "5x"'),
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("0 0 * * 7", "end of range (7) above maximum (6): 7"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("0 0 L * *", 'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax'),
        (
            "TZ=UTC 0 * * * *",
            "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
        ),
    ],
)
def test_schedule_errors(schedule, error) -> None:
    assert schedule_error(schedule) == error


@pytest.mark.parametrize(
    ("time_zone", "error"),
    [
        (None, None),
        ("UTC", None),
        ("America/New_York", None),
        ("", "timeZone must be nil or non-empty string"),
        ("Local", "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"),
        (" Continent/Zone", "unknown time zone  Continent/Zone"),
        ("AMERICA/new_york", "unknown time zone AMERICA/new_york"),
        ("../etc/passwd", "unknown time zone ../etc/passwd"),
        ("Foo/Bar", "unknown time zone Foo/Bar"),
    ],
)  # fmt: skip
def test_time_zone_errors(time_zone, error) -> None:
    """Cases of Kubernetes' TestValidateCronJob (`spec.timeZone`)."""
    assert time_zone_error(time_zone) == error


def test_next_and_previous_in_a_time_zone_across_dst() -> None:
    """09:00 in New York is 13:00 UTC after the March 10 2024 switch, 14:00 before it."""
    after = next_fire_time("0 9 * * *", after=NOON, time_zone="America/New_York")
    before = previous_fire_time("0 9 * * *", before=NOON, time_zone="America/New_York")
    assert after is not None and before is not None
    assert after.astimezone(UTC) == datetime(2024, 3, 10, 13, 0, tzinfo=UTC)
    assert before.astimezone(UTC) == datetime(2024, 3, 9, 14, 0, tzinfo=UTC)


def test_next_is_strictly_after() -> None:
    assert next_fire_time("0 12 * * *", after=NOON) == datetime(2024, 3, 11, 12, 0, tzinfo=UTC)


def test_never_firing_and_every() -> None:
    assert next_fire_time("0 0 30 2 *", after=NOON) is None
    late = NOON.replace(microsecond=500000)
    assert next_fire_time("@every 90s", after=late) == datetime(2024, 3, 10, 12, 1, 30, tzinfo=UTC)
    assert previous_fire_time("@every 90s", before=late) is None


def test_invalid_input_raises_kubernetes_words() -> None:
    with pytest.raises(CronScheduleError, match=r"^expected exactly 5 fields"):
        next_fire_time("* *", after=NOON)
    with pytest.raises(CronScheduleError, match=r"^unknown time zone Mars/Base$"):
        next_fire_time("* * * * *", after=NOON, time_zone="Mars/Base")
