"""CronJob-style schedules (`schedule` + `timeZone`) over the croniter library.

Kubernetes CronJobs, Karmada's CronFederatedHPA and Velero schedules all parse with robfig/cron's
`ParseStandard`: five fields, the `@hourly`-style descriptors and `@every <duration>`. croniter
does the parsing and the date arithmetic; this module only narrows it to what ParseStandard
accepts (croniter also takes seconds, years, `L`, `#` and `H`) and words the errors the way
Kubernetes reports them. Shared because the scaler and the backup service read the same
schedules.
"""

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_DAYS = {
    name: number for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))
}
_VALID_TIME_ZONE_PART = re.compile(r"^[A-Za-z\.\-_0-9+]{1,14}$")
_GO_DURATION = re.compile(r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class CronScheduleError(ValueError):
    """A schedule or time zone Kubernetes would reject; the message is Kubernetes' own."""


def _go_duration_seconds(text: str) -> float | None:
    """`time.ParseDuration` for the non-negative durations `@every` takes; None if invalid."""
    rest, total = text, 0.0
    if rest in ("0", ""):
        return 0.0 if rest == "0" else None
    while rest:
        match = _GO_DURATION.match(rest)
        if match is None:
            return None
        total += float(match.group(1)) * _GO_UNITS[match.group(3)]
        rest = rest[match.end() :]
    return total


_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


def _bound_value(bound: str, names: dict[str, int]) -> int | str:
    """robfig's `parseIntOrName`; a string is the error."""
    if bound.lower() in names:
        return names[bound.lower()]
    if bound.isdigit():
        return int(bound)
    return f'failed to parse int from {bound}: strconv.Atoi: parsing "{bound}": invalid syntax'


def _range_error(expression: str, *, bounds: tuple[int, int], names: dict[str, int]) -> str | None:
    """robfig's `getRange` checks, in its words, for what croniter is more lenient about."""
    low, high = bounds
    range_and_step = expression.split("/")
    if len(range_and_step) > 2:
        return f"too many slashes: {expression}"
    low_and_high = range_and_step[0].split("-")
    if len(low_and_high) > 2:
        return f"too many hyphens: {expression}"
    if low_and_high[0] in ("*", "?"):
        start, end = low, high
    else:
        values = [_bound_value(bound, names) for bound in low_and_high]
        for value in values:
            if isinstance(value, str):
                return value
        start, end = int(values[0]), int(values[-1])
    step = 1
    if len(range_and_step) == 2:
        parsed = _bound_value(range_and_step[1], {})
        if isinstance(parsed, str):
            return parsed
        step = parsed
        if len(low_and_high) == 1 and low_and_high[0] not in ("*", "?"):
            end = high
    if start < low:
        return f"beginning of range ({start}) below minimum ({low}): {expression}"
    if end > high:
        return f"end of range ({end}) above maximum ({high}): {expression}"
    if start > end:
        return f"beginning of range ({start}) beyond end of range ({end}): {expression}"
    if step == 0:
        return f"step of range should be a positive number: {expression}"
    return None


def _field_error(fields: list[str]) -> str | None:
    for index, field in enumerate(fields):
        names = _MONTHS if index == 3 else _DAYS if index == 4 else {}
        for expression in field.split(","):
            error = _range_error(expression, bounds=_BOUNDS[index], names=names)
            if error is not None:
                return error
    return None


def schedule_error(schedule: str) -> str | None:
    """Why Kubernetes rejects `schedule` (`validateScheduleFormat`), or None if it parses."""
    text = schedule.strip()
    if not text:
        return "empty spec string"
    if "TZ" in schedule:
        return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
    if text.startswith("@"):
        if text.startswith("@every "):
            if _go_duration_seconds(text[len("@every ") :].strip()) is None:
                duration = text[len("@every ") :].strip()
                return f'failed to parse duration {text}: time: invalid duration "{duration}"'
            return None
        if text not in _DESCRIPTORS:
            return f"unrecognized descriptor: {text}"
        return None
    fields = text.split()
    if len(fields) != 5:
        return f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"
    wording = _field_error(fields)
    if wording is not None:
        return wording
    try:
        croniter(text)
    except CroniterError as error:
        return str(error)
    return None


def time_zone_error(time_zone: str | None) -> str | None:
    """Why Kubernetes rejects a CronJob `timeZone` (`validateTimeZone`), or None."""
    if time_zone is None:
        return None
    if not time_zone:
        return "timeZone must be nil or non-empty string"
    for part in time_zone.split("/"):
        if part in (".", "..") or part.startswith("-") or not _VALID_TIME_ZONE_PART.match(part):
            return f"unknown time zone {time_zone}"
    if time_zone.lower() == "local":
        return (
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"
        )
    try:
        load_time_zone(time_zone)
    except CronScheduleError as error:
        return str(error)
    return None


def load_time_zone(time_zone: str | None, *, default: tzinfo = UTC) -> tzinfo:
    """`time.LoadLocation`: "" and "UTC" are UTC; an unknown name is an error in Go's words."""
    if time_zone is None:
        return default
    if time_zone in ("", "UTC"):
        return UTC
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise CronScheduleError(f"unknown time zone {time_zone}") from error


def _checked(schedule: str) -> str:
    error = schedule_error(schedule)
    if error is not None:
        raise CronScheduleError(error)
    text = schedule.strip()
    return _DESCRIPTORS.get(text, text)


def next_fire_time(
    schedule: str, *, after: datetime, time_zone: str | None = None
) -> datetime | None:
    """The first fire time strictly after `after` (aware), in the schedule's zone.

    None when the schedule can never fire (`0 0 30 2 *`), as robfig returns the zero time.
    """
    expression = _checked(schedule)
    zone = load_time_zone(time_zone, default=after.tzinfo or UTC)
    local = after.astimezone(zone)
    if expression.startswith("@every "):
        delay = _go_duration_seconds(expression[len("@every ") :].strip()) or 0.0
        delay = max(1.0, float(int(delay)))
        return local.replace(microsecond=0) + timedelta(seconds=delay)
    try:
        fire: datetime = croniter(expression, local).get_next(datetime)
    except CroniterError:
        return None
    return fire


def previous_fire_time(
    schedule: str, *, before: datetime, time_zone: str | None = None
) -> datetime | None:
    """The last fire time strictly before `before`; `@every` has no calendar, so it has none."""
    expression = _checked(schedule)
    if expression.startswith("@every "):
        return None
    zone = load_time_zone(time_zone, default=before.tzinfo or UTC)
    try:
        fire: datetime = croniter(expression, before.astimezone(zone)).get_prev(datetime)
    except CroniterError:
        return None
    return fire
