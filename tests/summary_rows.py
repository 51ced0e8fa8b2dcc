"""Summary rows as analysis/stats.summary_frame makes them, written by hand for the gap's tests
(tests/test_gap*.py): one configuration's headline with its median, CI and outcome."""
import pandas as pd

from webdlbench.analysis import gap
from webdlbench.analysis.stats import SUMMARY_COLUMNS


def row(runtime, framework, backend, task, depth, width, median, low=None, high=None, outcome="ok", n=10,
        threads=1, metric=None, unstable=False, model="mlp"):
    """One summary row as summary_frame makes it."""
    metric = metric or gap.HEADLINE[task]
    values = {
        "framework": framework, "backend": backend, "task": task, "model": model, "depth": depth,
        "width": width, "batch": 64 if task == "train" else 1, "runtime": runtime, "threads": threads, "seed": 0,
        "spec_hash": f"{runtime}-{framework}-{backend}-{task}-{depth}-{width}-{threads}", "metric": metric,
        "unit": "ms", "n": n, "median": median, "ci_low": median * 0.9 if low is None else low,
        "ci_high": median * 1.1 if high is None else high, "mean": median, "stdev": 0.0, "min": median,
        "max": median, "unstable": unstable, "outcome": outcome, "error": "", "results": 1, "ci_method": "",
        "unstable_reason": "", "replicates": 5, "half_width_pct": 10.0, "precision_target_pct": 2.0,
        "precision_met": False,
    }
    return {c: values.get(c) for c in SUMMARY_COLUMNS}  # columns a newer summary adds stay empty


def frame(*rows):
    return pd.DataFrame(list(rows), columns=SUMMARY_COLUMNS)
