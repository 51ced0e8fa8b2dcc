"""Tests between sets of replicates (webdlbench.analysis.compare): Welch's t on log replicate medians,
Holm's correction, the tachometer-style wording, replicate medians from samples, and the bootstrap
helpers."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from webdlbench.analysis import compare


def test_welch_on_logs_matches_scipy_and_its_interval_is_the_ratio_of_geometric_means():
    a, b = [12.0, 13.5, 11.8, 12.9, 14.1], [10.0, 10.4, 9.7, 10.9, 10.1, 9.9]
    estimate = compare.ratio_test(a, b)
    expected = stats.ttest_ind(np.log(a), np.log(b), equal_var=False)
    assert estimate.p_against(1.0) == pytest.approx(expected.pvalue)
    assert estimate.ratio == pytest.approx(stats.gmean(a) / stats.gmean(b))
    low, high = estimate.interval()
    assert low < estimate.ratio < high
    # p < 0.05 exactly when the 95% CI excludes the threshold
    assert (estimate.p_against(low * 0.999) < 0.05) and (estimate.p_against(low * 1.001) > 0.05)
    assert estimate.n_a == 5 and estimate.n_b == 6 and "Welch" in estimate.method


def test_one_set_against_a_constant_is_students_t_on_logs():
    values = [9.0, 11.0, 10.5, 9.5]
    estimate = compare.level_test(values)
    assert estimate.p_against(8.0) == pytest.approx(stats.ttest_1samp(np.log(values), math.log(8.0)).pvalue)


@pytest.mark.parametrize("a,b", [([1.0], [1.0, 2.0]), ([1.0, 2.0], []), ([1.0, -1.0], [1.0, 2.0]),
                                 ([1.0, float("nan")], [1.0, 2.0])])
def test_fewer_than_two_positive_replicates_give_no_test(a, b):
    assert compare.ratio_test(a, b) is None
    decision = compare.decide([None])[0]
    assert not decision.tested and decision.direction == compare.UNDECIDED and math.isnan(decision.p_value)
    assert "not tested" in compare.faster_wording(decision, "A", "B")


def test_identical_replicates_decide_by_their_difference_alone():
    same = compare.ratio_test([2.0, 2.0, 2.0], [2.0, 2.0])
    assert same.p_against(1.0) == 1.0 and same.interval() == (pytest.approx(1.0), pytest.approx(1.0))
    apart = compare.ratio_test([4.0, 4.0], [2.0, 2.0])
    assert apart.p_against(1.0) == 0.0 and apart.ratio == pytest.approx(2.0)


def test_holm_adjusts_step_down_and_ignores_untested_entries():
    adjusted = compare.holm([0.01, 0.04, float("nan"), 0.03, 0.005])
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> max so far 0.06
    assert adjusted[4] == pytest.approx(0.02) and adjusted[0] == pytest.approx(0.03)
    assert adjusted[3] == pytest.approx(0.06) and adjusted[1] == pytest.approx(0.06) and math.isnan(adjusted[2])
    assert compare.holm([0.9, 0.8]) == [pytest.approx(1.0), pytest.approx(1.0)]


def test_a_difference_that_holm_takes_back_is_worded_as_not_significant():
    rng = np.random.default_rng(1)
    slower = compare.ratio_test([1.10, 1.16, 1.04, 1.12], [1.0, 1.03, 0.97, 1.0])
    assert slower.p_against(1.0) < 0.05
    noise = [compare.ratio_test(rng.normal(1, 0.05, 5).clip(0.5), rng.normal(1, 0.05, 5).clip(0.5)) for _ in range(30)]
    alone, crowded = compare.decide([slower])[0], compare.decide([slower, *noise])[0]
    assert alone.direction == compare.ABOVE and alone.family == 1
    assert compare.faster_wording(alone, "A", "B").startswith("A is slower than B by ")
    assert crowded.direction == compare.UNDECIDED and crowded.family == 31
    text = compare.faster_wording(crowded, "A", "B")
    assert text.startswith("no significant difference between A and B") and "Holm" in text and "31" in text


def test_faster_wording_gives_the_speed_up_as_a_range():
    decision = compare.decide([compare.ratio_test([1.0, 1.1, 0.9, 1.0], [2.0, 2.2, 1.8, 2.1])])[0]
    low, high = decision.interval()
    text = compare.faster_wording(decision, "TF.js wasm", "ConvNetJS")
    assert decision.direction == compare.BELOW
    assert text == f"TF.js wasm is faster than ConvNetJS by {1 / high:.3g}–{1 / low:.3g}×"


def test_threshold_decisions_call_above_below_or_neither():
    estimates = [compare.level_test([30.0, 32.0, 29.0]), compare.level_test([3.0, 3.2, 2.9]),
                 compare.level_test([5.0, 20.0, 9.0])]
    directions = [d.direction for d in compare.decide(estimates, 10.0)]
    assert directions == [compare.ABOVE, compare.BELOW, compare.UNDECIDED]
    assert "is above 10×" in compare.threshold_wording(compare.decide(estimates, 10.0)[0], "load/infer")


def test_precision_note_says_what_the_replicates_say_and_the_remedy():
    row = {"n": 100, "median": 10.0, "ci_low": 9.9, "ci_high": 10.1, "replicates": 5, "half_width_pct": 1.0,
           "precision_target_pct": 2.0, "precision_met": True}
    assert compare.precision_note(row) == ""
    wide = {**row, "half_width_pct": 7.5, "precision_met": False}
    assert compare.precision_note(wide, "browser") == ("browser: CI ±7.5% of the centre over 5 replicates, target ±2%: "
                                                        "not met (raise max_replicates or precision)")
    assert compare.precision_note(wide, remedy=False).endswith("target ±2%: not met")
    assert compare.precision_note({**row, "replicates": 3}) == "few replicates (3)"
    assert compare.precision_note({**row, "replicates": 1}).startswith("one replicate: its CI covers one page")
    # Without the summary's precision columns: the half-width from the CI against the default target.
    bare = {"n": 30, "median": 10.0, "ci_low": 9.0, "ci_high": 11.0, "replicates": 6}
    assert "CI ±10% of the centre over 6 replicates, target ±2%" in compare.precision_note(bare)
    assert compare.precision_note({"n": 30, "median": 10.0, "ci_low": 9.0, "ci_high": 11.0}) == ""  # no replicates
    assert compare.precision_note({**row, "n": 0}) == ""


def test_replicate_medians_keep_results_and_replicates_apart():
    samples = pd.DataFrame({"result_id": [1, 1, 1, 1, 2, 2], "spec_hash": ["s"] * 6, "metric": ["t"] * 6,
                            "replicate": [0, 0, 1, 1, 0, 0], "value": [1.0, 3.0, 10.0, 12.0, 5.0, 7.0]})
    medians = compare.replicate_medians(samples)
    assert sorted(medians["value"]) == [2.0, 6.0, 11.0]
    old = compare.replicate_medians(samples.drop(columns="replicate"))  # a store from before replicates
    assert sorted(old["value"]) == [6.0, 6.5]
    lookup = compare.Replicates(medians)
    assert lookup.count("s", "t") == 3 and lookup.values("s", "other").size == 0
    assert compare.replicate_medians(samples.iloc[:0]).empty


def test_joint_rows_pair_one_replicates_metrics():
    frame = pd.DataFrame({"spec_hash": ["s"] * 5, "metric": ["load", "load", "infer", "infer", "infer"],
                          "replicate": ["1/0", "1/1", "1/0", "1/1", "1/2"], "value": [10.0, 12.0, 1.0, 2.0, 3.0]})
    joint = compare.Replicates(frame).joint("s", ["load", "infer"])
    assert list(joint.index) == ["1/0", "1/1"] and list(joint["load"] / joint["infer"]) == [10.0, 6.0]
    assert compare.Replicates(frame).joint("s", ["load", "warmup"]).empty


def test_bootstrap_helpers():
    draws = np.linspace(-1, 9, 1001)
    assert compare.bootstrap_p(draws, 0.0) == pytest.approx(2 * 101 / 1001)
    assert compare.bootstrap_p(np.ones(50), 0.0) == pytest.approx(2 / 50)  # never 0
    low, high = compare.percentile_interval(draws)
    assert low == pytest.approx(-0.75) and high == pytest.approx(8.75)
    assert all(math.isnan(v) for v in compare.percentile_interval([float("nan")]))
    rng = np.random.default_rng(0)
    assert compare.resampled_geometric_mean(rng, np.array([5.0]), 7.0) == 7.0
    assert 1.0 <= compare.resampled_geometric_mean(rng, np.array([1.0, 4.0]), 7.0) <= 4.0
