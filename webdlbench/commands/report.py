"""`webdlbench report`: the static HTML (and Markdown) report from a store."""
from __future__ import annotations

from pathlib import Path

from webdlbench.paths import DEFAULT_REPORT_DIR, DEFAULT_STORE

HELP = ("write the static report: the paper's tables and figures regenerated and its findings judged "
        "(index.html, report.md and the data as CSV)")


def add_arguments(parser) -> None:
    parser.add_argument("--store", default=str(DEFAULT_STORE), help=f"results store (default {DEFAULT_STORE})")
    parser.add_argument("--out", default=str(DEFAULT_REPORT_DIR), help=f"output folder (default {DEFAULT_REPORT_DIR})")


def run(args) -> int:
    import pandas as pd

    from webdlbench.report.build import build_report
    from webdlbench.textout import print_lines, terminal_width, wrap
    index = build_report(Path(args.store), Path(args.out))
    print(f"report written: {index}")
    found = pd.read_csv(index.parent / "findings.csv", keep_default_na=False)
    for env, group in found.groupby("environment", sort=False):
        verdicts = ", ".join(f"{n}: {v}" for n, v in zip(group["number"], group["verdict"]))
        print_lines(wrap(f"paper findings{' @' + env if env else ''}: {verdicts}", terminal_width(), "   "))
    return 0
