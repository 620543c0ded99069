"""`navarch check`'s verdicts over what was read, without I/O."""

from datetime import UTC, datetime, timedelta

from shared.cli.checking import (
    check_bindings,
    check_events,
    check_members,
    check_processes,
    healthy,
    report,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def cluster(name: str, status: str, reason: str = "ClusterReady", message: str = "") -> dict:
    condition = {"type": "Ready", "status": status, "reason": reason, "message": message}
    return {"metadata": {"name": name}, "status": {"conditions": [condition]}}


def test_processes_not_ready_or_not_running_fail() -> None:
    rows = [
        {"name": "gateway", "status": "Running", "ready": True},
        {"name": "scheduler", "status": "Running", "ready": False},
        {"name": "nats", "status": "Stopped", "ready": False},
    ]
    result = check_processes(rows)
    assert (result.status, result.summary) == ("FAIL", "1/3 processes ready")
    assert result.problems == ("scheduler: not ready", "nats: not running")
    assert check_processes(None).status == "INFO"


def test_a_member_down_is_named_with_its_reason() -> None:
    result = check_members(
        [
            cluster("hz", "True"),
            cluster("sh", "False", "ClusterNotReachable", "cluster is not reachable"),
            {"metadata": {"name": "new"}, "status": {}},
        ]
    )
    assert result.status == "FAIL" and result.summary == "1/3 clusters Ready"
    assert result.problems == (
        "sh: ClusterNotReachable: cluster is not reachable",
        "new: NoVerdict: no health probe has answered yet",
    )
    assert check_members([cluster("hz", "True")]).status == "OK"


def test_bindings_not_fully_applied_name_the_failing_clusters() -> None:
    def binding(name: str, applied: dict[str, bool]) -> dict:
        return {
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"clusters": [{"name": c} for c in applied]},
            "status": {
                "aggregatedStatus": [{"clusterName": c, "applied": a} for c, a in applied.items()]
            },
        }

    result = check_bindings(
        [binding("ok", {"hz": True}), binding("bad", {"hz": True, "sh": False})]
    )
    assert result.status == "FAIL" and result.summary == "1/2 fully applied"
    assert result.problems == ("default/bad: not applied on sh",)


def test_recent_warnings_are_reported_newest_first_and_never_fail() -> None:
    def event(kind: str, minutes_ago: int, reason: str) -> dict:
        stamp = (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "type": kind,
            "reason": reason,
            "message": "m",
            "lastTimestamp": stamp,
            "involvedObject": {"kind": "Cluster", "name": "sh"},
        }

    events = [
        event("Warning", 2, "Old"),
        event("Warning", 1, "New"),
        event("Normal", 1, "Fine"),
        event("Warning", 30, "Stale"),
    ]
    result = check_events(events, now=NOW, since=timedelta(minutes=10))
    assert result.status == "INFO"
    assert result.summary == "2 Warning events in the last 10m"
    assert result.problems == ("Cluster/sh: New: m", "Cluster/sh: Old: m")


def test_the_report_and_the_verdict() -> None:
    results = [
        check_processes(None),
        check_members([cluster("sh", "False", "ClusterNotReachable", "down")]),
    ]
    assert not healthy(results)
    text = report(results)
    assert text.splitlines()[0].split() == ["CHECK", "STATUS", "SUMMARY"]
    assert "  members: sh: ClusterNotReachable: down" in text.splitlines()
