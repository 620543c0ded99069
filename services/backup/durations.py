"""Go `time.Duration` text, as `metav1.Duration` carries it (`ttl: 720h`, `1h30m`, `720h0m0s`).

Kurator's `policy.ttl` and Velero's `spec.ttl` are parsed by Go's `time.ParseDuration` and
printed by `Duration.String()`; both directions are needed so a TTL a user wrote reads back the
way Velero shows it.
"""

import re
from datetime import timedelta
from decimal import Decimal

_UNIT_NANOSECONDS = {
    "ns": Decimal(1),
    "us": Decimal(1_000),
    "µs": Decimal(1_000),
    "μs": Decimal(1_000),
    "ms": Decimal(1_000_000),
    "s": Decimal(1_000_000_000),
    "m": Decimal(60_000_000_000),
    "h": Decimal(3_600_000_000_000),
}
_TERM = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_NANOSECONDS_PER_MICROSECOND = 1_000


class DurationError(ValueError):
    """Text that Go's time.ParseDuration rejects; the message is Go's."""


def parse_go_duration(text: str) -> timedelta:
    """Parse like Go's time.ParseDuration: signed sequence of decimal numbers with units."""
    original = text
    sign = 1
    if text[:1] in ("+", "-"):
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return timedelta(0)
    if not text:
        raise DurationError(f'time: invalid duration "{original}"')
    total = Decimal(0)
    position = 0
    while position < len(text):
        match = _TERM.match(text, position)
        if match is None:
            if re.match(r"\d+\.?\d*|\.\d+", text[position:]):
                unit = re.sub(r"^[\d.]+", "", text[position:])
                if not unit:
                    raise DurationError(f'time: missing unit in duration "{original}"')
                raise DurationError(f'time: unknown unit "{unit}" in duration "{original}"')
            raise DurationError(f'time: invalid duration "{original}"')
        total += Decimal(match.group(1)) * _UNIT_NANOSECONDS[match.group(2)]
        position = match.end()
    nanoseconds = int(total) * sign
    return timedelta(microseconds=nanoseconds / _NANOSECONDS_PER_MICROSECOND)


def format_go_duration(duration: timedelta) -> str:
    """Format like Go's Duration.String(): `720h0m0s`, `1m30s`, `500ms`, `0s`."""
    microseconds = (
        duration.days * 86_400_000_000 + duration.seconds * 1_000_000 + duration.microseconds
    )
    if microseconds == 0:
        return "0s"
    sign = "-" if microseconds < 0 else ""
    microseconds = abs(microseconds)
    if microseconds < 1_000_000:
        if microseconds < 1_000:
            return f"{sign}{microseconds}µs"
        return f"{sign}{_trim(Decimal(microseconds) / 1_000)}ms"
    hours, rest = divmod(microseconds, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds = _trim(Decimal(rest) / 1_000_000)
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{sign}{minutes}m{seconds}s"
    return f"{sign}{seconds}s"


def _trim(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
