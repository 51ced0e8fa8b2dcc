"""Summaries of sample lists: median with a distribution-free 95% CI, spread, stability.

Timings are skewed (GC pauses, JIT tiers, throttling), so the centre is the median and its CI
comes from order statistics, which assume nothing about the distribution's shape.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

CI_LEVEL = 0.95            # the coverage every reported interval promises at least
UNSTABLE_RELATIVE_SD = 0.10  # pyperf warns when stdev >= 10% of the mean
# Below this many samples even [min, max] covers the median less than 95% of the time.
MIN_N_FOR_CI = 6

# Columns that say which configuration a row belongs to, in display order.
SPEC_KEYS = ["framework", "backend", "task", "model", "depth", "width", "batch", "runtime",
             "threads", "seed"]
SUMMARY_COLUMNS = [*SPEC_KEYS, "spec_hash", "metric", "unit", "n", "median", "ci_low", "ci_high",
                   "mean", "stdev", "min", "max", "unstable", "outcome", "error", "results",
                   "ci_method", "unstable_reason"]


@dataclass(frozen=True)
class Summary:
    """What a list of samples says: centre, a 95% CI of the median, spread, and a stability flag."""

    n: int
    median: float
    ci_low: float
    ci_high: float
    mean: float
    stdev: float
    min: float
    max: float
    unstable: bool
    ci_method: str
    unstable_reason: str = ""


def median_ci_rank(n: int, level: float = CI_LEVEL) -> int | None:
    """Largest k such that [x(k), x(n+1-k)] (1-based order statistics) covers the median with
    probability >= level for any continuous distribution; None when even [min, max] falls short.

    The number of samples below the true median is Binomial(n, 1/2), so the interval misses
    with probability 2 * P(B <= k-1).
    """
    k, below = 0, 0.0  # below = P(B <= k-1), the chance that x(k) lies above the median
    while k < (n + 1) // 2:
        below_next = below + _binomial_half_pmf(n, k)
        if 1 - 2 * below_next < level:
            break
        k, below = k + 1, below_next
    return k or None


def median_ci_coverage(n: int, k: int) -> float:
    """The exact coverage of [x(k), x(n+1-k)] for the median of a continuous distribution."""
    return 1 - 2 * sum(_binomial_half_pmf(n, i) for i in range(k))


def _binomial_half_pmf(n: int, i: int) -> float:
    # In log space so that large n cannot overflow.
    return math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) - n * math.log(2))


def summarize(values) -> Summary:
    """Summarise samples: median, its 95% CI, mean, stdev, range, and pyperf's instability flag."""
    x = np.sort(np.asarray(list(values), dtype=float))
    n = len(x)
    if n == 0:
        nan = float("nan")
        return Summary(0, nan, nan, nan, nan, nan, nan, nan, False, "no samples")
    k = median_ci_rank(n) if n >= MIN_N_FOR_CI else None
    if k is None:
        low, high, method = x[0], x[-1], f"min-max, n<{MIN_N_FOR_CI}"
    else:
        low, high, method = x[k - 1], x[n - k], f"binomial order statistics x({k})..x({n + 1 - k})"
    mean = float(x.mean())
    stdev = float(x.std(ddof=1)) if n >= 2 else float("nan")
    unstable, reason = _stability(mean, stdev)
    return Summary(n, float(np.median(x)), float(low), float(high), mean, stdev, float(x[0]),
                   float(x[-1]), unstable, method, reason)


def _stability(mean: float, stdev: float) -> tuple[bool, str]:
    if math.isnan(stdev) or stdev == 0:
        return False, ""
    if mean == 0:
        return True, "stdev > 0 around a mean of 0"
    relative = stdev / abs(mean)
    if relative >= UNSTABLE_RELATIVE_SD:
        return True, f"stdev is {relative:.1%} of the mean (>= {UNSTABLE_RELATIVE_SD:.0%})"
    return False, ""


def summary_frame(samples: pd.DataFrame, results: pd.DataFrame, per_run: bool = False) -> pd.DataFrame:
    """One row per (spec_hash, metric) pooling every stored result of the spec (per run too when
    per_run), plus one row with metric "" and n = 0 for each spec that has no samples at all."""
    keys = ["spec_hash", "run_id"] if per_run else ["spec_hash"]
    columns = list(SUMMARY_COLUMNS)
    if per_run:
        columns.insert(columns.index("spec_hash") + 1, "run_id")
    identities = {tuple(r[k] for k in keys): {**{k: r[k] for k in keys}, **{c: r[c] for c in SPEC_KEYS}}
                  for r in results.drop_duplicates(keys).to_dict("records")}
    verdicts = {tuple(key): _verdict(group) for key, group in results.groupby(keys, sort=False)}
    rows, sampled = [], set()
    for (*key, metric, unit), group in samples.groupby([*keys, "metric", "unit"], sort=False):
        key = tuple(key)
        sampled.add(key)
        rows.append({**identities[key], "metric": metric, "unit": unit,
                     **asdict(summarize(group["value"])), **verdicts[key]})
    for key, verdict in verdicts.items():
        if key not in sampled:  # a failure with nothing measured must still show up
            rows.append({**identities[key], "metric": "", "unit": "", **asdict(summarize([])), **verdict})
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values([*SPEC_KEYS, *keys[1:], "metric"], kind="stable").reset_index(drop=True)


def _verdict(results: pd.DataFrame) -> dict:
    """ok when every pooled result is ok; otherwise the most recent non-ok outcome and its error."""
    failed = results[results["outcome"] != "ok"].sort_values("result_id")
    if failed.empty:
        return {"outcome": "ok", "error": "", "results": len(results)}
    last = failed.iloc[-1]
    return {"outcome": last["outcome"], "error": last["error"], "results": len(results)}
