"""`webdlbench run SUITE`: measure every spec of a suite into the store, resumably."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from webdlbench import frameworks
from webdlbench.browser import find_browser
from webdlbench.budget import OverLimit
from webdlbench.errors import UserError
from webdlbench.grid import builtin_suites, load_suite
from webdlbench.limits import DEFAULT_MAX_SPECS, MAXIMA
from webdlbench.paths import DEFAULT_STORE
from webdlbench.pipe_safe import PipeSafeStream
from webdlbench.rounds import RoundRobin
from webdlbench.spec import Spec
from webdlbench.store import Store, exclusive_writer
from webdlbench.store_checks import StoreWriteError

HELP = "measure a suite (built-in name or TOML file) in real Chromium into the store"


def add_arguments(parser) -> None:
    parser.add_argument("suite", metavar="SUITE",
                        help=f"a built-in suite ({', '.join(builtin_suites())}; `webdlbench suites` says what each "
                             "measures) or the path of a .toml file")
    parser.add_argument("--store", default=str(DEFAULT_STORE), help=f"results store (default {DEFAULT_STORE})")
    parser.add_argument("--cache", metavar="DIR",
                        help="where models, converted files and the GEMM peak are cached (default: cache/ beside "
                             "the store)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="the summary at the end: text (default) or json on stdout, progress then going to "
                             "stderr")
    parser.add_argument("--resume", action="store_true",
                        help="continue the last unfinished run of this suite, skipping specs already stored")
    parser.add_argument("--quick", action="store_true",
                        help="run the suite's CI-sized variant instead (e.g. paper-gap-dnn -> gap-quick)")
    parser.add_argument("--samples", type=int, metavar="N", help="steady-state samples per page load (overrides the suite)")
    parser.add_argument("--rounds", type=int, metavar="N",
                        help="measure the suite N times over, each round a share of every spec's replicates, so "
                             "they spread over the run's time (overrides the suite's rounds)")
    parser.add_argument("--browser", metavar="PATH", help="Chromium binary (default: found on PATH)")
    parser.add_argument("--lib", action="append", metavar="NAME=PATH",
                        help="a framework bundle not on npm (e.g. mind=./mind.js); may repeat")
    parser.add_argument("--profile", action="store_true",
                        help="add a separate CPU-profiling pass per spec (call-stack depth; never in measured samples)")
    parser.add_argument("--memory", action="store_true",
                        help="add a separate memory pass per inference spec: peak JS heap, wasm memory, the "
                             "framework's tensors and bytes, and a leak check (load, infer, dispose 5 times)")
    parser.add_argument("--qoe", action="store_true",
                        help="add a separate responsiveness pass per inference spec: an animation's frames, long "
                             "animation frames, long tasks and input delay while the model infers, on the main "
                             "thread and in a Web Worker (never in measured samples)")
    parser.add_argument("--ops", action="store_true",
                        help="add a separate operators pass per inference spec: each kernel's time from the "
                             "library's own profiler (TF.js tf.profile(); natively PyTorch's torch.profiler), for "
                             "the per-operator browser/native table and a Chrome trace")
    parser.add_argument("--retries", type=int, default=1, metavar="N",
                        help="re-measure a spec whose browser crashed or timed out up to N times (default 1)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address the results server binds (default 127.0.0.1; anything else is reachable from the network)")
    parser.add_argument("--driver", choices=("local", "cdp", "grid"), default="local",
                        help="local: Chromium here (default); cdp: a browser started elsewhere with "
                             "--remote-debugging-port (--cdp-url); grid: a Selenium Grid hub (--grid-url)")
    parser.add_argument("--grid-url", metavar="URL", help="Selenium Grid 4 (hub, router or standalone), e.g. http://HOST:4444")
    parser.add_argument("--capability", action="append", metavar="KEY=VALUE",
                        help="a W3C capability the grid is asked for (e.g. platformName=linux), over the suite's "
                             "[capabilities]; VALUE is a string, or JSON when it is {...}, [...], true or false; may repeat")
    parser.add_argument("--cdp-url", action="append", metavar="URL",
                        help="CDP endpoint of a browser, e.g. http://HOST:9222; may repeat (one worker each)")
    parser.add_argument("--max-specs", type=int, default=DEFAULT_MAX_SPECS, metavar="N",
                        help=f"refuse a suite of more specs than this before it starts (default {DEFAULT_MAX_SPECS:,})")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="browsers measuring at once, sharing one results server (default: 1 locally, "
                             "the grid's free slots for the browser asked for, one per --cdp-url)")


def run(args) -> int:
    # Everything the user can get wrong is checked before the store is touched.
    if args.max_specs < 1:
        raise UserError("--max-specs must be 1 or more")
    suite = load_suite(args.suite, args.samples, quick=args.quick, max_specs=args.max_specs)
    specs = _with_rounds(suite.specs, args.rounds)
    frameworks.set_user_bundles(args.lib)
    if args.retries < 0:
        raise UserError("--retries must be 0 or more")
    needs_browser = any(s.runtime == "browser" for s in specs)
    drivers = _driver_plan(args, suite.capabilities) if needs_browser else []
    store_path = Path(args.store)
    cache_dir = Path(args.cache) if args.cache else store_path.parent / "cache"
    # `run … | head` must not end the sweep; with --format json, stdout carries the summary alone.
    console = Console(file=PipeSafeStream(sys.stderr if args.format == "json" else sys.stdout))
    if args.host != "127.0.0.1":
        console.print(f"[yellow]warning: the results server binds {args.host}: other hosts can reach it "
                      "(posts still need the run's token)")
    with exclusive_writer(store_path), Store.open(store_path) as store:
        run_id = store.latest_unfinished_run(suite.name) if args.resume else None
        if args.resume and run_id is None:
            console.print(f"[yellow]no unfinished run of {suite.name} in {store_path}: starting a new one")
        run_id = run_id or store.start_run(suite.name, suite.source, list(specs))
        robin = RoundRobin(specs)
        over_limit = OverLimit()  # a resumed run remembers which specs ran out of their time limit
        if store.completed_specs(run_id):
            results, _, _ = store.frames()
            over_limit.note_stored(results[results.run_id == run_id])
            for stored in store.results_of_run(run_id):
                robin.resume(stored)
        console.print(f"run {run_id}: suite {suite.name}, {robin.remaining()} of {len(specs)} specs to measure"
                      f"{_rounds_note(specs)}, store {store_path}, cache {cache_dir}", markup=False, highlight=False)
        try:
            options = {"profile": args.profile, "retries": args.retries, "host": args.host,
                       "over_limit": over_limit,
                       "passes": tuple(name for name in ("memory", "qoe", "ops") if getattr(args, name))}
            asyncio.run(_sweep(robin, store, run_id, drivers, cache_dir, console, options))
        except KeyboardInterrupt:
            store.finish_run(run_id, "interrupted")
            console.print(f"[yellow]interrupted: `webdlbench run {args.suite} --store {store_path} --resume` "
                          "measures the rest")
            return 130
        except StoreWriteError as exc:  # a full disk, a store made read-only: stop, keep what is stored
            raise UserError(_stopped_writing(store, run_id, exc, f"{args.suite} --store {store_path}")) from None
        store.finish_run(run_id)
        _print_summary(store, run_id, console, args.format)
    return 0


def _stopped_writing(store: Store, run_id: str, exc: StoreWriteError, rerun: str) -> str:
    """The one line for a sweep the store stopped: what failed, what is kept, how to go on."""
    try:
        store.finish_run(run_id, "interrupted")
    except StoreWriteError:
        pass  # still unwritable: the run stays 'running', which --resume continues just the same
    stored = len(store.completed_specs(run_id))
    return (f"{exc}; the sweep stopped with {stored} spec(s) of run {run_id} stored (the spec being written "
            f"is measured again): then `webdlbench run {rerun} --resume` measures the rest")


def _driver_plan(args, suite_capabilities: dict) -> list:
    """One driver factory per worker (given the results server's origin), after checking that the
    browsers named can be reached."""
    from urllib.parse import urlsplit

    if args.driver != "grid" and args.grid_url:
        raise UserError("--grid-url needs --driver grid")
    if args.driver != "grid" and args.capability:
        raise UserError("--capability needs --driver grid")
    if args.driver != "cdp" and args.cdp_url:
        raise UserError("--cdp-url needs --driver cdp")
    if args.workers is not None and args.workers < 1:
        raise UserError("--workers must be 1 or more")
    if args.driver == "local":
        from webdlbench.drivers.local import LocalDriver
        browser = find_browser(args.browser)
        return [lambda origin: LocalDriver(browser)] * (args.workers or 1)
    if args.driver == "cdp":
        from webdlbench.drivers import cdp
        if not args.cdp_url:
            raise UserError("--driver cdp needs --cdp-url http://HOST:PORT (a browser started with --remote-debugging-port)")
        for url in args.cdp_url:
            cdp.probe(url)
        urls, remote = args.cdp_url, args.cdp_url
        count = args.workers or len(urls)
        factories = [(lambda u: lambda origin: cdp.CDPDriver(u))(urls[i % len(urls)]) for i in range(count)]
    else:
        from webdlbench.drivers import grid
        from webdlbench.drivers import grid_api
        if not args.grid_url:
            raise UserError("--driver grid needs --grid-url http://HOST:4444")
        capabilities = grid_api.requested_capabilities(suite_capabilities, args.capability)
        grid_api.probe(args.grid_url)
        remote = [args.grid_url]
        count = args.workers
        if count is None:
            count, why = grid_api.default_workers(args.grid_url, capabilities)
            Console(stderr=True).print(why)
        factories = [lambda origin: grid.GridDriver(args.grid_url, browser_binary=args.browser, trusted_origin=origin,
                                                    capabilities=capabilities)] * count
    if args.host in ("127.0.0.1", "localhost", "::1") and any(
            urlsplit(u).hostname not in ("127.0.0.1", "localhost", "::1") for u in remote):
        Console(stderr=True).print(f"[yellow]warning: the results server binds {args.host}, which browsers on other "
                                   "hosts cannot reach: pass --host ADDRESS (an address of this machine they can reach)")
    return factories


def _with_rounds(specs, rounds: int | None) -> list:
    """The suite's specs, with --rounds N overriding their rounds."""
    if rounds is None:
        return list(specs)
    if not 1 <= rounds <= MAXIMA["rounds"]:
        raise UserError(f"--rounds must be from 1 to {MAXIMA['rounds']}")
    return [Spec.from_dict({**s.to_dict(), "rounds": rounds}) for s in specs]


def _rounds_note(specs) -> str:
    most = max((s.rounds for s in specs), default=1)
    return f" in {most} rounds (replicates spread over the run)" if most > 1 else ""


async def _sweep(robin: RoundRobin, store: Store, run_id: str, drivers, cache_dir: Path, console: Console,
                 options: dict) -> None:
    """Every spec through the one sweep loop (sweep.py), round after round as `robin` plans them
    (rounds.py): one worker per driver (none for a suite of native specs only), all posting to one
    results server; the store is written here only, one transaction per spec and round."""
    from webdlbench.runners.browser import BrowserRunner, results_server
    from webdlbench.runners.native import NativeRunner
    from webdlbench.sweep import Worker, sweep

    server = results_server(cache_dir, options["host"])
    await server.start()
    workers = [Worker(BrowserRunner(None, cache_dir, driver=make(server.base_url), server=server))
               for make in drivers] or [Worker(None)]
    rounds: list = []  # each round as it is planned: the progress bar's total grows with them

    def next_round():
        planned = robin.next_round()
        rounds.append(len(planned))
        if progress_bar:
            progress_bar[0].update(progress_bar[1], total=sum(rounds))
        return planned
    progress_bar: list = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            bar = progress.add_task(f"{len(workers)} worker(s)" if len(workers) > 1 else "starting", total=None)
            progress_bar[:] = [progress, bar]

            def on_start(worker, spec):
                if len(workers) == 1:
                    progress.update(bar, description=spec.label)

            finished = [0]

            def on_result(result):
                kept = robin.record(result)  # a spec's rounds so far, merged, replace the rounds before
                store.add_result(run_id, kept, replace=kept is not result)
                finished[0] += 1
                node = result.environment.get("node")
                if not console.is_terminal:  # CI logs, `| tee`: a line per spec instead of a bar
                    console.print(_progress_line(result, finished[0], sum(rounds)), markup=False, highlight=False,
                                  soft_wrap=True)  # one line per spec, whatever the width
                elif result.outcome != "ok":
                    progress.console.print(f"  {result.spec.label}: [red]{result.outcome}[/red] {result.error[:200]}")
                if len(workers) > 1:
                    progress.update(bar, description=f"{result.spec.label}" + (f" ({node})" if node else ""))
                progress.advance(bar)

            def on_requeue(worker, spec, result):
                where = result.environment.get("node") or f"worker {worker}"
                again = "measuring again" if len(workers) == 1 else "queued for another browser"
                progress.console.print(f"  {spec.label}: {result.outcome} on {where}, {again} "
                                       f"({result.error[:160]})")

            await sweep([], workers, NativeRunner(cache_dir), on_result, retries=options["retries"],
                        on_start=on_start, on_requeue=on_requeue, over_limit=options["over_limit"],
                        profile=options["profile"], passes=options["passes"], refill=next_round)
    finally:
        await server.stop()


def _progress_line(result, done: int, total: int) -> str:
    """One line for a finished spec: where the sweep is, the outcome, the headline and its replicates."""
    from statistics import median

    from webdlbench.spec import HEADLINE, METRIC_UNITS

    metric = HEADLINE[result.spec.task]
    values, replicates = result.replicate_values(metric)
    seconds = result.finished_at - result.started_at
    text = f"[{done}/{total}] {result.spec.label}: {result.outcome}"
    if values:
        per_replicate = [median(v for v, r in zip(values, replicates) if r == k) for k in sorted(set(replicates))]
        text += f", {median(per_replicate):.4g} {METRIC_UNITS[metric]} over {len(per_replicate)} replicate(s)"
    if result.outcome != "ok":
        text += f" ({' '.join(result.error.split())[:160]})"
    return text + f" in {seconds:.1f} s"


def _print_summary(store: Store, run_id: str, console: Console, fmt: str = "text") -> None:
    """The run's verdict (verdict.py): per task and model, the options ranked, with CIs over
    replicates and the distance to the fastest and to native; as JSON on stdout with fmt "json"."""
    from webdlbench.verdict import render, verdict

    results, samples, environments = store.frames()
    results = results[results.run_id == run_id]
    samples = samples[samples.result_id.isin(results.result_id)]
    outcomes = spec_outcomes(results)
    if fmt == "json":
        from webdlbench.textout import print_json
        print_json(summary_json(run_id, outcomes, verdict(results, samples, environments)),
                   PipeSafeStream(sys.stdout))
        return
    console.print(f"run {run_id}: {len(outcomes)} specs, {int((outcomes == 'ok').sum())} ok")
    for line in render(verdict(results, samples, environments), width=max(80, console.width)):
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def spec_outcomes(results):
    """One outcome per spec of a run, its rounds (rounds.py) taken together: ok only when every
    round was; else the first outcome that was not."""
    return results.groupby("spec_hash", sort=False)["outcome"].agg(
        lambda outcomes: next((o for o in outcomes if o != "ok"), "ok"))


def summary_json(run_id: str, outcomes, groups) -> dict:
    """The verdict as data: the run, its outcome counts (one per spec), and per group the ranked options."""
    from dataclasses import asdict

    return {"run_id": run_id, "specs": len(outcomes), "ok": int((outcomes == "ok").sum()),
            "outcomes": {k: int(v) for k, v in outcomes.value_counts().items()},
            "groups": [{"title": g.title, "recommendation": g.recommendation,
                        "options": [asdict(o) for o in g.options]} for g in groups]}
