"""Fault injection for simulated clusters: a pure model of each cluster's faults, and the
aiohttp middleware that makes requests to a faulty cluster fail the way a real one does.

Clients (the hub, kubectl) must see what a broken member gives them, not a friendly error:
`down` drops the connection without an answer (a connection error), `partition` answers
nothing until the client gives up, `latency` delays every request, `errors` answers a share
of requests with a 500 `InternalError` Status. `drop-watches` and `expire` are one-shot
actions (end open watches; compact the store so old revisions get 410) carried out by the
server; `up` clears every fault. Only paths under `/clusters/<name>/` are affected.
"""

import asyncio
import contextlib
import enum
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web

from shared.kubeapi import statuses
from shared.kubeapi.server import error_response

CLUSTERS_PREFIX = "/clusters/"
HANG_POLL_S = 0.5
ACTIONS = ("down", "up", "latency", "errors", "partition", "drop-watches", "expire")
ONE_SHOT = frozenset({"drop-watches", "expire"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FaultError(ValueError):
    """A fault command that cannot be applied; the message says what is wrong."""


@dataclass(frozen=True)
class Fault:
    """One command: `latency` takes milliseconds, `errors` a ratio in [0, 1]."""

    action: str
    value: float | None = None

    @property
    def one_shot(self) -> bool:
        return self.action in ONE_SHOT


@dataclass(frozen=True)
class FaultState:
    """The standing faults of one cluster; the default is a healthy cluster."""

    down: bool = False
    partitioned: bool = False
    latency_ms: float = 0.0
    error_ratio: float = 0.0

    @property
    def healthy(self) -> bool:
        return self == FaultState()

    def describe(self) -> list[str]:
        """Short labels, as `navarch sim clusters` prints them."""
        labels = []
        if self.down:
            labels.append("down")
        if self.partitioned:
            labels.append("partition")
        if self.latency_ms:
            labels.append(f"latency={self.latency_ms:g}ms")
        if self.error_ratio:
            labels.append(f"errors={self.error_ratio:g}")
        return labels

    def to_dict(self) -> dict[str, Any]:
        return {
            "down": self.down,
            "partitioned": self.partitioned,
            "latencyMs": self.latency_ms,
            "errorRatio": self.error_ratio,
        }


def parse_fault(action: str, value: str | float | None = None) -> Fault:
    """Validate a command as typed on the CLI or posted to the admin endpoint."""
    if action not in ACTIONS:
        raise FaultError(f"unknown fault {action!r}; use one of {', '.join(ACTIONS)}")
    if action not in ("latency", "errors"):
        if value not in (None, ""):
            raise FaultError(f"fault {action!r} takes no value")
        return Fault(action)
    if value in (None, ""):
        what = "milliseconds" if action == "latency" else "a ratio between 0 and 1"
        raise FaultError(f"fault {action!r} needs {what}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except ValueError:
        raise FaultError(f"fault {action!r}: {value!r} is not a number") from None
    if number != number:
        raise FaultError(f"fault {action!r}: {value!r} is not a number")
    if number < 0:
        raise FaultError(f"fault {action!r}: must not be negative")
    if action == "errors" and number > 1:
        raise FaultError("fault 'errors': the ratio must be between 0 and 1")
    return Fault(action, number)


def apply_fault(state: FaultState, fault: Fault) -> FaultState:
    """The standing faults after a command (one-shot actions leave them as they are)."""
    match fault.action:
        case "up":
            return FaultState()
        case "down":
            return replace(state, down=True)
        case "partition":
            return replace(state, partitioned=True)
        case "latency":
            return replace(state, latency_ms=fault.value or 0.0)
        case "errors":
            return replace(state, error_ratio=fault.value or 0.0)
    return state


class Verdict(enum.Enum):
    PASS = "pass"
    REFUSE = "refuse"
    HANG = "hang"
    FAIL = "fail"


def decide(state: FaultState, *, roll: float) -> Verdict:
    """What happens to one request; `roll` is uniform in [0, 1) (the error dice)."""
    if state.down:
        return Verdict.REFUSE
    if state.partitioned:
        return Verdict.HANG
    if roll < state.error_ratio:
        return Verdict.FAIL
    return Verdict.PASS


def cluster_of(path: str) -> str | None:
    """`/clusters/<name>/...` -> name; None for paths outside any cluster (admin, health)."""
    if not path.startswith(CLUSTERS_PREFIX):
        return None
    name = path[len(CLUSTERS_PREFIX) :].partition("/")[0]
    return name or None


def is_watch(request: web.Request) -> bool:
    return request.query.get("watch", "").lower() in ("1", "true") or "/watch/" in request.path


@dataclass(eq=False)
class ClusterGate:
    """The live side of one cluster's faults: its state and the requests it is serving."""

    name: str
    state: FaultState = FaultState()
    requests: dict[int, web.Request] = field(default_factory=dict)
    """Requests being served, by id (aiohttp requests are mappings, not hashable)."""
    held: dict[int, web.Request] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _finished: asyncio.Event = field(default_factory=asyncio.Event)

    def set_state(self, state: FaultState) -> None:
        """Change the faults and wake requests held by a partition (they look again)."""
        self.state = state
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def finish(self, request: web.Request) -> None:
        """A request is answered (or its stream ended): wake whoever waits for that."""
        self.requests.pop(id(request), None)
        finished, self._finished = self._finished, asyncio.Event()
        finished.set()

    async def watches_ended(self, *, timeout: float) -> bool:
        """Wait until no watch is open; False if some are still open after `timeout`."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.watches():
                    await self._finished.wait()
        return not self.watches()

    def watches(self) -> list[web.Request]:
        return [request for request in self.requests.values() if is_watch(request)]

    def sever(self, *, watches_only: bool = False) -> int:
        """Close the connections of requests in flight (a cluster dying under its clients)."""
        severed = 0
        for request in list(self.requests.values()):
            if watches_only and not is_watch(request):
                continue
            if request.transport is not None and not request.transport.is_closing():
                request.transport.close()
                severed += 1
        return severed

    async def hold(self, request: web.Request) -> bool:
        """Answer nothing while partitioned; False when the client gave up meanwhile."""
        self.held[id(request)] = request
        try:
            while self.state.partitioned:
                if _gone(request):
                    return False
                changed = self._changed
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(HANG_POLL_S):
                        await changed.wait()
            return not _gone(request)
        finally:
            self.held.pop(id(request), None)

    def release_held(self) -> None:
        """Cut the connections a partition is holding (the server is stopping)."""
        for request in list(self.held.values()):
            if request.transport is not None:
                request.transport.close()
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()


def _gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _drop(request: web.Request) -> web.StreamResponse:
    """No answer at all: the connection closes and the client sees it disconnect."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=503)


class FaultInjector:
    """Every cluster's gate, and the middleware that applies them to requests."""

    def __init__(self, names: list[str], *, seed: int | None = None) -> None:
        self.gates = {name: ClusterGate(name) for name in names}
        self._random = random.Random(seed)

    def __getitem__(self, name: str) -> ClusterGate:
        return self.gates[name]

    def add(self, name: str) -> ClusterGate:
        """A gate for a cluster created at run time (healthy until told otherwise)."""
        return self.gates.setdefault(name, ClusterGate(name))

    def remove(self, name: str) -> None:
        gate = self.gates.pop(name, None)
        if gate is not None:
            gate.release_held()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        name = cluster_of(request.path)
        gate = self.gates.get(name) if name is not None else None
        if gate is None:
            return await handler(request)
        verdict = decide(gate.state, roll=self._random.random())
        if verdict is Verdict.REFUSE:
            return _drop(request)
        if verdict is Verdict.HANG:
            if not await gate.hold(request):
                return _drop(request)
            verdict = decide(gate.state, roll=self._random.random())
            if verdict is Verdict.REFUSE:
                return _drop(request)
        if gate.state.latency_ms:
            await asyncio.sleep(gate.state.latency_ms / 1000)
        if verdict is Verdict.FAIL:
            return error_response(
                statuses.internal(f"simulated fault on cluster {name}: internal error")
            )
        gate.requests[id(request)] = request
        try:
            return await handler(request)
        finally:
            gate.finish(request)
