"""client-go's de-duplication of Events, as a pure function of the last one and the clock.

The same involvedObject, type, reason, message and source seen again within the window is
the same Event with `count` + 1 and a new `lastTimestamp` (client-go's EventLogger); outside
the window, or for the first time, a new Event named `<object>.<unix nanoseconds in hex>`.
"""

from dataclasses import dataclass
from datetime import datetime

from shared.api.meta import ObjectMeta
from shared.events.models import Event, EventSource, EventType, InvolvedObject

EventKey = tuple[str, ...]


def format_timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def event_key(
    involved: InvolvedObject,
    *,
    source: EventSource,
    type: EventType,
    reason: str,
    message: str,
) -> EventKey:
    """client-go's getEventKey: what makes two Events the same."""
    return (
        source.component,
        source.host or "",
        involved.kind,
        involved.namespace or "",
        involved.name,
        involved.field_path or "",
        involved.uid or "",
        involved.api_version,
        type,
        reason,
        message,
    )


@dataclass(frozen=True)
class Seen:
    """The last Event written for one key, and when."""

    event: Event
    at: datetime


def unix_nanoseconds(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1_000


def event_name(involved: InvolvedObject, nanoseconds: int) -> str:
    return f"{involved.name}.{nanoseconds:x}"


def correlate(
    previous: Seen | None,
    *,
    involved: InvolvedObject,
    source: EventSource,
    type: EventType,
    reason: str,
    message: str,
    now: datetime,
    window_seconds: float,
    name_nanoseconds: int | None = None,
    reporting_instance: str = "",
) -> Event:
    """The Event to write now: the previous one counted up, or a new one named after
    `name_nanoseconds` (default: `now`; a recorder passes a strictly increasing value so
    two Events at one clock reading never share a name)."""
    stamp = format_timestamp(now)
    if previous is not None and (now - previous.at).total_seconds() <= window_seconds:
        return previous.event.model_copy(
            update={"count": previous.event.count + 1, "last_timestamp": stamp}
        )
    return Event(
        metadata=ObjectMeta(
            name=event_name(involved, name_nanoseconds or unix_nanoseconds(now)),
            namespace=involved.event_namespace,
        ),
        involved_object=involved,
        reason=reason,
        message=message,
        source=source,
        first_timestamp=stamp,
        last_timestamp=stamp,
        count=1,
        type=type,
        reporting_component=source.component,
        reporting_instance=reporting_instance,
    )
