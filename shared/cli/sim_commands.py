"""`navarch sim serve | fault | clusters`: run the member-cluster simulator and break it.

`serve` runs `python -m services.simulator` as a child process (the CLI imports no
service); `fault` and `clusters` use the admin API whose URL, token and CA the simulator
writes to `<kubeconfig-dir>/simulator.json`.
"""

import argparse
import json
import os
import signal
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from shared.cli.printing import render_rows

STATE_FILE = "simulator.json"
"""Written by the simulator next to the kubeconfigs (`services/simulator/serving.py`)."""
FAULT_ACTIONS = ("down", "up", "latency", "errors", "partition", "drop-watches", "expire")
ADMIN_TIMEOUT_S = 30.0


class SimulatorUnavailable(RuntimeError):
    """No simulator state, or its admin API does not answer; the message says which."""


def default_kubeconfig_dir() -> Path:
    return Path(os.environ.get("NAVARCH_HOME") or ".navarch") / "members"


def add_parsers(commands: argparse._SubParsersAction) -> None:
    sim = commands.add_parser("sim", help="the member-cluster simulator")
    actions = sim.add_subparsers(dest="sim_command", required=True, metavar="SIM_COMMAND")

    serve = actions.add_parser("serve", help="serve simulated clusters until Ctrl-C")
    serve.add_argument("--config", help="a SimulatedFleet file")
    serve.add_argument("--clusters", type=int, help="add N generated clusters member-1..N")
    serve.add_argument("--port", type=int, help="HTTPS port (default: the last one, or free)")
    _kubeconfig_dir(serve)
    serve.set_defaults(handler=command_serve)

    fault = actions.add_parser("fault", help="inject or clear a fault on one cluster")
    fault.add_argument("cluster")
    fault.add_argument("action", choices=FAULT_ACTIONS)
    fault.add_argument("value", nargs="?", help="latency: milliseconds; errors: ratio 0..1")
    _kubeconfig_dir(fault)
    fault.set_defaults(handler=command_fault)

    clusters = actions.add_parser("clusters", help="simulated clusters and their faults")
    clusters.add_argument("-o", "--output", choices=["table", "json"], default="table")
    _kubeconfig_dir(clusters)
    clusters.set_defaults(handler=command_clusters)


def _kubeconfig_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kubeconfig-dir",
        help="the simulator's kubeconfig directory (default: $NAVARCH_HOME/members)",
    )


def _directory(args: argparse.Namespace) -> Path:
    return Path(args.kubeconfig_dir) if args.kubeconfig_dir else default_kubeconfig_dir()


def command_serve(args: argparse.Namespace) -> int:
    argv = [sys.executable, "-m", "services.simulator", "--kubeconfig-dir", str(_directory(args))]
    if args.config:
        argv += ["--config", args.config]
    if args.clusters is not None:
        argv += ["--clusters", str(args.clusters)]
    if args.port is not None:
        argv += ["--port", str(args.port)]
    with subprocess.Popen(argv) as process:
        previous = signal.signal(signal.SIGTERM, lambda *_: process.terminate())
        try:
            return process.wait()
        except KeyboardInterrupt:
            return process.wait()
        finally:
            signal.signal(signal.SIGTERM, previous)


def read_state(directory: Path) -> dict[str, Any]:
    path = directory / STATE_FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SimulatorUnavailable(
            f"no simulator state at {path}; is `navarch sim serve` running?"
        ) from None
    except (OSError, ValueError) as error:
        raise SimulatorUnavailable(f"cannot read {path}: {error}") from None


def admin_request(
    state: dict[str, Any], path: str, *, body: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of one admin call, trusting only the simulator's CA."""
    request = urllib.request.Request(
        f"{state['adminUrl']}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Authorization": f"Bearer {state['adminToken']}",
            "Content-Type": "application/json",
        },
        method="POST" if body is not None else "GET",
    )
    context = ssl.create_default_context(cafile=state["caFile"])
    try:
        with urllib.request.urlopen(request, context=context, timeout=ADMIN_TIMEOUT_S) as reply:
            return reply.status, json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except (urllib.error.URLError, OSError) as error:
        raise SimulatorUnavailable(
            f"the simulator at {state['adminUrl']} does not answer: {error}"
        ) from None


def command_fault(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"action": args.action}
    if args.value is not None:
        body["value"] = args.value
    try:
        status, reply = admin_request(
            read_state(_directory(args)), f"/clusters/{args.cluster}/faults", body=body
        )
    except SimulatorUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"error: {reply.get('error', f'HTTP {status}')}", file=sys.stderr)
        return 1
    print(f"{reply['cluster']}: {', '.join(reply['faultLabels']) or 'healthy'}")
    return 0


def command_clusters(args: argparse.Namespace) -> int:
    try:
        state = read_state(_directory(args))
        status, reply = admin_request(state, "/clusters")
    except SimulatorUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"error: {reply.get('error', f'HTTP {status}')}", file=sys.stderr)
        return 1
    rows = reply["clusters"]
    for row in rows:
        row["kubeconfig"] = (state.get("clusters") or {}).get(row["name"], {}).get("kubeconfig")
    if args.output == "json":
        print(json.dumps(rows, indent=2))
        return 0
    headers = ["NAME", "RUNNING", "NODES", "PODS", "FAULTS", "SERVER"]
    table = [
        [
            row["name"],
            str(row["running"]).lower(),
            str(row["nodes"]),
            str(row["pods"]),
            ",".join(row["faultLabels"]) or "<none>",
            row["server"],
        ]
        for row in rows
    ]
    print(render_rows(headers, table))
    return 0
