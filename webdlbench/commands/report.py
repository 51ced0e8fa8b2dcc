"""`webdlbench report`: the static HTML (and Markdown) report from a store."""
from __future__ import annotations

from pathlib import Path

from webdlbench.paths import DEFAULT_REPORT_DIR, DEFAULT_STORE

HELP = "write the static HTML report (index.html, report.md and the data as CSV)"


def add_arguments(parser) -> None:
    parser.add_argument("--store", default=str(DEFAULT_STORE), help=f"results store (default {DEFAULT_STORE})")
    parser.add_argument("--out", default=str(DEFAULT_REPORT_DIR), help=f"output folder (default {DEFAULT_REPORT_DIR})")


def run(args) -> int:
    from webdlbench.report.build import build_report
    index = build_report(Path(args.store), Path(args.out))
    print(f"report written: {index}")
    return 0
