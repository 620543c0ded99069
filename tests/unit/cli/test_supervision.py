"""The supervisor's pure parts: when a process counts as hung, which log lines explain a crash."""

import json

import pytest

from shared.cli.liveness import LivenessProbe
from shared.cli.process_logs import error_lines
from shared.cli.supervising import reachable_host, service_http_ports
from shared.settings import NavarchSettings

Observations = list[tuple[float, bool]]
# timeout, (seconds after start, healthy) observed in order, the expected verdicts
PROBE_CASES: dict[str, tuple[float, Observations, list[float | None]]] = {
    "healthy all along": (30, [(1, True), (20, True), (40, True)], [None, None, None]),
    "never answers": (30, [(10, False), (29, False), (30, False)], [None, None, 30]),
    "a success resets the count": (
        15,
        [(10, False), (25, True), (40, False), (54, False), (55, False)],
        [None, None, None, None, 15],
    ),
    "hangs after running": (
        30,
        [(100, True), (102, False), (131, False), (132, False)],
        [None, None, None, 30],
    ),
}


@pytest.mark.parametrize("case", PROBE_CASES.values(), ids=PROBE_CASES.keys())
def test_liveness_fails_after_the_timeout_of_continuous_failure(
    case: tuple[float, Observations, list[float | None]],
) -> None:
    timeout, observations, expected = case
    probe = LivenessProbe(timeout_s=timeout)
    probe.started(0.0)
    verdicts = [probe.observe(healthy=healthy, now=now) for now, healthy in observations]
    assert verdicts == expected


def test_a_restarted_process_gets_a_fresh_timeout() -> None:
    probe = LivenessProbe(timeout_s=5)
    probe.started(0.0)
    assert probe.observe(healthy=False, now=6.0) == 6.0
    probe.started(10.0)
    assert probe.observe(healthy=False, now=14.0) is None
    assert probe.observe(healthy=False, now=15.0) == 5.0


def json_line(level: str, message: str) -> str:
    return json.dumps({"level": level, "service": "gateway", "message": message})


def test_error_lines_prefer_the_traceback_and_errors_over_routine_logs() -> None:
    log = "\n".join(
        [
            json_line("INFO", "service starting"),
            json_line("ERROR", "cannot load tokens"),
            json_line("INFO", "still going"),
            "Traceback (most recent call last):",
            '  File "service.py", line 94, in start',
            "OSError: [Errno 98] Address already in use",
            "",
        ]
    )
    assert error_lines(log) == [
        json_line("ERROR", "cannot load tokens"),
        "Traceback (most recent call last):",
        '  File "service.py", line 94, in start',
        "OSError: [Errno 98] Address already in use",
    ]
    assert error_lines(log, limit=1) == ["OSError: [Errno 98] Address already in use"]


def test_error_lines_fall_back_to_the_last_lines() -> None:
    log = "\n".join(json_line("INFO", f"step {index}") for index in range(20))
    assert error_lines(log, limit=2) == [json_line("INFO", "step 18"), json_line("INFO", "step 19")]
    assert error_lines("") == []


@pytest.mark.parametrize(
    ("bind", "probe"),
    [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "127.0.0.1"), ("::", "::1"), ("10.1.2.3", "10.1.2.3")],
)
def test_probes_reach_a_wildcard_bind_through_the_loopback(bind: str, probe: str) -> None:
    assert reachable_host(bind) == probe


def test_http_port_is_the_first_of_one_port_per_service() -> None:
    assert service_http_ports(NavarchSettings(http_port=9100), 3) == [9100, 9101, 9102]
    free = service_http_ports(NavarchSettings(http_port=0), 2)
    assert len(set(free)) == 2 and all(port > 0 for port in free)
