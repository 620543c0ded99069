"""Time as a dependency: services and cores take a wall clock instead of calling `now()`.

Delays (backoff, requeues) use the event loop's clock, which tests fast-forward with
`looptime`; timestamps written to objects come from the injected wall clock.
"""

from collections.abc import Callable
from datetime import UTC, datetime

WallClock = Callable[[], datetime]
"""Returns the current time, timezone-aware UTC."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """Kubernetes' RFC 3339 form with seconds precision (`2026-12-03T14:00:00Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
