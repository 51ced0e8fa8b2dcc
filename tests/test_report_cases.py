"""The report's edge cases (webdlbench.report): an empty store says which suite fills each section,
the command's output, failures before any page, failed checks listed and not plotted, a failed GEMM
peak, surveys beside older stores, deterministic figures, the paper's conditions on quoted ratios,
Table 5's time-limited specs and its cells, and a spec measured again. The store they start from:
tests/report_store.py."""
import pandas as pd
import pytest

from tests.report_store import (  # noqa: F401 (store_path: a fixture, used by name)
    HARDWARE_GPU, SOFTWARE_GPU, NATIVE, add_result, embedded_pngs, section_html,
    store_path)
from webdlbench.errors import UserError
from webdlbench.report.build import build_report
from webdlbench.report.plots import bar_figure, series_figure
from webdlbench.spec import Spec
from webdlbench.store import Store

def test_empty_store_says_which_suite_fills_each_section(tmp_path):
    Store.open(tmp_path / "empty.sqlite").close()
    index = build_report(tmp_path / "empty.sqlite", tmp_path / "report")
    html = index.read_text()
    hints = {"table1": "webdlbench survey --store", "fig1": "paper-training", "table2": "paper-training",
             "fig2": "paper-inference", "fig3": "paper-inference", "fig4": "paper-inference",
             "table3": "paper-inference", "stack": "paper-training", "table4": "paper-pretrained",
             "fig5": "paper-pretrained", "table5": "gap-quick", "fig6": "gap-quick", "ratios": "paper-gap-dnn",
             "peak": "webdlbench run quick", "environment": "webdlbench run quick", "runs": "webdlbench run quick"}
    for key, suite in hints.items():
        section = section_html(html, key)
        assert 'class="empty"' in section and suite in section, key
    assert embedded_pngs(html) == []
    found = pd.read_csv(index.parent / "findings.csv")
    assert (found["verdict"] == "not tested here").all() and found["fill"].str.len().gt(0).all()
    assert "9453" in section_html(html, "table1") and "1, 2, 4, 8, 16" in section_html(html, "table5")
    assert list(pd.read_csv(index.parent / "fig1_train_batch_ms.csv").columns)[:2] == ["series", "config"]


def test_the_command_prints_where_and_the_verdicts(store_path, tmp_path, capsys):
    from webdlbench.cli import main

    assert main(["report", "--store", str(store_path), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"report written: {tmp_path / 'out' / 'index.html'}"
    verdicts = " ".join(" ".join(printed[1:]).split())  # wrapped to the terminal's width
    assert verdicts.startswith("paper findings @B1: 1: not tested here, 2: not tested here, 3: partly tested")
    assert "7: holds" in verdicts


def test_log_axis_falls_back_to_linear_for_zero_times(tmp_path):
    spec = Spec("tfjs", "cpu", "train", 1, 64)
    with Store.open(tmp_path / "s.sqlite") as store:
        add_result(store, store.start_run("quick", "test", [spec]), spec, SOFTWARE_GPU,
             train_batch_ms=[0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
        # A store written before times had to be > 0 (limits.py) may hold zeros: the report still copes.
        store.conn.execute("UPDATE samples SET value = 0 WHERE metric = 'train_batch_ms' AND idx < 2")
    html = build_report(tmp_path / "s.sqlite", tmp_path / "report").read_text()
    assert "The y axis is linear, not log" in html
    assert len(embedded_pngs(html)) == 1


def test_a_browser_on_a_local_node_shares_its_machine_with_native_results():
    from webdlbench.report.environments import environment_key, machine_key

    local_node = {**SOFTWARE_GPU, "node": "http://127.0.0.1:5555", "driver": "grid"}
    assert machine_key(local_node) == machine_key(NATIVE) != machine_key(HARDWARE_GPU)
    assert environment_key(local_node, "browser") != environment_key(SOFTWARE_GPU, "browser")
    assert machine_key(HARDWARE_GPU) == (("node", "grid-node-2"),)


def test_a_failure_before_any_page_joins_its_runs_environment(tmp_path):
    ok, failed = Spec("tfjs", "cpu", "train", 1, 64), Spec("tfjs", "webgpu", "train", 1, 64)
    with Store.open(tmp_path / "s.sqlite") as store:
        run = store.start_run("quick", "test", [ok, failed])
        add_result(store, run, ok, SOFTWARE_GPU, train_batch_ms=[1.0] * 6)
        add_result(store, run, failed, {}, "unsupported", "no WebGPU adapter")
    index = build_report(tmp_path / "s.sqlite", tmp_path / "report")
    outcomes = pd.read_csv(index.parent / "outcomes.csv")
    assert outcomes["environment"].tolist() == ["B1"]
    assert "no train_batch_ms samples: no WebGPU adapter" in section_html(index.read_text(), "fig1")


def test_missing_store_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no results store"):
        build_report(tmp_path / "nothing.sqlite", tmp_path / "report")


def test_a_failed_check_is_listed_not_plotted(tmp_path):
    ok, wrong = Spec("tfjs", "cpu", "train", 1, 64), Spec("tfjs", "cpu", "train", 8, 256)
    with Store.open(tmp_path / "s.sqlite") as store:
        run = store.start_run("paper-training", "test", [ok, wrong])
        add_result(store, run, ok, SOFTWARE_GPU, train_batch_ms=[1.0] * 6)
        add_result(store, run, wrong, SOFTWARE_GPU, "check_failed", "loss did not fall: first batch 2.6, last 3 batches 2.7",
             train_batch_ms=[9.0] * 6)
    index = build_report(tmp_path / "s.sqlite", tmp_path / "report")
    fig1 = section_html(index.read_text(), "fig1")
    assert "not plotted: loss did not fall" in fig1 and "1 result(s) with samples but an outcome other than ok" in fig1
    assert len(pd.read_csv(index.parent / "fig1_train_batch_ms.csv")) == 2 and len(embedded_pngs(fig1)) == 1


def test_a_failed_gemm_peak_says_why(tmp_path):
    spec = Spec("tensorflow", "cpu", "train", 1, 64, runtime="native")
    with Store.open(tmp_path / "s.sqlite") as store:
        add_result(store, store.start_run("gap-quick", "test", [spec]), spec, NATIVE, train_batch_ms=[1.0] * 6,
             info={"gemm_peak": {"error": "ImportError: no BLAS"}})
    html = build_report(tmp_path / "s.sqlite", tmp_path / "report").read_text()
    assert "tried to measure it and failed (ImportError: no BLAS)" in section_html(html, "peak")


def test_surveys_are_stored_without_touching_older_stores(tmp_path):
    with Store.open(tmp_path / "s.sqlite") as store:
        assert store.latest_survey() is None  # no table yet: reading creates nothing
        tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "surveys" not in tables
        first = store.add_survey({"tfjs": {"title": "TensorFlow.js"}}, {"platform": "x"})
        second = store.add_survey({"convnetjs": {"title": "ConvNetJS"}})
        latest = store.latest_survey()
    assert second > first and latest["survey_id"] == second and list(latest["facts"]) == ["convnetjs"]


def test_figures_draw_deterministic_pngs():
    points = pd.DataFrame({"series": ["a", "a", "b"], "x": ["1×64", "2×64", "1×64"], "x_order": [1, 2, 1],
                           "group": [1, 2, 1], "median": [1.0, 2.0, 3.0], "ci_low": [0.5, 1.5, 2.5],
                           "ci_high": [1.5, 2.5, 3.5]})
    png = series_figure(points, title="t", ylabel="ms", log_y=True)
    assert png.startswith(b"\x89PNG") and png == series_figure(points, title="t", ylabel="ms", log_y=True)
    bars = bar_figure(points, title="t", ylabel="ms", log_y=True, xlabel="model")
    assert bars.startswith(b"\x89PNG") and bars != png


def test_quoted_ratios_apply_the_papers_conditions():
    from webdlbench.analysis import gap, paper
    from webdlbench.report.sections.gap import quoted_ratio

    def pair(depth, width, ratio, task="train", backend="cpu", pairing=gap.PAIRING_SAME):
        return {"network": "CNN", "backend_class": "gpu" if backend == "webgl" else "cpu", "task": task,
                "native_framework": "tensorflow", "browser_framework": "tfjs", "browser_backend": backend,
                "pairing": pairing, "depth": depth, "width": width, "ratio": ratio}

    rows = pd.DataFrame([pair(6, 800, 2500.0), pair(9, 800, 30.0), pair(6, 400, 4.0),
                         pair(15, 800, 1.2, "infer", "webgl"), pair(27, 800, 0.8, "infer", "webgl"),
                         pair(27, 800, 9.0, "infer", "webgl", gap.PAIRING_FALLBACK)])
    quoted = {q.key: q for q in paper.QUOTED_RATIOS}
    assert quoted_ratio(rows, quoted["cnn_cpu_max"], "tensorflow") == (2500.0, 1)   # depth < 7.5, width > 600
    assert quoted_ratio(rows, quoted["cnn_infer_gpu_large"], "tensorflow") == (pytest.approx(1.0), 2)  # no fallback
    value, count = quoted_ratio(rows, quoted["dnn_train_cpu"], "tensorflow")
    assert count == 0 and value != value  # NaN: no DNN rows


def test_table5_says_which_specs_ran_out_of_time_and_how_many_were_skipped():
    from webdlbench.report.sections.gap import out_of_time_notes

    def result(outcome, task, depth, width, model="cnn", info=None):
        return {"outcome": outcome, "model": model, "framework": "tfjs", "backend": "cpu", "task": task,
                "depth": depth, "width": width, "info": info or {}}
    results = pd.DataFrame([result("timeout", "train", 6, 200, info={"time_limit_s": 200.0}),
                            result("skipped", "train", 6, 400), result("skipped", "train", 9, 200),
                            result("ok", "infer", 6, 200), result("timeout", "train", 1, 64, model="mlp"),
                            result("error", "infer", 1, 224, model="keras:MobileNet")])
    notes = out_of_time_notes(results)
    assert notes[0] == ("DNN: 1 spec(s) ran out of time (tfjs/cpu train 1×64); 0 bigger one(s) of the same series "
                        "were skipped, not measured (see Outcomes other than ok).")
    assert notes[1].startswith("CNN: 1 spec(s) ran out of time (tfjs/cpu train 6×200 (200 s)); 2 bigger one(s)")
    assert len(notes) == 2  # nothing for RNN; the Keras applications are not Table 5's


def test_table5_cells_judge_each_row_by_the_native_backends_it_may_pair_with():
    from webdlbench.analysis.coverage import coverage_frame

    def result(runtime, framework, backend, outcome, task="train", depth=6, width=400):
        return {"runtime": runtime, "framework": framework, "backend": backend, "outcome": outcome,
                "model": "cnn", "task": task, "depth": depth, "width": width}
    results = pd.DataFrame([
        # 6×400 training: native CPU ran, native GPU is unsupported, the browser did not run it.
        result("native", "tensorflow", "cpu", "ok"), result("native", "tensorflow", "gpu", "unsupported"),
        # 15×200 training: native CPU failed, native GPU ran (the GPU row may pair with it, the CPU row not).
        result("native", "tensorflow", "cpu", "error", depth=15, width=200),
        result("native", "tensorflow", "gpu", "ok", depth=15, width=200)])
    cells = coverage_frame(results, pd.DataFrame(), "CNN").set_index(["backend", "task", "depth", "width"])
    assert tuple(cells.loc[("CPU", "training", 6, 400)][["status", "detail"]]) == ("native only", "no browser result")
    assert tuple(cells.loc[("GPU", "training", 6, 400)][["status", "detail"]]) == ("native only", "no browser result")
    assert tuple(cells.loc[("CPU", "training", 15, 200)][["status", "detail"]]) == ("failed", "native: error")
    assert tuple(cells.loc[("GPU", "training", 15, 200)][["status", "detail"]]) == ("native only", "no browser result")


def test_a_spec_measured_again_is_judged_by_its_latest_run_even_where_it_failed_before_fingerprinting():
    from webdlbench.report.data import latest_runs_only

    runs = pd.DataFrame({"run_id": ["first", "again", "other machine"]})  # ordered by start
    results = pd.DataFrame([
        {"result_id": 1, "run_id": "first", "spec_hash": "vgg", "env_id": None},       # killed: no environment
        {"result_id": 2, "run_id": "again", "spec_hash": "vgg", "env_id": "here"},     # measured after the fix
        {"result_id": 3, "run_id": "first", "spec_hash": "mlp", "env_id": None},       # never measured again
        {"result_id": 4, "run_id": "first", "spec_hash": "cnn", "env_id": "here"},
        {"result_id": 5, "run_id": "other machine", "spec_hash": "cnn", "env_id": "there"}])
    samples = pd.DataFrame({"result_id": [2, 4, 5], "value": [1.0, 2.0, 3.0]})
    kept, kept_samples = latest_runs_only(results, samples, runs)
    assert kept["result_id"].tolist() == [2, 3, 4, 5]  # each environment keeps its own latest run
    assert kept_samples["result_id"].tolist() == [2, 4, 5]


def test_figure5_marks_failures_in_their_series_and_lists_what_this_machine_cannot_run(tmp_path, monkeypatch):
    from webdlbench.report.sections import pretrained

    drawn = {}
    real_bar_figure = pretrained.bar_figure

    def recording_bar_figure(points, **kwargs):
        drawn.update(points=points, failed=kwargs["failed"])
        return real_bar_figure(points, **kwargs)

    monkeypatch.setattr(pretrained, "bar_figure", recording_bar_figure)
    mobilenet = dict(depth=1, width=224, model="keras:MobileNetV2")
    with Store.open(tmp_path / "s.sqlite") as store:
        run = store.start_run("paper-pretrained", "test", [])
        for threads in (1, 2):  # threads vary among the plotted series: their labels carry them
            add_result(store, run, Spec("tensorflow", "cpu", "infer", runtime="native", threads=threads, **mobilenet),
                       NATIVE, infer_ms=[20.0 / threads] * 6)
        add_result(store, run, Spec("tfjs", "wasm", "infer", **mobilenet), SOFTWARE_GPU, infer_ms=[50.0] * 6)
        add_result(store, run, Spec("tfjs", "wasm", "infer", 1, 299, model="keras:Xception"), SOFTWARE_GPU,
                   "error", "Error: Fields kernelInitializer ... are invalid for SeparableConv2D")
        add_result(store, run, Spec("pytorch", "gpu", "infer", runtime="native", **mobilenet), NATIVE,
                   "unsupported", "torch.cuda.is_available() is False; native GPU runs need CUDA")
    index = build_report(tmp_path / "s.sqlite", tmp_path / "report")
    rows = pd.read_csv(index.parent / "fig5_infer_ms.csv").set_index(["series", "model"])
    # The failed run is labelled as its series' bars are (threads 1), so it is drawn in that series' colour.
    assert rows.loc[("TensorFlow.js wasm threads 1", "keras:Xception"), "outcome"] == "error"
    assert rows.loc[("PyTorch (native) gpu threads 1", "keras:MobileNetV2"), "outcome"] == "unsupported"
    assert drawn["failed"].values.tolist() == [["TensorFlow.js wasm threads 1", "Xception"]]
    assert set(drawn["points"]["series"]) == {"TensorFlow.js wasm threads 1", "TensorFlow (native) cpu threads 1",
                                             "TensorFlow (native) cpu threads 2"}
    assert "listed here only" in section_html(index.read_text(), "fig5")
