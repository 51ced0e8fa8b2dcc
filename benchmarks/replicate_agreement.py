"""Do two independent runs of the same suite agree? Runs SUITE twice, into two stores, one after the
other on this machine, and prints for the headline figure of every spec measured ok in both:
whether the two 95% CIs overlap (the target: >= 90% of specs), and whether each CI is narrow
(half-width <= 10% of the median; the target: >= 80% of specs).

    .venv/bin/python benchmarks/replicate_agreement.py [SUITE] [--verbose]     (default: quick)
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from webdlbench.analysis.machine_load import load_warning, run_load
from webdlbench.analysis.stats import summary_frame
from webdlbench.spec import HEADLINE
from webdlbench.store import Store

NARROW_PCT = 10.0  # a CI is narrow when its half-width is at most this % of the median


def headline_rows(store: Path):
    """(spec_hash -> the headline's summary row, the run's machine load)."""
    with Store.open(store, create=False) as opened:
        results, samples, _ = opened.frames()
    table = summary_frame(samples, results)
    table = table[(table.metric == table.task.map(HEADLINE)) & (table.outcome == "ok")]
    return {row.spec_hash: row for row in table.itertuples()}, run_load(results)


def main(suite: str, verbose: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows, walls, loads = [], [], []
        for run in (1, 2):
            store = Path(tmp) / f"run{run}.sqlite"
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "webdlbench", "run", suite, "--store", str(store)],
                                  capture_output=True, text=True)
            walls.append(time.perf_counter() - started)
            if done.returncode != 0:
                sys.exit(done.stderr)
            table, load = headline_rows(store)
            rows.append(table)
            loads.append(load)
    common = sorted(set(rows[0]) & set(rows[1]))
    overlap = narrow = 0
    for key in common:
        a, b = rows[0][key], rows[1][key]
        overlaps = a.ci_low <= b.ci_high and b.ci_low <= a.ci_high
        both_narrow = a.half_width_pct <= NARROW_PCT and b.half_width_pct <= NARROW_PCT
        overlap += overlaps
        narrow += both_narrow
        if verbose:
            print(f"{a.framework}/{a.backend} {a.task} {a.depth}x{a.width} ({a.runtime}): "
                  f"{a.median:.4g} [{a.ci_low:.4g}, {a.ci_high:.4g}] R={a.replicates} | "
                  f"{b.median:.4g} [{b.ci_low:.4g}, {b.ci_high:.4g}] R={b.replicates}"
                  f"{'' if overlaps else '  DISJOINT'}{'' if both_narrow else '  WIDE'}")
    n = len(common)
    print(f"suite {suite}: two runs ({walls[0]:.0f} s and {walls[1]:.0f} s), {n} headline specs ok in both")
    for run, load in enumerate(loads, 1):
        print(f"run {run}: machine {load.text() if load else 'load not recorded'}")
    warning = load_warning(*loads)
    if warning:
        print(warning.replace("new run", "second run").replace("base run", "first run"))
    print(f"CIs overlap:                    {overlap}/{n} = {overlap / max(n, 1):.0%}   (target >= 90%)")
    print(f"both CIs narrow (<= {NARROW_PCT:g}% half-width): {narrow}/{n} = {narrow / max(n, 1):.0%}   (target >= 80%)")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0] if args else "quick", "--verbose" in sys.argv)
