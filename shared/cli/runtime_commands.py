"""`navarch up | down | status | service`: running the hub on one machine."""

import argparse
import asyncio
import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from shared.cli.attaching import attach_simulated_clusters
from shared.cli.supervising import ProcessSpec, Supervisor, discover_services, read_state
from shared.natsserver import NatsCredentials, NatsServer, free_port
from shared.settings import NATS_CONNECTION_FILE
from shared.store.encryption import load_or_create_key

DEFAULT_GATEWAY_PORT = 6443
SIMULATOR_STATE_FILE = "simulator.json"


def home_from(args: argparse.Namespace) -> Path:
    return Path(args.home or os.environ.get("NAVARCH_HOME") or ".navarch")


def _write_private(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(content)


def add_parsers(commands: argparse._SubParsersAction) -> None:
    up = commands.add_parser("up", help="run NATS and every service until Ctrl-C")
    up.add_argument("--home", help="state directory (NAVARCH_HOME, default ./.navarch)")
    up.add_argument(
        "--nats-url",
        default=os.environ.get("NAVARCH_NATS_URL"),
        help="use this NATS instead of starting one (NAVARCH_NATS_URL)",
    )
    up.add_argument("--nats-port", type=int, default=0, help="embedded NATS port (0: free)")
    up.add_argument(
        "--gateway-port",
        type=int,
        default=0,
        help="hub API port (default 6443, or a free port when 6443 is taken)",
    )
    up.add_argument("--services", help="comma-separated services to run (default: all)")
    up.add_argument(
        "--sim",
        metavar="FILE",
        help="also run simulated member clusters from a SimulatedFleet file and attach them",
    )
    up.add_argument(
        "--sim-clusters",
        type=int,
        default=0,
        metavar="N",
        help="also run N generated simulated clusters and attach them",
    )
    up.add_argument("--detach", action="store_true", help="return once everything is ready")
    up.add_argument("--ready-timeout", type=float, default=60.0)
    up.set_defaults(handler=command_up)

    down = commands.add_parser("down", help="stop what `navarch up --detach` started")
    down.add_argument("--home")
    down.set_defaults(handler=command_down)

    status = commands.add_parser("status", help="each process of `navarch up` and its health")
    status.add_argument("--home")
    status.add_argument("-o", "--output", choices=["table", "json"], default="table")
    status.set_defaults(handler=command_status)

    service = commands.add_parser("service", help="run one service in the foreground")
    service.add_argument("name", choices=discover_services())
    service.set_defaults(handler=command_service)


def command_up(args: argparse.Namespace) -> int:
    home = home_from(args)
    existing = read_state(home)
    if existing and _alive(existing["pid"]):
        print(
            f"navarch is already running (pid {existing['pid']}); `navarch down` stops it",
            file=sys.stderr,
        )
        return 1
    if args.detach:
        return _detach(args, home)
    services = args.services.split(",") if args.services else discover_services()
    nats: NatsServer | None = None
    if args.nats_url:
        url = args.nats_url
    else:
        credentials = NatsCredentials.load_or_create(home / "nats.credentials")
        nats = NatsServer(
            store_dir=home / "jetstream", port=args.nats_port or None, credentials=credentials
        )
        url = nats.url
    _write_private(home / NATS_CONNECTION_FILE, json.dumps({"url": url}))
    load_or_create_key(home)
    gateway_port = args.gateway_port or _default_gateway_port()
    kubeconfig = home / "hub.kubeconfig"
    simulator, after_ready = _simulator(args, home=home, hub_kubeconfig=kubeconfig)
    supervisor = Supervisor(
        home=home,
        services=services,
        nats=nats,
        nats_url=url,
        extra_env={"NAVARCH_GATEWAY_PORT": str(gateway_port)},
        extra_processes=simulator,
    )
    hint = (
        f"Hub API: https://127.0.0.1:{gateway_port} — try `kubectl --kubeconfig {kubeconfig} "
        "api-resources` or `navarch get clusters`."
        if "gateway" in services
        else ""
    )
    return asyncio.run(
        supervisor.run(ready_timeout=args.ready_timeout, on_ready=hint, after_ready=after_ready)
    )


def _simulator(
    args: argparse.Namespace, *, home: Path, hub_kubeconfig: Path
) -> tuple[list[ProcessSpec], Callable[[], Awaitable[str]] | None]:
    """The simulator process and the step attaching its clusters, when `--sim*` asks."""
    if not args.sim and not args.sim_clusters:
        return [], None
    members = home / "members"
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "services.simulator",
        "--port",
        str(port),
        "--kubeconfig-dir",
        str(members),
    ]
    if args.sim:
        argv += ["--config", str(Path(args.sim).resolve())]
    if args.sim_clusters:
        argv += ["--clusters", str(args.sim_clusters)]
    spec = ProcessSpec(name="simulator", argv=argv, tcp_port=port)

    async def attach() -> str:
        return await attach_simulated_clusters(
            hub_kubeconfig=hub_kubeconfig, state_file=members / SIMULATOR_STATE_FILE
        )

    return [spec], attach


def _default_gateway_port() -> int:
    """6443 like a kube-apiserver, unless something already listens there."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", DEFAULT_GATEWAY_PORT))
        except OSError:
            return free_port()
    return DEFAULT_GATEWAY_PORT


def _detach(args: argparse.Namespace, home: Path) -> int:
    argv = [
        sys.executable,
        "-m",
        "shared.cli.main",
        "up",
        "--home",
        str(home),
        "--ready-timeout",
        str(args.ready_timeout),
    ]
    if args.nats_url:
        argv += ["--nats-url", args.nats_url]
    if args.nats_port:
        argv += ["--nats-port", str(args.nats_port)]
    if args.services:
        argv += ["--services", args.services]
    if args.gateway_port:
        argv += ["--gateway-port", str(args.gateway_port)]
    if args.sim:
        argv += ["--sim", str(Path(args.sim).resolve())]
    if args.sim_clusters:
        argv += ["--sim-clusters", str(args.sim_clusters)]
    (home / "logs").mkdir(parents=True, exist_ok=True)
    with open(home / "logs" / "up.log", "ab") as output:
        process = subprocess.Popen(
            argv,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + max(args.ready_timeout, 5) + 5
    while time.monotonic() < deadline:
        state = read_state(home)
        if state and state.get("ready") and state["pid"] == process.pid:
            print(
                f"navarch is up (pid {process.pid}); `navarch status` shows it, "
                "`navarch down` stops it"
            )
            return 0
        if process.poll() is not None:
            print(f"navarch up failed; see {home / 'logs' / 'up.log'}", file=sys.stderr)
            return 1
        time.sleep(0.1)
    print(f"navarch up did not become ready; see {home / 'logs'}", file=sys.stderr)
    return 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def command_down(args: argparse.Namespace) -> int:
    home = home_from(args)
    state = read_state(home)
    if not state or not _alive(state["pid"]):
        print("navarch is not running")
        return 0
    os.kill(state["pid"], signal.SIGTERM)
    deadline = time.monotonic() + 30
    while _alive(state["pid"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(state["pid"]):
        print(f"navarch (pid {state['pid']}) did not stop in 30s", file=sys.stderr)
        return 1
    print("navarch stopped")
    return 0


def command_status(args: argparse.Namespace) -> int:
    home = home_from(args)
    state = read_state(home)
    if not state or not _alive(state["pid"]):
        print("navarch is not running", file=sys.stderr)
        return 1
    rows = asyncio.run(_probe(state))
    if args.output == "json":
        print(json.dumps({"pid": state["pid"], "processes": rows}, indent=2))
    else:
        headers = ["NAME", "PID", "STATUS", "READY", "RESTARTS", "PORT"]
        table = [[str(row[key.lower()]) for key in headers] for row in rows]
        widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(headers)]
        for line in [headers, *table]:
            print("   ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
    return 0 if all(row["ready"] for row in rows) else 1


async def _probe(state: dict) -> list[dict]:
    import aiohttp

    rows = []
    async with aiohttp.ClientSession() as session:
        for process in state["processes"]:
            running = process["pid"] is not None and _alive(process["pid"])
            ready = False
            port = process["http_port"] or process["tcp_port"]
            if running and process["http_port"]:
                try:
                    async with session.get(
                        f"http://127.0.0.1:{process['http_port']}/readyz",
                        timeout=aiohttp.ClientTimeout(total=1),
                    ) as response:
                        ready = response.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ready = False
            elif running:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", process["tcp_port"])
                    writer.close()
                    ready = True
                except OSError:
                    ready = False
            rows.append(
                {
                    "name": process["name"],
                    "pid": process["pid"],
                    "status": "Running" if running else "Stopped",
                    "ready": ready,
                    "restarts": process["restarts"],
                    "port": port,
                }
            )
    return rows


def command_service(args: argparse.Namespace) -> int:
    runpy.run_module(f"services.{args.name}", run_name="__main__")
    return 0
