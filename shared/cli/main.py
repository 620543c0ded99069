"""Entry point of the `navarch` command.

Only the module owning the command given is imported (a read command never loads the
supervisor, the planner or the API models), so `navarch get` starts about as fast as
kubectl; `navarch --help` and unknown commands build the whole parser.
"""

import argparse
import importlib
import os
import sys

COMMAND_MODULES = {
    "up": "runtime_commands",
    "down": "runtime_commands",
    "status": "runtime_commands",
    "service": "runtime_commands",
    "apply": "kube_commands",
    "get": "kube_commands",
    "describe": "kube_commands",
    "delete": "kube_commands",
    "version": "kube_commands",
    "sim": "sim_commands",
    "plan": "plan_command",
    "kubeconfig": "kubeconfig_command",
    "join": "join_commands",
    "unjoin": "join_commands",
    "check": "check_command",
}
"""Which module of `shared.cli` registers each command."""


def _command_word(argv: list[str]) -> str | None:
    return argv[0] if argv and not argv[0].startswith("-") else None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for `command` alone when it is known, else for every command."""
    parser = argparse.ArgumentParser(prog="navarch", description="Navarch fleet manager")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if command in COMMAND_MODULES:
        modules = [COMMAND_MODULES[command]]
    else:
        modules = list(dict.fromkeys(COMMAND_MODULES.values()))
    for module in modules:
        importlib.import_module(f"shared.cli.{module}").add_parsers(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    args = build_parser(_command_word(arguments)).parse_args(arguments)
    try:
        return int(args.handler(args) or 0)
    except BrokenPipeError:
        # `navarch get … | head` closed the pipe: like kubectl, stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        from shared.cli.errors import debugging, error_line, is_expected

        if debugging() and not is_expected(error):
            raise
        print(error_line(error), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
