"""`webdlbench run SUITE`: measure every spec of a suite into the store, resumably."""
from __future__ import annotations

import asyncio
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from webdlbench import frameworks
from webdlbench.browser import find_browser
from webdlbench.errors import UserError
from webdlbench.grid import load_suite
from webdlbench.measure import BrowserSession
from webdlbench.paths import DEFAULT_STORE
from webdlbench.scheduler import measure_with_retries
from webdlbench.store import Store, exclusive_writer

HELP = "measure a suite (built-in name or TOML file) in real Chromium into the store"
HEADLINE = {"train": "train_batch_ms", "infer": "infer_ms"}


def add_arguments(parser) -> None:
    parser.add_argument("suite", metavar="SUITE", help="quick, paper-training, paper-inference, or a .toml path")
    parser.add_argument("--store", default=str(DEFAULT_STORE), help=f"results store (default {DEFAULT_STORE})")
    parser.add_argument("--resume", action="store_true",
                        help="continue the last unfinished run of this suite, skipping specs already stored")
    parser.add_argument("--samples", type=int, metavar="N", help="steady-state samples per page load (overrides the suite)")
    parser.add_argument("--browser", metavar="PATH", help="Chromium binary (default: found on PATH)")
    parser.add_argument("--lib", action="append", metavar="NAME=PATH",
                        help="a framework bundle not on npm (e.g. mind=./mind.js); may repeat")
    parser.add_argument("--profile", action="store_true",
                        help="add a separate CPU-profiling pass per spec (call-stack depth; never in measured samples)")
    parser.add_argument("--retries", type=int, default=1, metavar="N",
                        help="re-measure a spec whose browser crashed or timed out up to N times (default 1)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address the results server binds (default 127.0.0.1; anything else is reachable from the network)")


def run(args) -> int:
    # Everything the user can get wrong is checked before the store is touched.
    suite = load_suite(args.suite, args.samples)
    frameworks.set_user_bundles(args.lib)
    if args.retries < 0:
        raise UserError("--retries must be 0 or more")
    needs_browser = any(s.runtime == "browser" for s in suite.specs)
    browser = find_browser(args.browser) if needs_browser else None
    store_path = Path(args.store)
    console = Console()
    if args.host != "127.0.0.1":
        console.print(f"[yellow]warning: the results server binds {args.host}: other hosts can reach it "
                      "(posts still need the run's token)")
    with exclusive_writer(store_path), Store.open(store_path) as store:
        run_id = store.latest_unfinished_run(suite.name) if args.resume else None
        if args.resume and run_id is None:
            console.print(f"[yellow]no unfinished run of {suite.name} in {store_path}: starting a new one")
        run_id = run_id or store.start_run(suite.name, suite.source, list(suite.specs))
        done = store.completed_specs(run_id)
        todo = [s for s in suite.specs if s.spec_hash not in done]
        console.print(f"run {run_id}: suite {suite.name}, {len(todo)} of {len(suite.specs)} specs to measure, "
                      f"store {store_path}")
        try:
            options = {"profile": args.profile, "retries": args.retries, "host": args.host}
            asyncio.run(_sweep(todo, store, run_id, browser, store_path.parent / "cache", console, options))
        except KeyboardInterrupt:
            store.finish_run(run_id, "interrupted")
            console.print(f"[yellow]interrupted: `webdlbench run {args.suite} --store {store_path} --resume` "
                          "measures the rest")
            return 130
        store.finish_run(run_id)
        _print_summary(store, run_id, console)
    return 0


async def _sweep(specs, store: Store, run_id: str, browser: str, cache_dir: Path, console: Console,
                 options: dict) -> None:
    session = BrowserSession(browser, cache_dir, host=options["host"], profile=options["profile"]) if browser else None
    if session:
        await session.start()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            bar = progress.add_task("starting", total=len(specs))
            for spec in specs:
                progress.update(bar, description=spec.label)
                result = await measure_with_retries(
                    spec, session, cache_dir, options["retries"],
                    on_retry=lambda r: progress.console.print(f"  {spec.label}: {r.outcome}, measuring again"))
                store.add_result(run_id, result)
                if result.outcome != "ok":
                    progress.console.print(f"  {spec.label}: [red]{result.outcome}[/red] {result.error[:200]}")
                progress.advance(bar)
    finally:
        if session:
            await session.stop()


def _print_summary(store: Store, run_id: str, console: Console) -> None:
    from webdlbench.analysis.stats import summarize

    results, samples, _ = store.frames()
    results = results[results.run_id == run_id]
    table = Table(title=f"run {run_id}")
    for column in ("framework/backend", "task", "model", "outcome", "median ms [95% CI]", "n", "load / warm-up ms"):
        table.add_column(column, justify="right" if "ms" in column or column == "n" else "left")
    for row in results.itertuples():
        mine = samples[samples.result_id == row.result_id]
        headline = mine[mine.metric == HEADLINE[row.task]].value.tolist()
        cell, n = "-", "0"
        if headline:
            s = summarize(headline)
            cell, n = f"{s.median:.3g} [{s.ci_low:.3g}, {s.ci_high:.3g}]", str(s.n)
        extra = "-"
        if row.task == "infer":
            load = mine[mine.metric == "load_ms"].value.median()
            warm = mine[mine.metric == "warmup_ms"].value.median()
            if load == load:  # not NaN
                extra = f"{load:.3g} / {warm:.3g}"
        outcome = row.outcome if row.outcome == "ok" else f"[red]{row.outcome}[/red]"
        table.add_row(f"{row.framework}/{row.backend}", row.task, f"{row.depth}x{row.width}", outcome, cell, n, extra)
    console.print(table)
