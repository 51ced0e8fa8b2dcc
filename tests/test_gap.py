"""The browser/native gap: ratios and their intervals, backend pairing and decision trees (pure
functions on small synthetic frames; FLOPs and the GEMM peak: tests/test_gap_peak.py), and the `gap`
command on stores — one written from synthetic results, one filled by a real run of browser and
native specs."""
import argparse
import json
import math

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run_cli
from tests.summary_rows import frame, row
from webdlbench.analysis import gap
from webdlbench.analysis.stats import summary_frame
from webdlbench.commands import gap as gap_command
from webdlbench.errors import UserError
from webdlbench.spec import Spec, SpecResult
from webdlbench.store import Store


# -- ratios ---------------------------------------------------------------------------------------------
def test_ratio_is_browser_median_over_native_median_with_the_interval_of_the_two_cis():
    ratios = gap.ratio_frame(frame(
        row("browser", "tfjs", "cpu", "train", 2, 64, 30.0, low=27.0, high=36.0),
        row("native", "tensorflow", "cpu", "train", 2, 64, 1.5, low=1.2, high=2.0)))
    assert len(ratios) == 1
    r = ratios.iloc[0]
    assert r.ratio == pytest.approx(20.0)
    assert r.ratio_ci_low == pytest.approx(27.0 / 2.0) and r.ratio_ci_high == pytest.approx(36.0 / 1.2)
    assert r.network == "DNN" and r.metric == "train_batch_ms" and r.pairing == gap.PAIRING_SAME


def test_pairs_with_replicates_are_tested_and_worded_with_holm_across_the_table():
    summary = frame(row("browser", "tfjs", "cpu", "train", 2, 64, 30.0),
                    row("native", "tensorflow", "cpu", "train", 2, 64, 1.5),
                    row("browser", "tfjs", "cpu", "infer", 2, 64, 1.02),
                    row("native", "tensorflow", "cpu", "infer", 2, 64, 1.0))
    replicates = pd.DataFrame(
        [{"spec_hash": h, "metric": m, "replicate": str(i), "value": v * f}
         for h, m, v in (("browser-tfjs-cpu-train-2-64-1", "train_batch_ms", 30.0),
                         ("native-tensorflow-cpu-train-2-64-1", "train_batch_ms", 1.5),
                         ("browser-tfjs-cpu-infer-2-64-1", "infer_ms", 1.02),
                         ("native-tensorflow-cpu-infer-2-64-1", "infer_ms", 1.0))
         for i, f in enumerate((0.9, 1.0, 1.1, 0.95, 1.05))])
    ratios = gap.ratio_frame(summary, replicates).set_index("task")
    train, infer = ratios.loc["train"], ratios.loc["infer"]
    assert train.comparison.startswith("browser is slower than native by ") and train.p_holm < 0.05
    assert train.ratio_ci_method == gap.RATIO_TEST_METHOD and train.ratio_ci_low < 20.0 < train.ratio_ci_high
    assert train.browser_replicates == 5 and train.native_replicates == 5
    assert infer.comparison.startswith("no significant difference between browser and native")
    assert infer.p_holm >= infer.p_value  # Holm never makes a p-value smaller
    untested = gap.ratio_frame(summary).set_index("task").loc["train"]
    assert "no test" in untested.ratio_ci_method and untested.comparison.endswith("not tested (fewer than 2 "
                                                                                    "replicates on a side)")


def test_only_the_same_work_pairs_and_only_ok_headline_rows_count():
    ratios = gap.ratio_frame(frame(
        row("browser", "tfjs", "cpu", "infer", 1, 64, 0.5),
        row("browser", "tfjs", "cpu", "infer", 1, 64, 40.0, metric="load_ms"),   # not the headline metric
        row("native", "tensorflow", "cpu", "infer", 1, 64, 0.25),
        row("native", "tensorflow", "cpu", "infer", 1, 64, 70.0, metric="load_ms"),
        row("native", "tensorflow", "cpu", "infer", 1, 128, 0.3),               # another width
        row("native", "pytorch", "cpu", "infer", 1, 64, 0.05, outcome="check_failed"),
        row("native", "tensorflow", "cpu", "train", 1, 64, 0.5),                # another task
    ))
    assert len(ratios) == 1 and ratios.iloc[0].ratio == pytest.approx(2.0)
    assert ratios.iloc[0].native_framework == "tensorflow" and ratios.iloc[0].metric == "infer_ms"


def test_backends_pair_by_class_and_gpu_falls_back_to_native_cpu_only_without_a_native_gpu_result():
    summary = frame(
        row("browser", "tfjs", "cpu", "train", 1, 64, 20.0),
        row("browser", "tfjs", "webgl", "train", 1, 64, 10.0),
        row("native", "tensorflow", "cpu", "train", 1, 64, 1.0),
        row("native", "tensorflow", "gpu", "train", 1, 64, 0.5),
        row("native", "pytorch", "cpu", "train", 1, 64, 0.4),
        row("native", "pytorch", "gpu", "train", 1, 64, 0.1, outcome="unsupported", n=0),
    )
    ratios = gap.ratio_frame(summary)
    pairs = {(r.browser_backend, r.native_framework, r.native_backend): (r.ratio, r.pairing)
             for r in ratios.itertuples()}
    assert pairs == {
        ("cpu", "tensorflow", "cpu"): (20.0, gap.PAIRING_SAME),
        ("webgl", "tensorflow", "gpu"): (20.0, gap.PAIRING_SAME),      # TF has a GPU result: that one
        ("cpu", "pytorch", "cpu"): (50.0, gap.PAIRING_SAME),
        ("webgl", "pytorch", "cpu"): (25.0, gap.PAIRING_FALLBACK),     # PyTorch's GPU spec failed
    }
    assert list(ratios.native_framework)[:2] == ["tensorflow", "tensorflow"]  # the paper's reference first


def test_no_pairs_give_an_empty_frame_and_undefined_ratios_are_nan():
    assert gap.ratio_frame(frame(row("browser", "tfjs", "cpu", "train", 1, 64, 20.0))).empty
    assert gap.ratio_frame(frame()).empty
    undefined = gap.ratio_with_interval(1.0, 0.9, 1.1, 0.0, 0.0, 0.1)
    assert math.isnan(undefined["ratio"]) and math.isnan(undefined["ratio_ci_high"])
    assert undefined["ratio_ci_low"] == pytest.approx(9.0)


# -- decision trees -----------------------------------------------------------------------------------------
def synthetic_ratios(noise=0.0):
    """A Table-5 grid whose ratio is driven by the backend first, then the task, a little by width."""
    rng = np.random.default_rng(1)
    rows = []
    for task in ("train", "infer"):
        for depth in (1, 2, 4):
            for width in (64, 128, 256):
                native_median = 0.5 * depth
                rows.append(row("native", "tensorflow", "cpu", task, depth, width, native_median))
                for backend in ("cpu", "webgl"):
                    ratio = (40.0 if backend == "cpu" else 4.0) * (3.0 if task == "train" else 1.0)
                    ratio *= 1 + width / 2560 + noise * rng.standard_normal()
                    rows.append(row("browser", "tfjs", backend, task, depth, width, ratio * native_median))
    return gap.ratio_frame(frame(*rows))


def test_tree_splits_on_backend_first_and_ranks_it_most_important():
    ratios = synthetic_ratios()
    trees = gap.fit_trees(ratios)
    assert len(trees) == 1
    tree = trees[0]
    assert tree.max_depth == len(gap.FACTORS) == 4 and tree.model.get_depth() <= 4
    assert tree.rows == 36 and tree.fallback_rows == 18  # webgl against native CPU: no native GPU rows
    assert tree.text.splitlines()[0].startswith("|--- backend_gpu <=")
    assert tree.root == ("backend_gpu", 0.5) and tree.root_text == "backend_gpu <= 0.5" and tree.root_share > 0.9
    ranked = sorted(tree.importances, key=tree.importances.get, reverse=True)
    assert ranked[:2] == ["backend_gpu", "task_train"]
    assert sum(tree.importances.values()) == pytest.approx(1.0)
    for factor, (low, high) in tree.importance_intervals.items():
        assert 0 <= low <= high <= 1, factor
    assert tree.importance_intervals["backend_gpu"][0] > tree.importance_intervals["depth"][1]
    assert "DNN" in tree.title and "tensorflow" in tree.title


def test_no_leaf_stands_on_fewer_than_five_configurations():
    ratios = synthetic_ratios()
    outlier = ratios.index[(ratios.task == "train") & (ratios.depth == 4) & (ratios.width == 256)
                           & (ratios.browser_backend == "webgl")][0]
    ratios.loc[outlier, "ratio"] = 10_000.0  # one training row far off: a one-sample leaf would isolate it
    tree = gap.fit_trees(ratios)[0]
    leaves = tree.model.tree_.children_left == -1
    assert tree.model.tree_.n_node_samples[leaves].min() >= gap.MIN_LEAF
    loose = gap.fit_tree(gap.tree_rows(ratios, "DNN", "tensorflow"), min_leaf=1, resamples=0)
    assert loose.model.tree_.n_node_samples[loose.model.tree_.children_left == -1].min() == 1
    small = gap.fit_tree(gap.tree_rows(ratios, "DNN", "tensorflow").iloc[:8])
    assert small.root is None and small.root_text == "no split (leaves need 5 configurations each; 8 fitted)"


def test_tree_rows_use_the_paper_backends_and_one_native_thread_count():
    extra = frame(row("browser", "tfjs", "wasm", "train", 8, 64, 5.0),
                  row("browser", "tfjs", "cpu", "train", 8, 64, 9.0),
                  row("native", "tensorflow", "cpu", "train", 8, 64, 1.0, threads=2))
    ratios = pd.concat([synthetic_ratios(), gap.ratio_frame(extra)], ignore_index=True)
    assert len(ratios) == 36 + 2
    rows = gap.tree_rows(ratios, "DNN", "tensorflow")  # the smallest thread count: 1
    assert set(rows.browser_backend) == {"cpu", "webgl"} and set(rows.native_threads) == {1} and len(rows) == 36
    two = gap.tree_rows(ratios, "DNN", "tensorflow", native_threads=2)
    assert list(two.browser_backend) == ["cpu"] and list(two.ratio) == [9.0]  # wasm is not a paper backend
    with pytest.raises(ValueError, match="at least 2"):
        gap.fit_tree(rows.iloc[:1])


def test_factor_frame_encodes_table_5():
    factors = gap.factor_frame(synthetic_ratios())
    assert list(factors.columns) == [*gap.FACTORS, "ratio"]
    assert set(factors.backend_gpu) == {0, 1} and set(factors.task_train) == {0, 1}
    assert set(factors.depth) == {1, 2, 4} and set(factors.width) == {64, 128, 256}


def test_tree_figure_is_a_png():
    from webdlbench.report.trees import tree_png

    png = tree_png(gap.fit_trees(synthetic_ratios(noise=0.05))[0])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


# -- the gap command ----------------------------------------------------------------------------------------------
def gap_args(store, **extra):
    parser = argparse.ArgumentParser()
    gap_command.add_arguments(parser)
    argv = ["--store", str(store)]
    for key, value in extra.items():
        argv += [f"--{key.replace('_', '-')}"] + ([] if value is True else [str(value)])
    return parser.parse_args(argv)


def write_store(path, results):
    with Store.open(path) as store:
        run_id = store.start_run("synthetic", "test", [r.spec for r in results])
        for result in results:
            store.add_result(run_id, result)
        store.finish_run(run_id)


def synthetic_result(runtime, framework, backend, task, width, values, gemm=None):
    spec = Spec(framework=framework, backend=backend, task=task, depth=1, width=width,
                batch=64 if task == "train" else 1, runtime=runtime)
    result = SpecResult(spec=spec, outcome="ok", started_at=1.0, finished_at=2.0)
    result.add(gap.HEADLINE[task], values)
    if gemm:
        result.info["gemm_peak"] = {"gflops": gemm, "method": "synthetic", "cpu_model": "test cpu", "blas": "x"}
    return result


def test_gap_command_prints_ratios_trees_and_peak_from_a_store(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    store = tmp_path / "s.sqlite"
    results = []
    for backend, factor in (("cpu", 30.0), ("webgl", 10.0)):
        for task in ("train", "infer"):
            for width in (64, 128, 256):
                results.append(synthetic_result("browser", "tfjs", backend, task, width,
                                                [factor * (1 + i / 100) for i in range(8)]))
    for task in ("train", "infer"):
        for width in (64, 128, 256):
            results.append(synthetic_result("native", "tensorflow", "cpu", task, width,
                                            [1 + i / 100 for i in range(8)], gemm=50.0))
    write_store(store, results)
    figures = tmp_path / "figures"
    assert gap_command.run(gap_args(store, figures=figures)) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    # Legible in an 80-column terminal (a file path written is the user's own, never broken).
    assert max(len(line) for line in lines if not line.startswith("wrote ")) <= 80
    # One line per pair, under its configuration: browser, its ms, native, its ms, ratio, CI, verdict.
    assert "train, mlp 1x64, batch 64" in lines
    cpu = next(line for line in lines if line.startswith("  tfjs/cpu ") and "tensorflow/cpu " in line)
    assert cpu.split()[4] == "30" and "not tested" in cpu  # one result per spec: no test
    webgl = next(line for line in lines if line.startswith("  tfjs/webgl ") and "tensorflow/cpu†" in line)
    assert webgl.split()[4] == "10" and any(line.startswith("†: a browser GPU backend against native CPU")
                                            for line in lines)
    flat = " ".join(out.split())  # sentences as read, wherever the width wrapped them
    assert "|--- backend_gpu <=" in out and "root split: backend_gpu <= 0.5" in flat
    assert "feature importances (95% bootstrap interval): backend_gpu 1.00 (" in flat
    assert "GEMM peak, GFLOP/s: 1 thread 50.0" in flat and "recorded with the native results" in flat
    assert "e-05" not in out and "e+0" not in out
    assert (figures / "gap-tree-dnn-tensorflow.png").read_bytes()[:4] == b"\x89PNG"


def _two_runs_of_pairs(store):
    for factor in (30.0, 60.0):  # the second run's browser is twice as slow
        write_store(store, [synthetic_result("browser", "tfjs", "cpu", task, 64, [factor] * 4)
                            for task in ("train", "infer")]
                    + [synthetic_result("native", "tensorflow", "cpu", task, 64, [1.0] * 4, gemm=50.0)
                       for task in ("train", "infer")])


def test_gap_keeps_runs_apart_unless_asked_to_pool_them(tmp_path, capsys):
    store = tmp_path / "s.sqlite"
    _two_runs_of_pairs(store)
    assert gap_command.run(gap_args(store, no_peak=True)) == 0
    out = capsys.readouterr().out
    sections = [line for line in out.splitlines() if line.startswith("run ")]
    assert len(sections) == 2 and all("(suite synthetic)" in line for line in sections)
    ratios = [line.split()[4] for line in out.splitlines() if line.startswith("  tfjs/cpu ")]
    assert ratios == ["30", "30", "60", "60"]  # infer and train of each run, never one pooled median
    assert gap_command.run(gap_args(store, no_peak=True, pool_runs=True)) == 0
    pooled = capsys.readouterr().out
    assert pooled.startswith("every run pooled (--pool-runs): ") and "\nrun " not in pooled
    assert [line.split()[4] for line in pooled.splitlines() if line.startswith("  tfjs/cpu ")] == ["42.4", "42.4"]


def test_gap_json_parses_and_carries_each_runs_ratios(tmp_path, capsys):
    store = tmp_path / "s.sqlite"
    _two_runs_of_pairs(store)
    assert gap_command.run(gap_args(store, no_peak=True, format="json")) == 0
    data = json.loads(capsys.readouterr().out)
    assert [len(s["run_ids"]) for s in data["sections"]] == [1, 1] and not data["pooled"]
    assert [sorted(r["ratio"] for r in s["ratios"]) for s in data["sections"]] == [[30.0, 30.0], [60.0, 60.0]]
    assert data["sections"][0]["efficiency"] is None  # --no-peak


def test_gap_command_without_pairs_names_the_suite_that_fills_the_store(tmp_path):
    store = tmp_path / "s.sqlite"
    write_store(store, [synthetic_result("browser", "tfjs", "cpu", "train", 64, [10.0, 11.0])])
    with pytest.raises(UserError, match="gap-quick") as caught:
        gap_command.run(gap_args(store))
    assert len(str(caught.value).splitlines()) == 1
    with pytest.raises(UserError, match="no results store"):
        gap_command.run(gap_args(tmp_path / "missing.sqlite"))
    assert not (tmp_path / "missing.sqlite").exists()


def _gap_registered() -> bool:
    from webdlbench.cli import COMMANDS
    return "gap" in COMMANDS


@pytest.mark.skipif(not _gap_registered(), reason="`gap` is not registered in webdlbench.cli.COMMANDS yet")
def test_gap_cli_exits_2_with_one_line_on_a_store_without_pairs(tmp_path):
    store = tmp_path / "s.sqlite"
    write_store(store, [synthetic_result("browser", "tfjs", "cpu", "train", 64, [10.0, 11.0])])
    done = run_cli("gap", "--store", store)
    assert done.returncode == 2 and "gap-quick" in done.stderr and len(done.stderr.strip().splitlines()) == 1


# -- for real: browser and native measured into one store -----------------------------------------------------------
REAL_SUITE = """
name = "gap-e2e"
[defaults]
samples = 4
warmup = 2
replicates = 2
max_replicates = 2
time_budget_s = 20

[[grid]]
runtime = "browser"
framework = "tfjs"
backend = "cpu"
task = ["train", "infer"]
depth = 1
width = [16, 32]
batch = 16

[[grid]]
runtime = "native"
framework = ["tensorflow", "pytorch"]
backend = "cpu"
task = ["train", "infer"]
depth = 1
width = [16, 32]
batch = 16
"""


@pytest.mark.browser
def test_gap_on_a_store_filled_by_a_real_browser_and_native_run(tmp_path, capsys):
    suite = tmp_path / "gap-e2e.toml"
    suite.write_text(REAL_SUITE)
    store = tmp_path / "results" / "store.sqlite"
    done = run_cli("run", suite, "--store", store)
    assert done.returncode == 0, done.stdout + done.stderr
    with Store.open(store, create=False) as opened:
        results, samples, _ = opened.frames()
    failures = results[results.outcome != "ok"][["runtime", "framework", "task", "outcome", "error"]]
    assert failures.empty, failures.to_string()
    ratios = gap.ratio_frame(summary_frame(samples, results))
    # 2 tasks x 2 widths, each against TensorFlow and PyTorch.
    assert len(ratios) == 8 and (ratios.ratio > 0).all() and ratios.ratio.notna().all()
    assert (ratios.ratio_ci_low <= ratios.ratio).all() and (ratios.ratio <= ratios.ratio_ci_high).all()
    native_infer = results[(results.runtime == "native") & (results.task == "infer")]
    assert all(c["max_abs_error"] <= c["atol"] for c in native_infer.checks)
    assert all(info["gemm_peak"]["gflops"] > 0 for info in results[results.runtime == "native"]["info"])
    assert gap_command.run(gap_args(store)) == 0
    out = capsys.readouterr().out
    assert "tfjs/cpu" in out and "tensorflow/cpu" in out and "pytorch/cpu" in out
    assert "Decision tree of the ratio, DNN" in out and "feature importances" in out
    assert "GEMM peak, GFLOP/s: 1 thread" in out and "  native pytorch/cpu t1 " in out
