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

import yaml

from shared.cli.attaching import attach_simulated_clusters
from shared.cli.fleet_contexts import write_fleet_kubeconfig
from shared.cli.process_logs import read_from, size_of
from shared.cli.supervising import ProcessSpec, Supervisor, discover_services, read_state
from shared.natsserver import CONFIG_FILE, NatsCredentials, NatsServer, free_port
from shared.private_files import open_private_log, private_dir, write_private
from shared.settings import NATS_CONNECTION_FILE, NavarchSettings, SupervisorSettings
from shared.store.encryption import load_or_create_key

DEFAULT_GATEWAY_PORT = 6443
DEFAULT_GATEWAY_HOST = "127.0.0.1"
HUB_KUBECONFIG = "hub.kubeconfig"
SIMULATOR_STATE_FILE = "simulator.json"
DETACH_MARGIN_S = 30.0
"""How much longer than --ready-timeout `up --detach` waits for the supervisor's verdict."""


def home_from(args: argparse.Namespace) -> Path:
    return Path(args.home or os.environ.get("NAVARCH_HOME") or ".navarch")


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
        default=os.environ.get("NAVARCH_GATEWAY_PORT"),
        help="hub API port (NAVARCH_GATEWAY_PORT; default 6443, or a free port when it is taken)",
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
    home = private_dir(home_from(args))
    existing = read_state(home)
    if existing and process_alive(existing["pid"]):
        print(
            f"navarch is already running (pid {existing['pid']}); `navarch down` stops it",
            file=sys.stderr,
        )
        return 1
    settings = NavarchSettings(home=home)
    supervision = SupervisorSettings()
    if args.detach:
        return _detach(args, home)
    services = args.services.split(",") if args.services else discover_services()
    nats: NatsServer | None = None
    if args.nats_url:
        url = args.nats_url
    else:
        credentials = NatsCredentials.load_or_create(home / "nats.credentials")
        nats = NatsServer(
            store_dir=home / "jetstream",
            port=args.nats_port or None,
            credentials=credentials,
            config_file=home / CONFIG_FILE,
        )
        url = nats.url
    write_private(home / NATS_CONNECTION_FILE, json.dumps({"url": url}))
    load_or_create_key(home)
    gateway_port = _default_gateway_port() if args.gateway_port is None else args.gateway_port
    kubeconfig = home / HUB_KUBECONFIG
    simulator, attach = _simulator(args, home=home, hub_kubeconfig=kubeconfig)
    after_ready = _after_ready(attach, hub_kubeconfig=kubeconfig) if "gateway" in services else None
    supervisor = Supervisor(
        home=home,
        services=services,
        nats=nats,
        nats_url=url,
        settings=settings,
        supervision=supervision,
        extra_env={"NAVARCH_GATEWAY_PORT": str(gateway_port)},
        extra_processes=simulator,
    )

    def hint() -> str:
        server = _hub_server(kubeconfig) if "gateway" in services else None
        if server is None:
            return ""
        return (
            f"Hub API: {server} — try `kubectl --kubeconfig {kubeconfig} api-resources` "
            "or `navarch get clusters`."
        )

    return asyncio.run(
        supervisor.run(ready_timeout=args.ready_timeout, on_ready=hint, after_ready=after_ready)
    )


def _hub_server(kubeconfig: Path) -> str | None:
    """The address the gateway wrote: the port it really serves, whatever chose it."""
    try:
        config = yaml.safe_load(kubeconfig.read_text()) or {}
        return str(config["clusters"][0]["cluster"]["server"])
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError):
        return None


def _after_ready(
    attach: Callable[[], Awaitable[str]] | None, *, hub_kubeconfig: Path
) -> Callable[[], Awaitable[str]]:
    """Attach the simulated clusters (when asked), then give the hub kubeconfig a context
    per member cluster, so `kubectl --context=<cluster>` reaches it."""

    async def step() -> str:
        attached = await attach() if attach is not None else ""
        contexts = await write_fleet_kubeconfig(hub_kubeconfig)
        return f"{attached} {contexts}".strip()

    return step


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
    host = os.environ.get("NAVARCH_GATEWAY_HOST") or DEFAULT_GATEWAY_HOST
    with socket.socket() as probe:
        try:
            probe.bind((host, DEFAULT_GATEWAY_PORT))
        except OSError:
            return free_port(host)
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
    if args.gateway_port is not None:
        argv += ["--gateway-port", str(args.gateway_port)]
    if args.sim:
        argv += ["--sim", str(Path(args.sim).resolve())]
    if args.sim_clusters:
        argv += ["--sim-clusters", str(args.sim_clusters)]
    up_log = private_dir(home / "logs") / "up.log"
    offset = size_of(up_log)
    with open_private_log(up_log) as output:
        process = subprocess.Popen(
            argv,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + args.ready_timeout + DETACH_MARGIN_S
    while time.monotonic() < deadline:
        state = read_state(home)
        if state and state.get("ready") and state["pid"] == process.pid:
            print(
                f"navarch is up (pid {process.pid}); `navarch status` shows it, "
                "`navarch down` stops it"
            )
            return 0
        if process.poll() is not None:
            print(read_from(up_log, offset).rstrip(), file=sys.stderr)
            print(f"navarch up failed (exit {process.returncode}); see {up_log}", file=sys.stderr)
            return 1
        time.sleep(0.1)
    process.terminate()
    process.wait()
    print(read_from(up_log, offset).rstrip(), file=sys.stderr)
    print(f"navarch up did not become ready; see {home / 'logs'}", file=sys.stderr)
    return 1


def process_alive(pid: int) -> bool:
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
    if not state or not process_alive(state["pid"]):
        print("navarch is not running")
        return 0
    os.kill(state["pid"], signal.SIGTERM)
    deadline = time.monotonic() + 30
    while process_alive(state["pid"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    if process_alive(state["pid"]):
        print(f"navarch (pid {state['pid']}) did not stop in 30s", file=sys.stderr)
        return 1
    print("navarch stopped")
    return 0


def command_status(args: argparse.Namespace) -> int:
    home = home_from(args)
    state = read_state(home)
    if not state or not process_alive(state["pid"]):
        print("navarch is not running", file=sys.stderr)
        return 1
    rows = asyncio.run(probe_processes(state))
    if args.output == "json":
        print(json.dumps({"pid": state["pid"], "processes": rows}, indent=2))
    else:
        headers = ["NAME", "PID", "STATUS", "READY", "RESTARTS", "PORT"]
        table = [[str(row[key.lower()]) for key in headers] for row in rows]
        widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(headers)]
        for line in [headers, *table]:
            print("   ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
    return 0 if all(row["ready"] for row in rows) else 1


async def probe_processes(state: dict) -> list[dict]:
    """Each process of `navarch up`: running, ready (its /readyz or its port), restarts."""
    import aiohttp

    rows = []
    probe_host = state.get("probe_host", "127.0.0.1")
    async with aiohttp.ClientSession() as session:
        for process in state["processes"]:
            running = process["pid"] is not None and process_alive(process["pid"])
            ready = False
            port = process["http_port"] or process["tcp_port"]
            if running and process["http_port"]:
                try:
                    async with session.get(
                        f"http://{probe_host}:{process['http_port']}/readyz",
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
