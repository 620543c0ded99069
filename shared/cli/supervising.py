"""`navarch up`'s supervisor: NATS and every service as child processes, restarted on crash.

Startup is honest: a process that exits before everything is ready fails `up` with its last
error lines, and so does a timeout. Afterwards a crashed process is restarted with backoff,
and so is a hung one, whose /healthz fails longer than the liveness timeout.
"""

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from shared.cli.liveness import LivenessProbe
from shared.cli.process_logs import error_lines, read_from, size_of
from shared.natsserver import NatsServer, free_port
from shared.private_files import open_private_log, private_dir, write_private
from shared.runtime.tasks import OwnedTasks
from shared.settings import NavarchSettings, SupervisorSettings

log = logging.getLogger(__name__)

STATE_FILE = "up.json"
MIN_BACKOFF_S = 0.5
MAX_BACKOFF_S = 10.0
HEALTHY_RUN_S = 10.0
KILL_MARGIN_S = 5.0
"""Beyond a service's own drain time (NAVARCH_SHUTDOWN_TIMEOUT_S) before SIGKILL."""
Clock = Callable[[], float]


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    http_port: int | None = None
    """Where /healthz and /readyz answer; None for NATS, whose readiness is its client port."""
    tcp_port: int | None = None


@dataclass
class ProcessState:
    spec: ProcessSpec
    pid: int | None = None
    restarts: int = 0
    started_at: float = 0.0
    last_exit: int | None = None
    last_restart_reason: str = ""
    log_offset: int = 0
    """Where this run's output starts in the process' log file."""


@dataclass(frozen=True)
class StartupFailure:
    name: str
    reason: str
    log_file: Path
    lines: list[str]

    def report(self) -> str:
        shown = "\n".join(f"  {line}" for line in self.lines) or "  (no output)"
        return f"navarch: {self.name} {self.reason}; its last lines ({self.log_file}):\n{shown}"


def service_module(name: str) -> str:
    return name if "." in name else f"services.{name}"


NOT_HUB_SERVICES = {"simulator"}
"""Runnable packages under services/ that are not part of the hub (started on request)."""


def discover_services(root: Path | None = None) -> list[str]:
    """Every `services/<name>/__main__.py` but the simulator is a service `navarch up` runs."""
    base = root or Path(__file__).resolve().parents[2] / "services"
    return sorted(
        path.parent.name
        for path in base.glob("*/__main__.py")
        if path.parent.name not in NOT_HUB_SERVICES
    )


def reachable_host(bind_host: str) -> str:
    """Where to probe a server bound to `bind_host`: the loopback for a wildcard address."""
    if bind_host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if bind_host == "::":
        return "::1"
    return bind_host


def service_http_ports(settings: NavarchSettings, count: int) -> list[int]:
    """NAVARCH_HTTP_PORT is the first of consecutive ports, one per service; 0: free ports."""
    if settings.http_port:
        return [settings.http_port + index for index in range(count)]
    return [free_port(reachable_host(settings.http_host)) for _ in range(count)]


class Supervisor:
    def __init__(
        self,
        *,
        home: Path,
        services: list[str],
        nats: NatsServer | None,
        nats_url: str,
        settings: NavarchSettings | None = None,
        supervision: SupervisorSettings | None = None,
        extra_env: dict[str, str] | None = None,
        extra_processes: list[ProcessSpec] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.home = home
        self.logs = home / "logs"
        self.settings = settings or NavarchSettings()
        self.supervision = supervision or SupervisorSettings()
        self.probe_host = reachable_host(self.settings.http_host)
        self._nats_url = nats_url
        self._clock = clock
        self._tasks = OwnedTasks("supervisor")
        self._stopping = asyncio.Event()
        self._ready_once = False
        self._startup_failure: StartupFailure | None = None
        self._children: dict[str, asyncio.subprocess.Process] = {}
        self.states: dict[str, ProcessState] = {}
        base_env = dict(os.environ)
        base_env.update(extra_env or {})
        base_env["NAVARCH_HOME"] = str(home.resolve())
        base_env["NAVARCH_NATS_URL"] = nats_url
        if nats is not None:
            nats.write_config()
            self.states["nats"] = ProcessState(
                ProcessSpec(name="nats", argv=nats.command(), tcp_port=nats.port)
            )
        for name, port in zip(
            services, service_http_ports(self.settings, len(services)), strict=True
        ):
            env = dict(base_env, NAVARCH_HTTP_PORT=str(port))
            argv = [sys.executable, "-m", service_module(name)]
            self.states[name] = ProcessState(ProcessSpec(name, argv, env=env, http_port=port))
        for spec in extra_processes or []:
            self.states[spec.name] = ProcessState(
                ProcessSpec(spec.name, spec.argv, env=base_env, tcp_port=spec.tcp_port)
            )

    @property
    def kill_grace_s(self) -> float:
        return self.settings.shutdown_timeout_s + KILL_MARGIN_S

    def log_file(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    async def _spawn(self, state: ProcessState) -> asyncio.subprocess.Process:
        private_dir(self.logs)
        path = self.log_file(state.spec.name)
        state.log_offset = size_of(path)
        with open_private_log(path) as output:
            process = await asyncio.create_subprocess_exec(
                *state.spec.argv,
                env=state.spec.env or None,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        state.pid = process.pid
        state.started_at = self._clock()
        self._children[state.spec.name] = process
        self.write_state()
        return process

    def _fail_startup(self, state: ProcessState, reason: str) -> None:
        path = self.log_file(state.spec.name)
        self._startup_failure = StartupFailure(
            name=state.spec.name,
            reason=reason,
            log_file=path,
            lines=error_lines(read_from(path, state.log_offset)),
        )

    async def _keep_running(self, state: ProcessState) -> None:
        backoff = MIN_BACKOFF_S
        while not self._stopping.is_set():
            process = await self._spawn(state)
            code = await process.wait()
            state.last_exit = code
            if self._stopping.is_set():
                return
            if not self._ready_once:
                why = state.last_restart_reason or f"exited with code {code}"
                self._fail_startup(state, f"{why} before it was ready")
                return
            lived = self._clock() - state.started_at
            if lived > HEALTHY_RUN_S:
                backoff = MIN_BACKOFF_S
            reason = state.last_restart_reason or f"exited with code {code}"
            log.warning(
                "%s %s after %.1fs; restarting in %.1fs", state.spec.name, reason, lived, backoff
            )
            print(f"navarch: {state.spec.name} {reason}; restarting", flush=True)
            try:
                await asyncio.wait_for(self._stopping.wait(), backoff)
                return
            except TimeoutError:
                pass
            backoff = min(backoff * 2, MAX_BACKOFF_S)
            state.restarts += 1
            state.last_restart_reason = ""

    async def _answers(
        self, state: ProcessState, session: aiohttp.ClientSession, *, path: str, timeout: float
    ) -> bool:
        if state.spec.tcp_port is not None:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", state.spec.tcp_port)
            except OSError:
                return False
            writer.close()
            return True
        try:
            async with session.get(
                f"http://{self.probe_host}:{state.spec.http_port}{path}",
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def _watch_liveness(self, state: ProcessState) -> None:
        """Kill a service whose /healthz fails too long: `_keep_running` then restarts it."""
        period = self.supervision.liveness_period_s
        probe = LivenessProbe(timeout_s=self.supervision.liveness_timeout_s)
        watched_pid: int | None = None
        async with aiohttp.ClientSession() as session:
            while not self._stopping.is_set():
                process = self._children.get(state.spec.name)
                if process is None or process.returncode is not None:
                    await asyncio.sleep(period)
                    continue
                if process.pid != watched_pid:
                    watched_pid = process.pid
                    probe.started(state.started_at)
                started = self._clock()
                healthy = await self._answers(state, session, path="/healthz", timeout=period)
                failing_for = probe.observe(healthy=healthy, now=self._clock())
                if failing_for is not None and process.returncode is None:
                    state.last_restart_reason = f"failed its liveness probe for {failing_for:.0f}s"
                    log.warning("%s %s; killing it", state.spec.name, state.last_restart_reason)
                    await self._kill(process, grace_s=self.kill_grace_s)
                await asyncio.sleep(max(0.0, period - (self._clock() - started)))

    async def readiness(self) -> dict[str, bool]:
        async with aiohttp.ClientSession() as session:
            results = await asyncio.gather(
                *(
                    self._answers(state, session, path="/readyz", timeout=1.0)
                    for state in self.states.values()
                )
            )
        return dict(zip(self.states, results, strict=True))

    async def wait_ready(self, *, timeout: float) -> bool:
        """True once every process answers at one time; False on a startup exit or timeout."""
        deadline = self._clock() + timeout
        while self._clock() < deadline and self._startup_failure is None:
            if all((await self.readiness()).values()) and self._startup_failure is None:
                return True
            await asyncio.sleep(0.1)
        return False

    def _not_ready_report(self, waiting: list[str], timeout: float) -> str:
        reports = [f"navarch: not ready after {timeout:.0f}s: {', '.join(waiting)}"]
        for name in waiting:
            state = self.states[name]
            failure = StartupFailure(
                name=name,
                reason="is not ready",
                log_file=self.log_file(name),
                lines=error_lines(read_from(self.log_file(name), state.log_offset)),
            )
            reports.append(failure.report())
        return "\n".join(reports)

    def write_state(self, *, ready: bool = False) -> None:
        state = {
            "pid": os.getpid(),
            "ready": ready,
            "nats_url": self._nats_url.split("@")[-1],
            "probe_host": self.probe_host,
            "processes": [
                {
                    "name": name,
                    "pid": process_state.pid,
                    "http_port": process_state.spec.http_port,
                    "tcp_port": process_state.spec.tcp_port,
                    "restarts": process_state.restarts,
                }
                for name, process_state in self.states.items()
            ],
        }
        private_dir(self.home)
        write_private(self.home / STATE_FILE, json.dumps(state, indent=2))

    async def run(
        self,
        *,
        ready_timeout: float = 60.0,
        on_ready: Callable[[], str] | None = None,
        after_ready: Callable[[], Awaitable[str]] | None = None,
    ) -> int:
        """Run until SIGTERM/SIGINT; `after_ready` runs once everything answers (attach work).

        Returns 1 at once, having stopped everything, when startup fails.
        """
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._stopping.set)
        for name, state in self.states.items():
            self._tasks.start(self._keep_running(state), name=name)
            if state.spec.http_port is not None:
                self._tasks.start(self._watch_liveness(state), name=f"liveness/{name}")
        ready = await self.wait_ready(timeout=ready_timeout)
        if not ready:
            if self._startup_failure is not None:
                report = self._startup_failure.report()
            else:
                waiting = [name for name, ok in (await self.readiness()).items() if not ok]
                report = self._not_ready_report(waiting, ready_timeout)
            print(report, file=sys.stderr, flush=True)
            await self.stop()
            return 1
        self._ready_once = True
        note = on_ready() if on_ready is not None else ""
        if after_ready is not None:
            try:
                step = await after_ready()
            except Exception as error:
                log.exception("post-start step failed")
                step = f"(post-start step failed: {error})"
            note = f"{note} {step}".strip()
        self.write_state(ready=True)
        print(f"navarch is up: {len(self.states)} processes ready. {note}", flush=True)
        await self._stopping.wait()
        await self.stop()
        return 0

    async def stop(self) -> None:
        self._stopping.set()
        services = [name for name in self._children if name != "nats"]
        await self._terminate(services)
        await self._terminate(["nats"])
        await self._tasks.stop(timeout=1.0)
        state_file = self.home / STATE_FILE
        state_file.unlink(missing_ok=True)

    async def _terminate(self, names: list[str]) -> None:
        processes = [self._children[name] for name in names if name in self._children]
        await asyncio.gather(
            *(self._kill(process, grace_s=self.kill_grace_s) for process in processes)
        )

    @staticmethod
    async def _kill(process: asyncio.subprocess.Process, *, grace_s: float) -> None:
        """SIGTERM, then SIGKILL after `grace_s`: a hung event loop never handles SIGTERM."""
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), grace_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


def read_state(home: Path) -> dict | None:
    path = home / STATE_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text())
