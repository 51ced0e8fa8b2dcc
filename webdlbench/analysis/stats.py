"""Summaries of a spec's samples: a centre with a 95% CI computed over replicates, spread, and
whether the CI reached the spec's precision target.

A replicate is one fresh page (or one fresh native process). Samples inside one page share its JIT
state, heap and the machine's load of that moment, so they are not independent: a CI over them
alone is too narrow (pseudo-replication). With two or more replicates the centre is computed from
the replicate medians (each replicate's median of its samples): for timings (positive, skewed,
multiplicative) the geometric mean of the replicate medians with a Student-t interval on the log
scale; for other metrics the mean of the replicate medians with a Student-t interval. With one
replicate the CI falls back to the median's distribution-free order-statistics interval over that
page's samples, and `ci_method` says that it covers one page only.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from webdlbench.spec import IDENTITY_FIELDS

CI_LEVEL = 0.95            # the coverage every reported interval promises at least
UNSTABLE_RELATIVE_SD = 0.10  # pyperf warns when stdev >= 10% of the mean
# Below this many samples even [min, max] covers the median less than 95% of the time.
MIN_N_FOR_CI = 6
DEFAULT_PRECISION = 0.02   # target CI half-width as a fraction of the centre (suite key `precision`)
FEW_REPLICATES = 5         # below this many replicates a CI is shown as "few replicates"

# Columns that say which configuration a row belongs to (a spec's identity, spec.IDENTITY_FIELDS), in
# display order: what ran and on which model first, then where it ran (runtime) after the batch.
SPEC_KEYS = [f for f in IDENTITY_FIELDS if f != "runtime"]
SPEC_KEYS.insert(SPEC_KEYS.index("batch") + 1, "runtime")
SUMMARY_COLUMNS = [*SPEC_KEYS, "spec_hash", "metric", "unit", "n", "median", "ci_low", "ci_high",
                   "mean", "stdev", "min", "max", "unstable", "outcome", "error", "results",
                   "ci_method", "unstable_reason", "replicates", "half_width_pct", "precision_target_pct",
                   "precision_met"]


def fmt(value: float) -> str:
    """A number in about three significant digits ('–' when missing), as the findings and the
    report write it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1 or magnitude == 0:
        return f"{value:.2f}"
    return f"{value:.3g}"


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
    replicates: int = 1          # fresh pages / processes the samples came from
    half_width_pct: float = float("nan")   # (ci_high - ci_low) / 2 as a % of the centre
    precision_target_pct: float = DEFAULT_PRECISION * 100
    precision_met: bool = False  # half_width_pct <= precision_target_pct, over >= 2 replicates


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


def summarize(values, replicates=None, log_scale: bool = False,
              precision: float = DEFAULT_PRECISION) -> Summary:
    """Summarise samples: centre and 95% CI over replicates (see the module's docstring), mean,
    stdev, range, pyperf's instability flag, and whether the CI is within `precision`.

    `replicates` gives each value's replicate (None: all from one); `log_scale` is for positive,
    multiplicative figures (timings)."""
    x = np.asarray(list(values), dtype=float)
    n = len(x)
    if n == 0:
        nan = float("nan")
        return Summary(0, nan, nan, nan, nan, nan, nan, nan, False, "no samples", replicates=0,
                       precision_target_pct=precision * 100)
    groups = np.zeros(n, dtype=int) if replicates is None else np.asarray(list(replicates))
    medians = np.array([float(np.median(x[groups == g])) for g in np.unique(groups)])
    if len(medians) >= 2:
        centre, low, high, method = replicate_interval(medians, log_scale and bool((medians > 0).all()))
    else:
        centre, low, high, method = _one_replicate_interval(np.sort(x))
    mean = float(x.mean())
    stdev = float(x.std(ddof=1)) if n >= 2 else float("nan")
    unstable, reason = _stability(mean, stdev)
    half = (high - low) / 2 / abs(centre) * 100 if centre else float("nan")
    met = len(medians) >= 2 and bool(half <= precision * 100)
    return Summary(n, centre, low, high, mean, stdev, float(x.min()), float(x.max()), unstable, method,
                   reason, int(len(medians)), float(half), precision * 100, met)


def replicate_interval(medians, log_scale: bool) -> tuple[float, float, float, str]:
    """(centre, low, high, method) from replicate medians: Student-t on the log scale for positive
    timings (a geometric mean: ratios, not differences, are what vary run to run), else on values."""
    from scipy import stats as scipy_stats

    values = np.log(medians) if log_scale else np.asarray(medians, dtype=float)
    r = len(values)
    centre = float(values.mean())
    half = float(scipy_stats.t.ppf(0.5 + CI_LEVEL / 2, r - 1) * values.std(ddof=1) / math.sqrt(r))
    few = f", few replicates (<{FEW_REPLICATES})" if r < FEW_REPLICATES else ""
    if log_scale:
        return (math.exp(centre), math.exp(centre - half), math.exp(centre + half),
                f"t over {r} replicate medians (geometric mean, log scale){few}")
    return centre, centre - half, centre + half, f"t over {r} replicate medians (mean){few}"


def _one_replicate_interval(x: np.ndarray) -> tuple[float, float, float, str]:
    """Samples of one page only: the median's order-statistics CI, said to cover one page."""
    n = len(x)
    k = median_ci_rank(n) if n >= MIN_N_FOR_CI else None
    if k is None:
        return float(np.median(x)), float(x[0]), float(x[-1]), f"one replicate: min-max of its n<{MIN_N_FOR_CI} samples"
    return (float(np.median(x)), float(x[k - 1]), float(x[n - k]),
            f"one replicate: binomial order statistics x({k})..x({n + 1 - k}) of one page's samples")


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
    precision = {tuple(key): _precision(group) for key, group in results.groupby(keys, sort=False)}
    if "replicate" not in samples:  # a store from before replicates: each result is one replicate
        samples = samples.assign(replicate=0)
    rows, sampled = [], set()
    for (*key, metric, unit), group in samples.groupby([*keys, "metric", "unit"], sort=False):
        key = tuple(key)
        sampled.add(key)
        # Pooled results (several runs of one spec) are separate replicates too.
        replicate = group["result_id"].astype(str) + "/" + group["replicate"].astype(str) \
            if "result_id" in group else group["replicate"]
        # Times and rates (RQ4's tok/s) vary by ratios run to run: their CI is on the log scale.
        summary = summarize(group["value"], replicate.to_numpy(), log_scale=unit in ("ms", "tok/s"),
                            precision=precision[key])
        rows.append({**identities[key], "metric": metric, "unit": unit, **asdict(summary), **verdicts[key]})
    for key, verdict in verdicts.items():
        if key not in sampled:  # a failure with nothing measured must still show up
            rows.append({**identities[key], "metric": "", "unit": "", **asdict(summarize([])), **verdict})
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values([*SPEC_KEYS, *keys[1:], "metric"], kind="stable").reset_index(drop=True)


def _precision(results: pd.DataFrame) -> float:
    """The precision target the spec was measured with (its budget), or the default."""
    for budget in results.get("budget", pd.Series(dtype=object)):
        if isinstance(budget, dict) and budget.get("precision"):
            return float(budget["precision"])
    return DEFAULT_PRECISION


def _verdict(results: pd.DataFrame) -> dict:
    """ok when every pooled result is ok; otherwise the most recent non-ok outcome and its error."""
    failed = results[results["outcome"] != "ok"].sort_values("result_id")
    if failed.empty:
        return {"outcome": "ok", "error": "", "results": len(results)}
    last = failed.iloc[-1]
    return {"outcome": last["outcome"], "error": last["error"], "results": len(results)}
