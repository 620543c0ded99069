"""`navarch check`: the articles' health-check script as one command, for CI and cron.

Control-plane processes (when `navarch up` runs them here), members, bindings, recent
Warning events; exit 1 when anything failed, naming it, 0 otherwise.
"""

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.cli.checking import (
    CheckResult,
    check_bindings,
    check_events,
    check_members,
    check_processes,
    healthy,
    report,
)
from shared.cli.kube_commands import cli_client
from shared.cli.runtime_commands import home_from, probe_processes, process_alive
from shared.cli.supervising import read_state


def add_parsers(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser("check", help="is the fleet healthy? exit 1 naming what is not")
    check.add_argument("--kubeconfig", default=None)
    check.add_argument("--context", default=None)
    check.add_argument("--home", help="state directory of `navarch up` (NAVARCH_HOME)")
    check.add_argument(
        "--since", type=float, default=10.0, metavar="MINUTES", help="Warning events this recent"
    )
    check.add_argument("-o", "--output", choices=["table", "json"], default="table")
    check.set_defaults(handler=lambda args: asyncio.run(command_check(args)))


async def _process_rows(home: Path) -> list[dict] | None:
    state = read_state(home)
    if not state or not process_alive(state["pid"]):
        return None
    return await probe_processes(state)


async def gather_results(args: argparse.Namespace) -> list[CheckResult]:
    results = [check_processes(await _process_rows(home_from(args)))]
    async with cli_client(args.kubeconfig, context=args.context) as client:
        clusters, bindings, events = await asyncio.gather(
            client.resolve("clusters.cluster.karmada.io"),
            client.resolve("resourcebindings.work.karmada.io"),
            client.resolve("events"),
        )
        cluster_list, binding_list, event_list = await asyncio.gather(
            client.list(clusters, namespace=None),
            client.list(bindings, namespace=None),
            client.list(events, namespace=None),
        )
    results.append(check_members(cluster_list.get("items", [])))
    results.append(check_bindings(binding_list.get("items", [])))
    results.append(
        check_events(
            event_list.get("items", []),
            now=datetime.now(UTC),
            since=timedelta(minutes=args.since),
        )
    )
    return results


async def command_check(args: argparse.Namespace) -> int:
    results = await gather_results(args)
    if args.output == "json":
        print(json.dumps({"healthy": healthy(results), "checks": [asdict(r) for r in results]}))
    else:
        print(report(results))
    if not healthy(results):
        failed = [r.check for r in results if r.status == "FAIL"]
        print(f"error: the fleet is not healthy: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
