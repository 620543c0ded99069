"""`navarch check`'s verdicts: the articles' health-check script as pure functions.

Each check turns what was read (process probes, Clusters, ResourceBindings, Events) into
one result; the fleet is healthy when none failed. Warning events are reported, not
failed on: they outlive the trouble they describe, and a check that stays red after the
fleet recovered would page someone for nothing.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.cli.printing import fully_applied, render_rows

Object = Mapping[str, Any]
Status = Literal["OK", "FAIL", "INFO"]
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class CheckResult:
    check: str
    status: Status
    summary: str
    problems: tuple[str, ...] = field(default=())


def _ready_condition(obj: Object) -> Object:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition
    return {}


def check_processes(rows: Iterable[Mapping[str, Any]] | None) -> CheckResult:
    """`navarch status`'s rows; None when this hub is not run by `navarch up` here."""
    if rows is None:
        return CheckResult("control-plane", "INFO", "not run by `navarch up` here; not checked")
    listed = list(rows)
    failing = tuple(
        f"{row['name']}: {'not ready' if row.get('status') == 'Running' else 'not running'}"
        for row in listed
        if not row.get("ready")
    )
    ready = len(listed) - len(failing)
    return CheckResult(
        "control-plane",
        "FAIL" if failing else "OK",
        f"{ready}/{len(listed)} processes ready",
        failing,
    )


def check_members(clusters: Iterable[Object]) -> CheckResult:
    listed = list(clusters)
    problems = []
    for cluster in listed:
        condition = _ready_condition(cluster)
        if condition.get("status") == "True":
            continue
        reason = condition.get("reason") or "NoVerdict"
        message = condition.get("message") or "no health probe has answered yet"
        problems.append(f"{cluster['metadata']['name']}: {reason}: {message}")
    ready = len(listed) - len(problems)
    return CheckResult(
        "members",
        "FAIL" if problems else "OK",
        f"{ready}/{len(listed)} clusters Ready",
        tuple(problems),
    )


def check_bindings(bindings: Iterable[Object]) -> CheckResult:
    listed = list(bindings)
    problems = []
    for binding in listed:
        applied = fully_applied(binding)
        if applied == "True":
            continue
        metadata = binding.get("metadata") or {}
        where = "/".join(filter(None, (metadata.get("namespace"), metadata.get("name"))))
        failed = [
            item.get("clusterName", "")
            for item in (binding.get("status") or {}).get("aggregatedStatus") or []
            if item.get("applied") is False
        ]
        detail = f"not applied on {', '.join(failed)}" if failed else "not fully applied yet"
        problems.append(f"{where}: {detail}")
    applied_count = len(listed) - len(problems)
    return CheckResult(
        "bindings",
        "FAIL" if problems else "OK",
        f"{applied_count}/{len(listed)} fully applied",
        tuple(problems),
    )


def _event_time(event: Object) -> datetime | None:
    stamp = (
        event.get("lastTimestamp")
        or event.get("eventTime")
        or (event.get("metadata") or {}).get("creationTimestamp")
    )
    if not stamp:
        return None
    try:
        return datetime.strptime(str(stamp)[:19] + "Z", TIMESTAMP_FORMAT)
    except ValueError:
        return None


def check_events(events: Iterable[Object], *, now: datetime, since: timedelta) -> CheckResult:
    """Warning events newer than `since`, the newest first; reported, never failed on."""
    horizon = now.replace(tzinfo=None) - since
    recent = []
    for event in events:
        when = _event_time(event)
        if event.get("type") != "Warning" or when is None or when < horizon:
            continue
        involved = event.get("involvedObject") or {}
        recent.append(
            (
                when,
                f"{involved.get('kind')}/{involved.get('name')}: {event.get('reason')}: "
                f"{event.get('message')}",
            )
        )
    recent.sort(reverse=True)
    minutes = int(since.total_seconds() // 60)
    return CheckResult(
        "events",
        "INFO",
        f"{len(recent)} Warning events in the last {minutes}m",
        tuple(text for _, text in recent[:10]),
    )


def healthy(results: list[CheckResult]) -> bool:
    return all(result.status != "FAIL" for result in results)


def report(results: list[CheckResult]) -> str:
    """A table of the checks, each problem on its own line under its check."""
    lines = [
        render_rows(
            ["CHECK", "STATUS", "SUMMARY"],
            [[result.check, result.status, result.summary] for result in results],
        )
    ]
    for result in results:
        lines += [f"  {result.check}: {problem}" for problem in result.problems]
    return "\n".join(lines)
