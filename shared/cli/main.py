"""Entry point of the `navarch` command."""

import argparse
import os
import sys

from shared.cli import kube_commands, plan_command, runtime_commands, sim_commands
from shared.cli.errors import debugging, error_line, is_expected


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="navarch", description="Navarch fleet manager")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    runtime_commands.add_parsers(commands)
    kube_commands.add_parsers(commands)
    sim_commands.add_parsers(commands)
    plan_command.add_parsers(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except BrokenPipeError:
        # `navarch get … | head` closed the pipe: like kubectl, stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if debugging() and not is_expected(error):
            raise
        print(error_line(error), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
