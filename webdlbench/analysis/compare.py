"""Tests between sets of replicates: is A faster than B, is a quantity above a threshold, and by how
much. Pure functions; no I/O.

The unit is the replicate (a fresh page or a fresh native process): samples of one page share its
JIT state, heap and the machine's load of that moment, so only replicate medians are independent.

Method (`LogRatio`): timings are positive and vary by ratios, so every test works on the log of
replicate medians. Two sets: Welch's t on the logs (unequal variances, Welch–Satterthwaite degrees
of freedom) gives the ratio of geometric means A / B, its 95% CI and a two-sided p-value against
any ratio (1 for "is there a difference"). One set against a constant: Student's t on the logs.
Across the comparisons of one table or one rule, Holm's step-down correction adjusts the p-values
(`decide`): a comparison is called only when its adjusted p-value is below 0.05, so the chance of
any false call in the table stays below 5%. Unadjusted, p < 0.05 is exactly "the 95% CI excludes
the threshold", so a called comparison's CI never contains it.

Fewer than two replicates on a side give no test (None): one page's samples say nothing about the
next page's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

ALPHA = 0.05
LEVEL = 0.95
ABOVE, BELOW, UNDECIDED = "above", "below", "undecided"
METHOD_TWO = "Welch's t on log replicate medians"
METHOD_ONE = "Student's t on log replicate medians"
HOLM = "Holm's step-down correction"


@dataclass(frozen=True)
class LogRatio:
    """An estimated ratio on the log scale: log(A/B) (or log of one quantity), its standard error
    and degrees of freedom, and the replicates on each side (n_b = 0 for one set)."""

    log_ratio: float
    se: float
    df: float
    n_a: int
    n_b: int
    method: str

    @property
    def ratio(self) -> float:
        return math.exp(self.log_ratio)

    def interval(self, level: float = LEVEL) -> tuple[float, float]:
        """The level CI of the ratio."""
        half = _t_quantile(0.5 + level / 2, self.df) * self.se
        return math.exp(self.log_ratio - half), math.exp(self.log_ratio + half)

    def p_against(self, threshold: float = 1.0) -> float:
        """Two-sided p-value of 'the ratio equals threshold'."""
        distance = self.log_ratio - math.log(threshold)
        if self.se == 0:
            return 1.0 if distance == 0 else 0.0
        from scipy import stats

        return float(2 * stats.t.sf(abs(distance) / self.se, self.df))


@dataclass(frozen=True)
class Decision:
    """One comparison against a threshold, decided under Holm's correction within its family."""

    estimate: LogRatio | None
    threshold: float
    p_value: float       # unadjusted, NaN without a test
    p_holm: float        # Holm-adjusted within the family, NaN without a test
    direction: str       # ABOVE / BELOW (called at ALPHA after Holm) or UNDECIDED
    family: int          # how many tested comparisons shared the correction

    @property
    def tested(self) -> bool:
        return self.estimate is not None

    def interval(self) -> tuple[float, float]:
        return self.estimate.interval() if self.estimate else (float("nan"), float("nan"))


def _t_quantile(q: float, df: float) -> float:
    from scipy import stats

    return float(stats.t.ppf(q, df)) if math.isfinite(df) else float(stats.norm.ppf(q))


def _logs(values) -> np.ndarray | None:
    x = np.asarray(list(values), dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2 or (x <= 0).any():
        return None
    return np.log(x)


def ratio_test(a, b) -> LogRatio | None:
    """A / B from two sets of replicate medians (Welch's t on the logs); None with fewer than two
    positive replicates on a side."""
    la, lb = _logs(a), _logs(b)
    if la is None or lb is None:
        return None
    va, vb = la.var(ddof=1) / len(la), lb.var(ddof=1) / len(lb)
    se = math.sqrt(va + vb)
    if se == 0:
        df = float(len(la) + len(lb) - 2)
    else:  # Welch–Satterthwaite
        df = (va + vb) ** 2 / (va ** 2 / (len(la) - 1) + vb ** 2 / (len(lb) - 1))
    return LogRatio(float(la.mean() - lb.mean()), se, float(df), len(la), len(lb), METHOD_TWO)


def level_test(values) -> LogRatio | None:
    """One quantity from its replicate values (Student's t on the logs), to hold against a
    constant with `p_against`; None with fewer than two positive replicates."""
    lv = _logs(values)
    if lv is None:
        return None
    return LogRatio(float(lv.mean()), float(lv.std(ddof=1) / math.sqrt(len(lv))), float(len(lv) - 1), len(lv), 0,
                    METHOD_ONE)


def holm(p_values) -> list[float]:
    """Holm-adjusted p-values (NaN entries stay NaN and do not count in the family)."""
    p = np.asarray(list(p_values), dtype=float)
    adjusted = np.full(len(p), np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    m = len(tested)
    running = 0.0
    for rank, index in enumerate(tested[np.argsort(p[tested], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return adjusted.tolist()


def decide(estimates: list[LogRatio | None], threshold: float = 1.0, alpha: float = ALPHA) -> list[Decision]:
    """Each estimate against `threshold`, Holm-corrected across the list (one family)."""
    p = [e.p_against(threshold) if e is not None else float("nan") for e in estimates]
    adjusted = holm(p)
    family = sum(e is not None for e in estimates)
    decisions = []
    for estimate, raw, holm_p in zip(estimates, p, adjusted):
        direction = UNDECIDED
        if estimate is not None and holm_p < alpha:
            direction = ABOVE if estimate.log_ratio > math.log(threshold) else BELOW
        decisions.append(Decision(estimate, threshold, raw, holm_p, direction, family))
    return decisions


# -- wording -----------------------------------------------------------------------------------------------
def _x(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:,.0f}"


def faster_wording(decision: Decision, a: str, b: str) -> str:
    """Tachometer-style: 'A is faster than B by 1.2–1.6×', 'A is slower ...', or 'no significant
    difference' (timings: lower is faster; the decision is A's time over B's against 1)."""
    if not decision.tested:
        return f"{a} vs {b}: not tested (fewer than 2 replicates on a side)"
    low, high = decision.interval()
    if decision.direction == BELOW:
        return f"{a} is faster than {b} by {_x(1 / high)}–{_x(1 / low)}×"
    if decision.direction == ABOVE:
        return f"{a} is slower than {b} by {_x(low)}–{_x(high)}×"
    text = f"no significant difference between {a} and {b} (time ratio {_x(low)}–{_x(high)}×"
    if decision.p_value < ALPHA <= decision.p_holm:
        text += f"; not significant after {HOLM} over {decision.family} comparisons"
    return text + ")"


def threshold_wording(decision: Decision, what: str, unit: str = "×") -> str:
    """'X is above T (95% CI a–b)' / 'below' / 'not distinguishable from T'."""
    if not decision.tested:
        return f"{what}: not tested (fewer than 2 replicates)"
    low, high = decision.interval()
    threshold = _x(decision.threshold)
    ci = f"{_x(decision.estimate.ratio)}{unit}, 95% CI {_x(low)}–{_x(high)}{unit}"
    if decision.direction == ABOVE:
        return f"{what} is above {threshold}{unit} ({ci})"
    if decision.direction == BELOW:
        return f"{what} is below {threshold}{unit} ({ci})"
    return f"{what} is not distinguishable from {threshold}{unit} ({ci})"


# -- precision -------------------------------------------------------------------------------------------------
FEW_REPLICATES = 5   # below this many replicates a CI is shown as resting on few
REMEDY = "raise max_replicates or precision"
DEFAULT_TARGET_PCT = 2.0


def _number(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def precision_note(row: dict, who: str = "", remedy: bool = True) -> str:
    """What a summary row's replicates say about its CI, for a table's note column: nothing when
    the CI met its precision target over enough replicates; otherwise how wide it is against the
    target, and the remedy unless `remedy` is False (a caller naming it once for several rows).
    Rows of summaries without replicate counts say nothing."""
    replicates = _number(row.get("replicates"))
    if replicates is None or not _number(row.get("n")):
        return ""
    prefix = f"{who}: " if who else ""
    if replicates < 2:
        return f"{prefix}one replicate: its CI covers one page's samples only (raise replicates)"
    median = _number(row.get("median"))
    half = _number(row.get("half_width_pct"))
    if half is None and median:
        half = (float(row["ci_high"]) - float(row["ci_low"])) / 2 / abs(median) * 100
    target = _number(row.get("precision_target_pct")) or DEFAULT_TARGET_PCT
    met = row.get("precision_met")
    met = bool(met) if met is not None and not (isinstance(met, float) and math.isnan(met)) else \
        (half is not None and half <= target)
    if not met:
        return (f"{prefix}CI ±{half:.3g}% of the centre over {int(replicates)} replicates, target ±{target:g}%: "
                "not met" + (f" ({REMEDY})" if remedy else ""))
    if replicates < FEW_REPLICATES:
        return f"{prefix}few replicates ({int(replicates)})"
    return ""


# -- replicate medians ---------------------------------------------------------------------------------------
REPLICATE_COLUMNS = ["spec_hash", "metric", "replicate", "value"]


def replicate_medians(samples: pd.DataFrame) -> pd.DataFrame:
    """One row per (spec, metric, replicate): the median of that replicate's samples. A replicate
    is a (result, replicate) pair, so that results pooled from several runs stay apart; a store
    without a `replicate` column has one replicate per result."""
    if samples.empty:
        return pd.DataFrame(columns=REPLICATE_COLUMNS)
    replicate = samples["replicate"] if "replicate" in samples else pd.Series(0, index=samples.index)
    keyed = samples.assign(replicate=samples["result_id"].astype(str) + "/" + replicate.astype(str))
    medians = keyed.groupby(["spec_hash", "metric", "replicate"], sort=False)["value"].median()
    return medians.reset_index()[REPLICATE_COLUMNS]


class Replicates:
    """Lookup of replicate medians by (spec_hash, metric), and per-replicate rows of several metrics."""

    def __init__(self, frame: pd.DataFrame | None):
        frame = frame if frame is not None else pd.DataFrame(columns=REPLICATE_COLUMNS)
        self.frame = frame
        self._by = {key: group for key, group in frame.groupby(["spec_hash", "metric"], sort=False)} \
            if not frame.empty else {}

    def values(self, spec_hash: str, metric: str) -> np.ndarray:
        group = self._by.get((spec_hash, metric))
        return np.array([]) if group is None else group["value"].to_numpy(dtype=float)

    def count(self, spec_hash: str, metric: str) -> int:
        return len(self.values(spec_hash, metric))

    def joint(self, spec_hash: str, metrics: list[str]) -> pd.DataFrame:
        """Rows = replicates that measured every one of `metrics`, columns = the metrics."""
        parts = [self._by.get((spec_hash, m)) for m in metrics]
        if any(p is None for p in parts):
            return pd.DataFrame(columns=metrics)
        wide = pd.concat([p.set_index("replicate")["value"].rename(m) for p, m in zip(parts, metrics)], axis=1)
        return wide.dropna()


# -- bootstrap -----------------------------------------------------------------------------------------------
BOOTSTRAP_SEED = 0  # the same data give the same intervals every run


def percentile_interval(draws, level: float = LEVEL) -> tuple[float, float]:
    """The percentile bootstrap interval of finite draws; NaNs when there are none."""
    x = np.asarray(list(draws), dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return float("nan"), float("nan")
    return float(np.quantile(x, (1 - level) / 2)), float(np.quantile(x, (1 + level) / 2))


def bootstrap_p(draws, null: float = 0.0) -> float:
    """Two-sided bootstrap p-value of 'the statistic equals null': twice the share of draws on the
    far side of null (at least one draw's worth, so it is never 0)."""
    x = np.asarray(list(draws), dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return float("nan")
    tail = min((x <= null).mean(), (x >= null).mean())
    return float(min(1.0, 2 * max(tail, 1 / len(x))))


def resampled_geometric_mean(rng: np.random.Generator, values: np.ndarray, fallback: float) -> float:
    """The geometric mean of a resample (with replacement) of positive replicate medians; the
    fallback centre when there are fewer than two."""
    v = values[np.isfinite(values) & (values > 0)]
    if len(v) < 2:
        return fallback
    return float(np.exp(np.log(rng.choice(v, size=len(v), replace=True)).mean()))
