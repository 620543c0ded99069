"""A raw HTTPS client for the fuzzer: paths go out byte for byte (no `..` folding, no
re-quoting, any method), one kept-alive connection, and every answer or failure recorded.
"""

import http.client
import json
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.integration.gateway.fuzzing_requests import FuzzRequest

READ_TIMEOUT_S = 15.0
"""A request not answered in this time counts as a stall (the body timeout is 60 s, but
every body is sent whole, so nothing legitimate waits that long)."""
AGGREGATED_PREFIXES = ("/apis/metrics.k8s.io/", "/apis/custom.metrics.k8s.io/", "/api/v1/nodes")
UNAVAILABLE = "the server is currently unable to handle the request"


@dataclass(frozen=True)
class Finding:
    request: FuzzRequest
    outcome: str

    def render(self) -> str:
        return f"{self.outcome} <- {self.request.describe()}"


@dataclass
class Tally:
    """What the run saw: answers by status code, and every answer that is a defect."""

    codes: dict[int, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    sent: int = 0


def _aggregated_unavailable(request: FuzzRequest, status: int, body: bytes) -> bool:
    """kube-aggregator's 503 for an APIService nobody serves: the fuzzed hub runs without
    telemetry, so `metrics.k8s.io` (and the fleet's nodes) are rightly unavailable. A HEAD
    answer has no body to check."""
    if status != 503 or not request.path.startswith(AGGREGATED_PREFIXES):
        return False
    if request.method == "HEAD":
        return True
    try:
        return json.loads(body).get("message") == UNAVAILABLE
    except (ValueError, AttributeError):
        return False


class RawClient:
    def __init__(self, *, port: int, ca_file: Path) -> None:
        self.port = port
        self.context = ssl.create_default_context(cafile=str(ca_file))
        self._connection: http.client.HTTPSConnection | None = None

    def _connect(self) -> http.client.HTTPSConnection:
        if self._connection is None:
            self._connection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, context=self.context, timeout=READ_TIMEOUT_S
            )
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def send(self, request: FuzzRequest) -> tuple[int, bytes]:
        """Status and body, retried once on a fresh connection when a kept-alive one turns
        out closed by the server (as HTTP clients do)."""
        reused = self._connection is not None
        try:
            return self._send_once(request)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            if not reused:
                raise
        return self._send_once(request)

    def _send_once(self, request: FuzzRequest) -> tuple[int, bytes]:
        """A watch answered 200 is left after its headers (its stream would run until
        timeoutSeconds) and its connection dropped."""
        connection = self._connect()
        try:
            connection.putrequest(request.method, request.path, skip_accept_encoding=True)
            for name, value in request.headers:
                connection.putheader(name, value)
            if request.body is not None:
                connection.putheader("Content-Length", str(len(request.body)))
            connection.endheaders(request.body)
            response = connection.getresponse()
            if request.watching and response.status == 200:
                self.close()
                return response.status, b""
            body = response.read()
            if response.will_close:
                self.close()
            return response.status, body
        except BaseException:
            self.close()
            raise

    def record(self, request: FuzzRequest, tally: Tally) -> None:
        tally.sent += 1
        started = time.monotonic()
        try:
            status, body = self.send(request)
        except TimeoutError:
            tally.findings.append(
                Finding(request, f"no answer within {time.monotonic() - started:.1f}s")
            )
            return
        except (http.client.HTTPException, ConnectionError, ssl.SSLError) as error:
            tally.findings.append(Finding(request, f"connection failed: {error!r}"))
            return
        tally.codes[status] = tally.codes.get(status, 0) + 1
        if status >= 500 and not _aggregated_unavailable(request, status, body):
            tally.findings.append(Finding(request, f"{status} {body[:400]!r}"))

    def call(
        self, method: str, path: str, *, token: str, body: Any = None, content_type: str = ""
    ) -> tuple[int, Any]:
        """A well-formed request (setup and the health checks), decoded."""
        headers = [("Authorization", f"Bearer {token}"), ("Accept", "application/json")]
        raw = None
        if body is not None:
            raw = json.dumps(body).encode()
            headers.append(("Content-Type", content_type or "application/json"))
        status, answer = self.send(
            FuzzRequest(method=method, path=path, headers=tuple(headers), body=raw)
        )
        try:
            return status, json.loads(answer) if answer else None
        except ValueError:
            return status, answer.decode(errors="replace")
