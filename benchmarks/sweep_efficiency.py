"""Sweep efficiency: wall time of a whole `webdlbench run SUITE` divided by the time the pages
spent inside timed regions (every stored timing sample, warm-ups included). 1.0 would mean the
harness costs nothing; the rest is browser start, page loads, bundle parsing, model building,
saving models, the checks and the store.

    .venv/bin/python benchmarks/sweep_efficiency.py [SUITE]      (default: quick)
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from webdlbench.store import Store

TIMED_METRICS = ("train_batch_ms", "train_warmup_ms", "load_ms", "warmup_ms", "infer_ms")


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
    timed = samples[samples.metric.isin(TIMED_METRICS)]
    measured = timed.value.sum() / 1000
    print(f"suite {suite}: {len(results)} specs, {int((results.outcome == 'ok').sum())} ok")
    print(f"wall time of the sweep:      {wall:8.1f} s")
    print(f"time inside timed regions:   {measured:8.1f} s")
    for metric, seconds in (timed.groupby("metric").value.sum() / 1000).items():
        print(f"  {metric:24} {seconds:8.1f} s")
    print(f"wall / measured:             {wall / measured:8.2f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "quick")
