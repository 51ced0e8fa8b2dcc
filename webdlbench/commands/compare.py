"""`webdlbench compare [BASE] [NEW]`: two runs side by side per spec, with the ratio, its CI and a
significance verdict; `--fail-if-slower PCT` for CI (exit 3 on a significant slowdown)."""
from __future__ import annotations

from pathlib import Path

from webdlbench.errors import UserError
from webdlbench.paths import DEFAULT_STORE

HELP = "compare two runs (of one store or two) per spec: the new/base time ratio, its CI, significance"
# 1 is an internal error and 2 bad input (cli.py): a slowdown gets its own code, so that CI can tell
# "slower" from "webdlbench broke".
EXIT_SLOWER = 3


def add_arguments(parser) -> None:
    parser.add_argument("base", nargs="?", metavar="BASE",
                        help="the run to compare against: a run id (or its unique beginning), 'latest' or "
                             "'previous' (default: previous, or latest of --base-store)")
    parser.add_argument("new", nargs="?", default="latest", metavar="NEW",
                        help="the run compared: a run id, 'latest' or 'previous' (default: latest)")
    parser.add_argument("--store", default=str(DEFAULT_STORE),
                        help=f"the store of NEW, and of BASE without --base-store (default {DEFAULT_STORE})")
    parser.add_argument("--base-store", metavar="PATH", help="BASE's run is in this store instead")
    parser.add_argument("--suite", metavar="NAME",
                        help="'latest' and 'previous' count only the runs of this suite")
    parser.add_argument("--metric", metavar="NAME",
                        help="compare this timing metric (e.g. load_ms) instead of each task's headline time")
    parser.add_argument("--fail-if-slower", type=float, metavar="PCT",
                        help=f"exit {EXIT_SLOWER} when any spec of NEW is significantly slower than BASE by more "
                             "than PCT percent (Holm-corrected across the table)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text: a table (default); json: every figure, for scripts")


def run(args) -> int:
    from webdlbench import comparison
    from webdlbench.spec import METRIC_UNITS
    from webdlbench.textout import print_json, print_lines, terminal_width

    if args.fail_if_slower is not None and not args.fail_if_slower >= 0:
        raise UserError("--fail-if-slower takes a percentage of 0 or more, e.g. 5 for 5%")
    if args.metric is not None and METRIC_UNITS.get(args.metric) != "ms":
        timings = ", ".join(m for m, unit in METRIC_UNITS.items() if unit == "ms")
        raise UserError(f"--metric {args.metric}: not a timing metric; give one of {timings}")
    new_store = Path(args.store)
    base_store = Path(args.base_store) if args.base_store else new_store
    base_reference = args.base or ("latest" if args.base_store else "previous")
    base = _load(base_store, base_reference, args.suite)
    new = _load(new_store, args.new, args.suite)
    if (base.store, base.run_id) == (new.store, new.run_id):
        raise UserError(f"BASE and NEW are the same run ({new.run_id}): name two runs, e.g. "
                        "`webdlbench compare previous latest`")
    result = comparison.compare_runs(base, new, args.metric, args.fail_if_slower)
    if args.format == "json":
        print_json(comparison.to_json(result))
    else:
        print_lines(comparison.render(result, terminal_width()))
    return EXIT_SLOWER if result.regressions else 0


def _load(store_path: Path, reference: str, suite: str | None):
    from webdlbench.comparison import run_of, select_run
    from webdlbench.store import Store

    with Store.open(store_path, create=False) as store:
        runs = store.runs()
        run_id = select_run(runs, reference, str(store_path), suite)
        return run_of(store.frames(), runs, run_id, str(store_path))
