"""The gap's efficiency figures (analysis/peak.py): FLOPs by the stated rule or the converter's
recorded count, achieved GFLOP/s against the machine's GEMM peak per thread count, and the peak
itself — the best BLAS measured once per thread count, then cached."""
import math

import pandas as pd
import pytest

from tests.summary_rows import frame, row
from webdlbench.analysis import peak


def test_flops_follow_the_stated_rule():
    forward = 2 * (784 * 64 + 64 * 10)
    assert peak.mlp_forward_flops(1, 64) == forward
    assert peak.mlp_forward_flops(2, 128, samples=3) == 3 * 2 * (784 * 128 + 128 * 128 + 128 * 10)
    assert peak.mlp_train_flops(1, 64, 64) == 3 * 64 * forward
    assert peak.task_flops("mlp", "infer", 1, 64, 1) == forward
    assert math.isnan(peak.task_flops("cnn", "infer", 6, 64, 1))  # a converted kind needs its recorded FLOPs
    assert peak.task_flops("cnn", "train", 6, 64, 32, forward_flops=1e6) == 3 * 32 * 1e6


def test_converted_kinds_take_their_flops_from_the_recorded_model_facts():
    summary = frame(row("browser", "tfjs", "cpu", "infer", 6, 200, 4.0, model="cnn"),
                    row("native", "tensorflow", "cpu", "train", 6, 200, 1000.0, model="cnn"))
    results = pd.DataFrame([{"model": "cnn", "depth": 6, "width": 200, "info": {"model_facts": {"flops": 2e8}}},
                            {"model": "mlp", "depth": 1, "width": 64, "info": {}}])
    eff = peak.efficiency_frame(summary, 100.0, results).set_index("task")
    assert eff.loc["infer"].flops == 2e8 and eff.loc["infer"].achieved_gflops == pytest.approx(2e8 / 4e-3 / 1e9)
    assert eff.loc["train"].flops == 3 * 64 * 2e8
    assert math.isnan(peak.efficiency_frame(summary, 100.0).iloc[0].flops)


def test_efficiency_is_flops_over_the_median_against_the_peak():
    summary = frame(row("native", "pytorch", "cpu", "train", 1, 64, 0.5),
                    row("browser", "tfjs", "cpu", "train", 1, 64, 30.0, metric="train_warmup_ms"),
                    row("browser", "tfjs", "cpu", "infer", 1, 64, 0.1, outcome="error"))
    eff = peak.efficiency_frame(summary, 100.0)
    assert len(eff) == 1
    expected = peak.mlp_train_flops(1, 64, 64) / 0.5e-3 / 1e9
    assert eff.iloc[0].achieved_gflops == pytest.approx(expected)
    assert eff.iloc[0].fraction_of_peak == pytest.approx(expected / 100.0)
    assert math.isnan(peak.efficiency_frame(summary, None).iloc[0].fraction_of_peak)


def test_efficiency_takes_the_peak_of_the_rows_thread_count_and_flags_more_than_100_percent():
    summary = frame(row("native", "pytorch", "cpu", "train", 1, 64, 0.5, threads=1),
                    row("native", "pytorch", "cpu", "train", 1, 128, 0.5, threads=4),
                    row("native", "pytorch", "cpu", "train", 1, 256, 0.5, threads=2))
    figure = {"gflops": 10.0, "by_threads": {"1": {"gflops": 10.0}, "2": {"gflops": 19.0}}}
    eff = peak.efficiency_frame(summary, figure).set_index("width")
    assert eff.loc[64].peak_gflops == 10.0 and eff.loc[256].peak_gflops == 19.0
    assert eff.loc[128].peak_gflops == 19.0 and eff.loc[128].peak_threads == 2  # largest measured below 4
    assert eff.loc[64].fraction_of_peak > 1 and eff.loc[64].flag == peak.OVER_PEAK
    assert peak.peak_by_threads({"gflops": 50.0}) == {1: 50.0} and peak.peak_by_threads(None) == {}


def test_gemm_peak_is_the_best_library_measured_once_per_thread_count_then_cached(tmp_path, monkeypatch):
    from webdlbench.native import gemm_peak

    figure = gemm_peak.measure_peak(tmp_path)  # for real: numpy and PyTorch, one thread
    one = figure["by_threads"]["1"]
    assert figure["gflops"] == one["gflops"] > 0 and one["threads"] == 1
    measured = [r["gflops"] for r in one["libraries"].values() if "gflops" in r]
    assert one["gflops"] == max(measured) and one["library"] in one["libraries"]
    assert figure["cpu_model"] and "numpy" in figure["method"] and "PyTorch" in figure["method"]
    asked = []

    def only_the_missing_count(count):
        asked.append(count)
        return {"gflops": 1.0, "threads": count}
    monkeypatch.setattr(gemm_peak, "_measure_in_subprocess", only_the_missing_count)
    assert gemm_peak.measure_peak(tmp_path) == figure
    both = gemm_peak.measure_peak(tmp_path, threads=(1, 2))
    assert asked == [2] and both["by_threads"]["1"] == one and both["by_threads"]["2"]["threads"] == 2
