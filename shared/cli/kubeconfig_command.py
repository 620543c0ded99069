"""`navarch kubeconfig [--merge-into FILE]`: the fleet's kubeconfig, printed or merged.

The hub's context plus one per member cluster whose kubeconfig Secret the hub holds (each
AttachedCluster's, simulated members included); `--merge-into ~/.kube/config` merges them
the way kubectl merges kubeconfigs, keeping that file's other entries and current context.
"""

import argparse
import asyncio
import sys
from pathlib import Path

from shared.cli.fleet_contexts import dump, fleet_config, read_kubeconfig
from shared.cli.kube_commands import default_kubeconfig
from shared.cli.kubeconfig_merging import merged
from shared.private_files import write_private


def add_parsers(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "kubeconfig", help="the hub's kubeconfig with a context per member cluster"
    )
    parser.add_argument("--kubeconfig", default=None, help="the hub kubeconfig to start from")
    parser.add_argument("--context", default=None, help="the hub's context in it")
    parser.add_argument(
        "--merge-into", metavar="FILE", default=None, help="merge into FILE instead of printing"
    )
    parser.set_defaults(handler=command_kubeconfig)


def command_kubeconfig(args: argparse.Namespace) -> int:
    hub = Path(args.kubeconfig or default_kubeconfig())
    if not hub.exists():
        print(f"error: kubeconfig {hub} not found; is `navarch up` running?", file=sys.stderr)
        return 1
    config, members = asyncio.run(fleet_config(hub, context=args.context))
    for name, why in sorted(members.skipped.items()):
        print(f"warning: no context for cluster {name}: {why}", file=sys.stderr)
    if args.merge_into is None:
        print(dump(config), end="")
        return 0
    target = Path(args.merge_into).expanduser()
    write_private(target, dump(merged(read_kubeconfig(target), config)))
    contexts = ", ".join(entry.name for entry in config.contexts)
    print(f"Merged contexts {contexts} into {target}")
    return 0
