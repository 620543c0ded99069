"""Entry point of the `navarch` command."""

import argparse
import sys
from importlib.metadata import version

from shared.cli import runtime_commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="navarch", description="Navarch fleet manager")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    runtime_commands.add_parsers(commands)
    version_parser = commands.add_parser("version", help="print the Navarch version")
    version_parser.set_defaults(handler=lambda _: print(f"navarch {version('navarch')}") or 0)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
