"""Sweep efficiency: wall time of a whole `webdlbench run SUITE` against the time spent inside timed
regions (every stored timing sample, warm-ups included), and where the rest goes — per replicate
(opening the page, loading bundles, fetching data and building the model, the measuring itself,
the fingerprint, closing) and outside replicates (browser start, preparing model files, the store).

    .venv/bin/python benchmarks/sweep_efficiency.py [SUITE]      (default: quick)

The ratio before replicates (one page per spec, fixed warm-up; README, 2026-11-26): quick 84 s of
wall for 20.6 s timed, 4.1.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from webdlbench.store import Store

TIMED_METRICS = ("train_batch_ms", "train_warmup_ms", "load_ms", "warmup_ms", "infer_ms")
PREVIOUS_RATIO = 4.1  # quick, one page per spec (before replicates), as the README recorded it
# Page phases (harness.js marks, ms since navigation) -> what the interval between them is.
PHASES = [("loaded", "the page and harness.js load"), ("job", "fetching the job"),
          ("scripts", "loading the framework's bundles"), ("init", "the adapter's init (backend start)"),
          ("measure", "fetching data, building or loading the model"), ("done", "measuring (timed regions and "
          "the loop around them)"), ("task", "the output check and disposal"), ("fingerprint", "the fingerprint")]


def timed_seconds(results, samples) -> float:
    """Seconds inside timed regions: each sample is a per-call average of a block of k calls."""
    total = 0.0
    for row in results.itertuples():
        mine = samples[(samples.result_id == row.result_id) & samples.metric.isin(TIMED_METRICS)]
        blocks = {i: r.get("block_calls", 1) for i, r in enumerate(row.info.get("replicates", []))}
        for sample in mine.itertuples():
            k = blocks.get(sample.replicate, 1) if sample.metric in ("train_batch_ms", "infer_ms") else 1
            total += sample.value * k
    return total / 1000


def breakdown(results) -> tuple[dict[str, float], float, int]:
    """Seconds per phase summed over browser replicates, their wall time, and their count."""
    seconds: dict[str, float] = defaultdict(float)
    wall, count = 0.0, 0
    for row in results.itertuples():
        for replicate in row.info.get("replicates", []):
            phases, harness = replicate.get("phases_ms"), replicate.get("harness_ms")
            if not phases or not harness:
                continue
            count += 1
            wall += replicate["wall_ms"] / 1000
            seconds["opening a new tab (context, page)"] += harness["new_page"] / 1000
            previous = 0.0
            for name, meaning in PHASES:
                if name in phases:
                    seconds[meaning] += (phases[name] - previous) / 1000
                    previous = phases[name]
            # After the page posted: the harness's reading of the JS heap, the monitor, closing the tab.
            seconds["posting, reading the heap, closing"] += (replicate["wall_ms"] - harness["new_page"]
                                                            - previous) / 1000
    return seconds, wall, count


def main(suite: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "s.sqlite"
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "webdlbench", "run", suite, "--store", str(store)],
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(done.stderr)
        with Store.open(store, create=False) as opened:
            results, samples, _ = opened.frames()
    measured = timed_seconds(results, samples)
    native = results[results.runtime == "native"]
    native_wall = sum(r["wall_ms"] for info in native["info"] for r in info.get("replicates", [])) / 1000
    phases, browser_wall, pages = breakdown(results[results.runtime == "browser"])
    replicates = sum(len(info.get("replicates", [])) for info in results["info"])
    print(f"suite {suite}: {len(results)} specs, {int((results.outcome == 'ok').sum())} ok, {replicates} replicates")
    print(f"wall time of the sweep:            {wall:8.1f} s")
    print(f"time inside timed regions:         {measured:8.1f} s")
    print(f"wall / timed:                      {wall / measured:8.2f}   (before replicates: {PREVIOUS_RATIO})")
    print(f"\nbrowser replicates: {pages} pages, {browser_wall:.1f} s")
    for meaning, seconds in sorted(phases.items(), key=lambda kv: -kv[1]):
        print(f"  {meaning:48} {seconds:7.1f} s  {seconds / max(pages, 1) * 1000:6.0f} ms/page")
    print(f"native replicates (fresh processes): {native_wall:.1f} s")
    print(f"outside replicates (browser start, model files, checks, store): "
          f"{wall - browser_wall - native_wall:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "quick")
