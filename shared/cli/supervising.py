"""`navarch up`'s supervisor: NATS and every service as child processes, restarted on crash."""

import asyncio
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

from shared.natsserver import NatsServer, free_port
from shared.runtime.tasks import OwnedTasks

log = logging.getLogger(__name__)

STATE_FILE = "up.json"
MIN_BACKOFF_S = 0.5
MAX_BACKOFF_S = 10.0
HEALTHY_RUN_S = 10.0


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    http_port: int | None = None
    """Where /readyz answers; None for NATS, whose readiness is its client port."""
    tcp_port: int | None = None


@dataclass
class ProcessState:
    spec: ProcessSpec
    pid: int | None = None
    restarts: int = 0
    started_at: float = 0.0
    last_exit: int | None = None


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


class Supervisor:
    def __init__(
        self,
        *,
        home: Path,
        services: list[str],
        nats: NatsServer | None,
        nats_url: str,
        extra_env: dict[str, str] | None = None,
        extra_processes: list[ProcessSpec] | None = None,
    ) -> None:
        self.home = home
        self.logs = home / "logs"
        self._nats = nats
        self._nats_url = nats_url
        self._tasks = OwnedTasks("supervisor")
        self._stopping = asyncio.Event()
        self._children: dict[str, asyncio.subprocess.Process] = {}
        self.states: dict[str, ProcessState] = {}
        base_env = dict(os.environ)
        base_env.update(extra_env or {})
        base_env["NAVARCH_HOME"] = str(home.resolve())
        base_env["NAVARCH_NATS_URL"] = nats_url
        if nats is not None:
            self.states["nats"] = ProcessState(
                ProcessSpec(name="nats", argv=nats.command(), tcp_port=nats.port)
            )
        for name in services:
            port = free_port()
            env = dict(base_env, NAVARCH_HTTP_PORT=str(port))
            argv = [sys.executable, "-m", service_module(name)]
            self.states[name] = ProcessState(ProcessSpec(name, argv, env=env, http_port=port))
        for spec in extra_processes or []:
            self.states[spec.name] = ProcessState(
                ProcessSpec(spec.name, spec.argv, env=base_env, tcp_port=spec.tcp_port)
            )

    async def _spawn(self, state: ProcessState) -> asyncio.subprocess.Process:
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{state.spec.name}.log", "ab") as output:  # noqa: ASYNC230
            process = await asyncio.create_subprocess_exec(
                *state.spec.argv,
                env=state.spec.env or None,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        state.pid = process.pid
        state.started_at = time.monotonic()
        self._children[state.spec.name] = process
        self.write_state()
        return process

    async def _keep_running(self, state: ProcessState) -> None:
        backoff = MIN_BACKOFF_S
        while not self._stopping.is_set():
            process = await self._spawn(state)
            code = await process.wait()
            state.last_exit = code
            if self._stopping.is_set():
                return
            lived = time.monotonic() - state.started_at
            if lived > HEALTHY_RUN_S:
                backoff = MIN_BACKOFF_S
            log.warning(
                "%s exited with %s after %.1fs; restarting in %.1fs",
                state.spec.name,
                code,
                lived,
                backoff,
            )
            print(f"navarch: {state.spec.name} exited ({code}); restarting", flush=True)
            try:
                await asyncio.wait_for(self._stopping.wait(), backoff)
                return
            except TimeoutError:
                pass
            backoff = min(backoff * 2, MAX_BACKOFF_S)
            state.restarts += 1

    async def _ready(self, state: ProcessState, session: aiohttp.ClientSession) -> bool:
        if state.spec.tcp_port is not None:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", state.spec.tcp_port)
            except OSError:
                return False
            writer.close()
            return True
        try:
            async with session.get(
                f"http://127.0.0.1:{state.spec.http_port}/readyz",
                timeout=aiohttp.ClientTimeout(total=1),
            ) as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def readiness(self) -> dict[str, bool]:
        async with aiohttp.ClientSession() as session:
            results = await asyncio.gather(
                *(self._ready(state, session) for state in self.states.values())
            )
        return dict(zip(self.states, results, strict=True))

    async def wait_ready(self, *, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all((await self.readiness()).values()):
                return True
            await asyncio.sleep(0.1)
        return False

    def write_state(self, *, ready: bool = False) -> None:
        state = {
            "pid": os.getpid(),
            "ready": ready,
            "nats_url": self._nats_url.split("@")[-1],
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
        self.home.mkdir(parents=True, exist_ok=True)
        temporary = self.home / f"{STATE_FILE}.tmp"
        temporary.write_text(json.dumps(state, indent=2))
        temporary.replace(self.home / STATE_FILE)

    async def run(
        self,
        *,
        ready_timeout: float = 60.0,
        on_ready: str = "",
        after_ready: Callable[[], Awaitable[str]] | None = None,
    ) -> int:
        """Run until SIGTERM/SIGINT; `after_ready` runs once everything answers (attach work)."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._stopping.set)
        names = list(self.states)
        if "nats" in self.states:
            self._tasks.start(self._keep_running(self.states["nats"]), name="nats")
            names.remove("nats")
        for name in names:
            self._tasks.start(self._keep_running(self.states[name]), name=name)
        ready = await self.wait_ready(timeout=ready_timeout)
        if not ready:
            waiting = [name for name, ok in (await self.readiness()).items() if not ok]
            print(
                f"navarch: not ready after {ready_timeout:.0f}s: {', '.join(waiting)}; "
                f"see {self.logs}",
                flush=True,
            )
        else:
            if after_ready is not None:
                try:
                    note = await after_ready()
                except Exception as error:
                    log.exception("post-start step failed")
                    note = f"(post-start step failed: {error})"
                on_ready = f"{on_ready} {note}".strip()
            self.write_state(ready=True)
            print(f"navarch is up: {len(self.states)} processes ready. {on_ready}", flush=True)
        await self._stopping.wait()
        await self.stop()
        return 0 if ready else 1

    async def stop(self, *, timeout: float = 15.0) -> None:
        self._stopping.set()
        services = [name for name in self._children if name != "nats"]
        await self._terminate(services, timeout=timeout)
        await self._terminate(["nats"], timeout=timeout)
        await self._tasks.stop(timeout=1.0)
        state_file = self.home / STATE_FILE
        state_file.unlink(missing_ok=True)

    async def _terminate(self, names: list[str], *, timeout: float) -> None:
        processes = [self._children[name] for name in names if name in self._children]
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                process.kill()
                await process.wait()


def read_state(home: Path) -> dict | None:
    path = home / STATE_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text())
