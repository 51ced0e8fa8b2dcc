"""Command-line entry point: argument declarations and dispatch only."""
from __future__ import annotations

import argparse
import sys
import textwrap
import traceback

from webdlbench import __version__
from webdlbench.commands import compare, env, export, frameworks, gap, merge, report, run, suites, survey
from webdlbench.errors import UserError

COMMANDS = {"run": run, "report": report, "compare": compare, "export": export, "suites": suites,
            "frameworks": frameworks, "env": env, "survey": survey, "gap": gap, "merge": merge}


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help at the terminal's width, never breaking a word at its hyphen (suite names
    such as paper-gap-dnn and flags stay whole)."""

    def _split_lines(self, text, width):
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


def build_parser() -> argparse.ArgumentParser:
    # allow_abbrev=False everywhere: an abbreviated or misspelt flag (--sample for --samples) is an
    # error, never silently taken for another.
    parser = argparse.ArgumentParser(
        prog="webdlbench", allow_abbrev=False, formatter_class=HelpFormatter,
        description="Measure deep learning in a real web browser against native, and report the gap.")
    parser.add_argument("--version", action="version", version=f"webdlbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        command = sub.add_parser(name, help=module.HELP, description=module.HELP, allow_abbrev=False,
                                 formatter_class=HelpFormatter)
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
