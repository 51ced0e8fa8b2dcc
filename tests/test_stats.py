"""Summaries and confidence intervals (webdlbench.analysis.stats)."""
import math

import numpy as np
import pandas as pd
import pytest

from webdlbench.analysis.stats import (SUMMARY_COLUMNS, fmt, median_ci_coverage, median_ci_rank, summarize,
                                       summary_frame)
from webdlbench.spec import Spec, SpecResult
from webdlbench.store import Store


def test_median_and_ci_are_order_statistics():
    values = [7, 3, 9, 1, 10, 5, 2, 8, 4, 6]  # shuffled 1..10
    s = summarize(values)
    assert (s.n, s.median, s.mean, s.min, s.max) == (10, 5.5, 5.5, 1, 10)
    k = median_ci_rank(10)
    assert (s.ci_low, s.ci_high) == (sorted(values)[k - 1], sorted(values)[10 - k])
    assert s.ci_method.startswith("one replicate: binomial") and s.replicates == 1 and not s.precision_met


@pytest.mark.parametrize("n", range(6, 201))
def test_rank_is_the_narrowest_interval_keeping_95_percent(n):
    k = median_ci_rank(n)
    assert median_ci_coverage(n, k) >= 0.95
    assert k + 1 > (n + 1) // 2 or median_ci_coverage(n, k + 1) < 0.95


def test_published_ranks():
    # Conover, Practical Nonparametric Statistics, Table A3: n=20 -> x(6)..x(15); n=100 -> x(40)..x(61).
    assert median_ci_rank(20) == 6
    assert median_ci_rank(100) == 40


@pytest.mark.parametrize("n", [1, 2, 5])
def test_small_samples_use_min_max_and_say_so(n):
    assert median_ci_rank(n) is None  # not even [min, max] reaches 95% below 6 samples
    s = summarize(np.arange(n, 0, -1))
    assert (s.ci_low, s.ci_high) == (1, n)
    assert s.ci_method == "one replicate: min-max of its n<6 samples"


def test_six_samples_get_an_interval_with_95_percent_coverage():
    s = summarize([6, 5, 4, 3, 2, 1])
    assert s.ci_method.startswith("one replicate: binomial") and (s.ci_low, s.ci_high) == (1, 6)


def test_unstable_when_stdev_reaches_a_tenth_of_the_mean():
    stable = summarize([99, 101, 100, 100])
    unstable = summarize([90, 110, 100, 100, 120, 80])
    assert not stable.unstable and stable.unstable_reason == ""
    assert unstable.unstable and "of the mean" in unstable.unstable_reason


def test_one_sample_has_no_spread_and_no_sample_is_empty():
    one = summarize([4.2])
    assert one.n == 1 and one.median == 4.2 and math.isnan(one.stdev) and not one.unstable
    none = summarize([])
    assert none.n == 0 and math.isnan(none.median) and none.ci_method == "no samples"


@pytest.mark.parametrize("n", [8, 20, 51])
def test_monte_carlo_coverage_of_a_skewed_distribution(n):
    """The 95% CI contains the true median (1 for lognormal(0, 1)) ~95% of the time."""
    rng = np.random.default_rng(20190513 + n)
    trials = 3000
    hits = 0
    for _ in range(trials):
        s = summarize(rng.lognormal(0.0, 1.0, n))
        hits += s.ci_low <= 1.0 <= s.ci_high
    coverage = hits / trials
    expected = median_ci_coverage(n, median_ci_rank(n))
    tolerance = 4 * math.sqrt(expected * (1 - expected) / trials)
    assert abs(coverage - expected) <= tolerance
    assert coverage >= 0.95 - tolerance


def test_replicates_give_the_geometric_mean_of_their_medians_and_a_t_interval():
    values = [1, 2, 3, 10, 20, 30, 4, 4, 4]
    s = summarize(values, replicates=[0, 0, 0, 1, 1, 1, 2, 2, 2], log_scale=True)
    assert s.replicates == 3 and s.median == pytest.approx((2 * 20 * 4) ** (1 / 3))
    logs = np.log([2, 20, 4])
    half = 4.302652729911275 * logs.std(ddof=1) / math.sqrt(3)  # t(0.975, 2)
    assert (s.ci_low, s.ci_high) == pytest.approx((math.exp(logs.mean() - half), math.exp(logs.mean() + half)))
    assert "few replicates" in s.ci_method and not s.precision_met


def test_precision_is_met_only_by_narrow_intervals_over_replicates():
    tight = summarize([10.0, 10.1, 9.9, 10.05, 10.0], replicates=range(5), log_scale=True, precision=0.02)
    assert tight.precision_met and tight.half_width_pct < 2 and tight.precision_target_pct == 2
    loose = summarize([10, 14, 7, 12, 9], replicates=range(5), log_scale=True, precision=0.02)
    assert not loose.precision_met and loose.half_width_pct > 2
    one_page = summarize([10.0] * 50, precision=0.02)  # narrow, but one page says nothing of the next
    assert not one_page.precision_met


def test_monte_carlo_coverage_across_replicates_where_one_page_would_mislead():
    """Pages differ (a random effect per page): the interval over replicate medians covers the true
    centre ~95% of the time, while the one-page interval of the same samples falls far short."""
    rng = np.random.default_rng(13)
    trials, pages, per_page = 2000, 5, 20
    hits = one_page_hits = 0
    for _ in range(trials):
        page_centres = rng.normal(0.0, 0.1, pages)  # log-scale page effects around log(1) = 0
        values = np.exp(page_centres[:, None] + rng.normal(0.0, 0.05, (pages, per_page))).ravel()
        s = summarize(values, replicates=np.repeat(np.arange(pages), per_page), log_scale=True)
        hits += s.ci_low <= 1.0 <= s.ci_high
        first = summarize(values[:per_page])
        one_page_hits += first.ci_low <= 1.0 <= first.ci_high
    tolerance = 4 * math.sqrt(0.95 * 0.05 / trials)
    assert abs(hits / trials - 0.95) <= tolerance
    assert one_page_hits / trials < 0.6


def _spec(**kw):
    return Spec(**{"framework": "tfjs", "backend": "cpu", "task": "train", "depth": 1, "width": 64, **kw})


def _result(spec, outcome="ok", error="", **metrics):
    result = SpecResult(spec, outcome, error=error)
    for metric, values in metrics.items():
        result.add(metric, values)
    return result


@pytest.fixture
def frames(tmp_path):
    pooled, failed, flaky = _spec(), _spec(width=128), _spec(width=256)
    with Store.open(tmp_path / "s.sqlite") as store:
        run1 = store.start_run("quick", "test", [pooled, failed, flaky])
        store.add_result(run1, _result(pooled, train_batch_ms=[1, 2, 3, 4, 5], loss=[2, 1]))
        store.add_result(run1, _result(failed, "unsupported", "WebGL is not available"))
        store.add_result(run1, _result(flaky, train_batch_ms=[1, 1, 1]))
        run2 = store.start_run("quick", "test", [pooled, flaky])
        store.add_result(run2, _result(pooled, train_batch_ms=[6, 7, 8, 9, 10]))
        store.add_result(run2, _result(flaky, "check_failed", "loss did not fall", train_batch_ms=[2, 2, 2]))
        results, samples, _ = store.frames()
    return results, samples, (pooled, failed, flaky)


def test_summary_frame_pools_runs_and_shows_failures(frames):
    results, samples, (pooled, failed, flaky) = frames
    table = summary_frame(samples, results)
    assert list(table.columns) == SUMMARY_COLUMNS
    def pick(row, *columns):
        return tuple(row[c] for c in columns)

    row = table[(table.spec_hash == pooled.spec_hash) & (table.metric == "train_batch_ms")].iloc[0]
    # Two runs are two replicates: the geometric mean of their medians (3 and 8), a t interval.
    assert pick(row, "n", "unit", "outcome", "results", "replicates") == (10, "ms", "ok", 2, 2)
    assert row["median"] == pytest.approx(math.sqrt(3 * 8)) and row["ci_method"].startswith("t over 2 replicate")
    assert pick(row, "framework", "backend", "depth", "width", "batch") == ("tfjs", "cpu", 1, 64, 64)
    gone = table[table.spec_hash == failed.spec_hash]
    assert len(gone) == 1
    assert pick(gone.iloc[0], "metric", "n", "outcome", "error") == ("", 0, "unsupported", "WebGL is not available")
    mixed = table[(table.spec_hash == flaky.spec_hash)].iloc[0]
    assert pick(mixed, "n", "outcome", "error") == (6, "check_failed", "loss did not fall")


def test_summary_frame_per_run_keeps_runs_apart(frames):
    results, samples, (pooled, _, _) = frames
    table = summary_frame(samples, results, per_run=True)
    rows = table[(table.spec_hash == pooled.spec_hash) & (table.metric == "train_batch_ms")]
    assert sorted(rows["median"]) == [3, 8]
    assert rows["run_id"].nunique() == 2


def test_summary_frame_of_nothing_has_the_columns():
    empty = summary_frame(pd.DataFrame(columns=["result_id", "spec_hash", "metric", "unit", "value"]),
                          pd.DataFrame(columns=["result_id", "spec_hash", "run_id", "outcome", "error"]))
    assert empty.empty and list(empty.columns) == SUMMARY_COLUMNS


@pytest.mark.parametrize("value,text", [(1234.5, "1,234"), (12.345, "12.3"), (1.2345, "1.23"), (0.012345, "0.0123"),
                                        (0.0, "0.00"), (float("nan"), "–"), (None, "–")])
def test_numbers_have_three_significant_digits(value, text):
    assert fmt(value) == text
