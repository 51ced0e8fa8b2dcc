"""`webdlbench export`: summary rows (or raw samples) as CSV, JSON or Parquet."""
from __future__ import annotations

from pathlib import Path

from webdlbench.paths import DEFAULT_STORE

HELP = "export summaries (one row per spec, metric and run) or raw samples as csv, json or parquet"


def add_arguments(parser) -> None:
    parser.add_argument("--store", default=str(DEFAULT_STORE), help=f"results store (default {DEFAULT_STORE})")
    parser.add_argument("--format", required=True, choices=("csv", "json", "parquet"))
    parser.add_argument("--raw", action="store_true", help="one row per sample instead of summaries")
    parser.add_argument("--pool-runs", action="store_true",
                        help="one summary row per spec and metric over every run (default: one per run)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")


def run(args) -> int:
    from webdlbench.export import export
    export(Path(args.store), args.format, args.raw, Path(args.output) if args.output else None,
           pool_runs=args.pool_runs)
    return 0
