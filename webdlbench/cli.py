"""Command-line entry point: argument declarations and dispatch only."""
from __future__ import annotations

import argparse
import sys
import traceback

from webdlbench import __version__
from webdlbench.commands import env, export, frameworks, gap, merge, report, run, survey
from webdlbench.errors import UserError

COMMANDS = {"run": run, "report": report, "export": export, "frameworks": frameworks, "env": env,
            "survey": survey, "gap": gap, "merge": merge}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="webdlbench",
        description="Measure deep learning in a real web browser against native, and report the gap.")
    parser.add_argument("--version", action="version", version=f"webdlbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command].run(args) or 0
    except UserError as exc:
        print(f"webdlbench: error: {exc}", file=sys.stderr)
        return UserError.exit_code
    except KeyboardInterrupt:
        print("webdlbench: interrupted", file=sys.stderr)
        return 130
    except Exception:  # a bug in webdlbench, not the user's input: show everything
        traceback.print_exc()
        print("webdlbench: internal error (the traceback above is a bug; please report it)", file=sys.stderr)
        return 1
