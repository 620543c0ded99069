"""`python -m services.simulator`: serve a simulated fleet until SIGTERM or Ctrl-C.

    python -m services.simulator --config FILE [--clusters N] [--port P] [--kubeconfig-dir DIR]

Writes `<DIR>/<cluster>.kubeconfig` per cluster (tokens are reused from existing files, so
attached clusters keep working across restarts), the CA under `<DIR>/pki`, and
`<DIR>/simulator.json` (admin URL and token, mode 0600; removed on exit).
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

from services.simulator.fleet import SimulatedFleet
from services.simulator.generating import generated_fleet
from services.simulator.serving import STATE_FILE, SimulatorServer, state_document, write_state
from shared.api.simulated_fleet import FleetConfigError, load_fleet_config
from shared.certs import ensure_serving_certs
from shared.kubeconfig import KubeconfigError, load_kubeconfig

DEFAULT_CLUSTERS = 3
log = logging.getLogger("services.simulator")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m services.simulator")
    parser.add_argument("--config", help="a SimulatedFleet file")
    parser.add_argument(
        "--clusters",
        type=int,
        help=f"add N generated clusters member-1..N (default without --config: {DEFAULT_CLUSTERS})",
    )
    parser.add_argument("--port", type=int, help="HTTPS port (default: the last one, or free)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--kubeconfig-dir", help="where kubeconfigs go (default: $NAVARCH_HOME/members)"
    )
    return parser.parse_args(argv)


def _previous_tokens(directory: Path, names: list[str]) -> dict[str, str]:
    tokens = {}
    for name in names:
        path = directory / f"{name}.kubeconfig"
        try:
            token = load_kubeconfig(path).token if path.exists() else None
        except (KubeconfigError, OSError, ValueError):
            token = None
        if token:
            tokens[name] = token
    return tokens


def _previous_port(state_path: Path) -> int:
    try:
        return int(json.loads(state_path.read_text())["url"].rsplit(":", 1)[1])
    except (OSError, ValueError, KeyError, IndexError):
        return 0


async def serve(args: argparse.Namespace) -> int:
    home = Path(os.environ.get("NAVARCH_HOME") or ".navarch")
    directory = Path(args.kubeconfig_dir) if args.kubeconfig_dir else home / "members"
    base = load_fleet_config(args.config) if args.config else None
    count = args.clusters if args.clusters is not None else (0 if base else DEFAULT_CLUSTERS)
    fleet = SimulatedFleet(generated_fleet(count, base=base))
    state_path = directory / STATE_FILE
    certs = ensure_serving_certs(directory / "pki", common_name="navarch-simulator")
    tokens = _previous_tokens(directory, fleet.names)
    ports = [args.port] if args.port is not None else [_previous_port(state_path), 0]
    server: SimulatorServer | None = None
    for port in dict.fromkeys(ports):
        candidate = SimulatorServer(fleet, certs=certs, tokens=tokens, host=args.host, port=port)
        try:
            await candidate.start()
        except OSError as error:
            log.warning("cannot listen on port %d (%s)", port, error.strerror)
            continue
        server = candidate
        break
    if server is None:
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        kubeconfigs = server.write_kubeconfigs(directory)
        write_state(state_path, state_document(server, kubeconfigs))
        print(
            f"simulating {len(fleet)} clusters at {server.url}/clusters/<name>; "
            f"kubeconfigs in {directory}, state in {state_path}",
            flush=True,
        )
        await stop.wait()
    finally:
        state_path.unlink(missing_ok=True)
        await server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = parse_args(argv)
    try:
        return asyncio.run(serve(args))
    except (FleetConfigError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
