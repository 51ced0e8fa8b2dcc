"""The static report built from a real store (webdlbench.report): every table and figure of the
paper, the paper's numbers beside ours, the findings judged, several environments side by side,
and a section that says which suite fills it wherever data is missing."""
import base64
import re

import pandas as pd
import pytest

from webdlbench.commands.survey import store_survey
from webdlbench.errors import UserError
from webdlbench.report.build import build_report
from webdlbench.report.plots import bar_figure, series_figure
from webdlbench.spec import Spec, SpecResult
from webdlbench.store import Store

PARTS = ["RQ1", "RQ2", "RQ3", "Findings", "Environment and method"]
SECTIONS = ["Table 1", "Figure 1", "Table 2", "Table 3", "Figure 2", "Figure 3", "Figure 4", "Call-stack depth",
            "Table 4", "Figure 5", "Table 5", "Figure 6", "Browser / native time ratios", "Achieved GFLOP/s",
            "Table 6", "Environments", "How it was measured", "Runs, suites and sample counts",
            "Outcomes other than ok"]
MACHINE = {"cpu_model": "Test CPU 9000", "cpu_count": 4, "platform": "Linux-test"}
SOFTWARE_GPU = {
    **MACHINE, "browser_version": "156.0.1", "driver": "local",
    "webgl_renderer": "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)",
    "webgpu_adapter": {"vendor": "google", "architecture": "swiftshader", "is_fallback": True,
                       "max_buffer_size": 1 << 30},
    "cross_origin_isolated": True, "wasm_simd": True, "wasm_threads": True,
    "library_versions": {"tfjs": "4.22.0"}, "odd_new_key": "kept",
}
# A remote Selenium Grid node: its driver knows the node, not the machine's CPU.
HARDWARE_GPU = {**SOFTWARE_GPU, "webgl_renderer": "ANGLE (NVIDIA, Vulkan 1.4 (NVIDIA H200 (0x2335)), NVIDIA)",
                "webgpu_adapter": {"vendor": "nvidia", "architecture": "", "is_fallback": False,
                                   "max_buffer_size": 4 << 30}, "node": "grid-node-2", "driver": "grid",
                "cpu_model": None, "cpu_count": None, "platform": None}
NATIVE = {**MACHINE, "runtime": "native", "tensorflow_version": "2.21.0"}
PEAK = {"gflops": 50.0, "method": "best of 10", "cpu_model": "Test CPU 9000", "blas": "openblas"}
ERROR = "TypeError: Cannot read properties of undefined (reading 'dataSync') at <anonymous>:1"
OOM = "GL OUT OF MEMORY: Requested texture size [16384x16384] greater than WebGL maximum on this browser"
GRID = [(d, w) for d in (1, 2) for w in (64, 128)]
FACTS = {"params_trainable": 2_223_872, "params_total": 2_257_984, "flops": 6_100_000, "keras_model_bytes": 9_400_000,
         "flops_method": "profiler"}


def _add(store, run, spec, environment, outcome="ok", error="", info=None, **metrics):
    result = SpecResult(spec, outcome, error=error, environment=environment, info=info or {})
    for metric, values in metrics.items():
        result.add(metric, values)
    store.add_result(run, result)


# A suite is run once, with three replicates of every spec (a fresh page or process each), their
# timings a little apart, so that comparisons have replicates to test; failures are stored once.
# (A report counts a spec's latest run only: replicates spread over runs would not be pooled.)
REPLICATE_FACTORS = (0.98, 1.0, 1.02)


class _Replicates:
    """Stands in for the store while a run is filled: a spec added again becomes the next replicate
    of its first result; `flush` stores each result once."""

    def __init__(self, store):
        self.store, self.kept = store, {}

    def __getattr__(self, name):
        return getattr(self.store, name)

    def add_result(self, run, result):
        if result.spec.spec_hash not in self.kept:
            self.kept[result.spec.spec_hash] = [run, result, 1]
            return
        entry = self.kept[result.spec.spec_hash]
        for metric, values in result.metrics.items():
            entry[1].add(metric, values, replicate=entry[2])
        entry[2] += 1

    def flush(self):
        for run, result, _ in self.kept.values():
            self.store.add_result(run, result)


def _runs(store, suite, driver, fill, *args, **kwargs):
    run, collected = store.start_run(suite, driver, []), _Replicates(store)
    for replicate, factor in enumerate(REPLICATE_FACTORS):
        fill(collected, run, *args, factor=factor, first=replicate == 0, **kwargs)
    collected.flush()


def _browser(store, run, environment, slow=1.0, factor=1.0, first=True):
    def _replicated(store, run, spec, environment, info=None, **metrics):
        _add(store, run, spec, environment, info=info,
             **{m: [v * factor for v in values] if m.endswith("_ms") else values
                for m, values in metrics.items()})

    for fw, backend in (("tfjs", "cpu"), ("tfjs", "webgl"), ("convnetjs", "cpu")):
        speed = {"tfjs": 2.0, "convnetjs": 1.0}[fw] * slow
        for depth, width in GRID:
            size = depth * width * width / 4096
            _replicated(store, run, Spec(fw, backend, "train", depth, width), environment,
                        train_batch_ms=[speed * size * (1 + j / 100) for j in range(10)],
                        cpu_renderer_pct=[90, 100, 110], cpu_gpu_pct=[10, 20, 30],
                        max_stack_depth=[50 if fw == "tfjs" else 8])
            spec = Spec(fw, backend, "infer", depth, width)
            if (fw, backend, depth, width) == ("tfjs", "webgl", 2, 128):
                if first:
                    _add(store, run, spec, environment, "error", ERROR)
                continue
            json_factor = 7 if fw == "convnetjs" else 1
            _replicated(store, run, spec, environment,
                        load_ms=[size * 5 * json_factor, size * 6 * json_factor, size * 7 * json_factor] * 2,
                        warmup_ms=[size * 9] * 6, infer_ms=[size / 10 + j / 1000 for j in range(8)],
                        model_file_bytes=[100_000 * width * json_factor])
    _replicated(store, run, Spec("tfjs", "webgl", "infer", 1, 96, model="keras:MobileNetV2"), environment,
                infer_ms=[30.0 + j for j in range(8)], model_file_bytes=[14_000_000], info={"model_facts": FACTS})
    if first:
        _add(store, run, Spec("tfjs", "webgl", "infer", 1, 224, model="keras:VGG16"), environment, "error", OOM)


NATIVE_LOAD = {"start": 1.0, "end": 1.4, "cpus": 2}  # what the native run recorded; the browser run recorded none


def _native(store, run, factor=1.0, first=True):
    def _replicated(store, run, spec, environment, info=None, **metrics):
        _add(store, run, spec, environment, info={**(info or {}), "machine_load": NATIVE_LOAD},
             **{m: [v * factor for v in values] for m, values in metrics.items()})
    for depth, width in GRID:
        size = depth * width * width / 4096
        _replicated(store, run, Spec("tensorflow", "cpu", "train", depth, width, runtime="native"), NATIVE,
                    train_batch_ms=[size / 10 + j / 1000 for j in range(20)], info={"gemm_peak": PEAK})
        _replicated(store, run, Spec("tensorflow", "cpu", "infer", depth, width, runtime="native"), NATIVE,
                    infer_ms=[size / 50 + j / 10000 for j in range(20)], info={"gemm_peak": PEAK})
    _replicated(store, run, Spec("tensorflow", "cpu", "infer", 1, 96, model="keras:MobileNetV2", runtime="native"),
                NATIVE, infer_ms=[60.0 + j for j in range(8)], info={"model_facts": FACTS})


def _one_environment(path):
    with Store.open(path) as store:
        _runs(store, "paper-training", "test", _browser, SOFTWARE_GPU)
        _runs(store, "gap-quick", "test", _native)
    return path


@pytest.fixture
def store_path(tmp_path):
    return _one_environment(tmp_path / "store.sqlite")


def _pngs(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def _section(html: str, key: str) -> str:
    return html.split(f'<section id="{key}">', 1)[1].split("</section>", 1)[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    index = build_report(_one_environment(folder / "store.sqlite"), folder / "report")
    return {"dir": index.parent, "html": index.read_text(), "md": (index.parent / "report.md").read_text()}


def test_every_part_and_section_heading_is_there(built):
    for heading in PARTS:
        assert re.search(rf"<h2>{heading}\b", built["html"]) and re.search(rf"^## {heading}\b", built["md"], re.M)
    for heading in SECTIONS:
        assert re.search(rf"<h3>{re.escape(heading)}", built["html"]), heading
        assert re.search(rf"^### {re.escape(heading)}", built["md"], re.M), heading


def test_figures_are_embedded_and_written_beside(built):
    pngs = _pngs(built["html"])
    # Figures 1-4, Figure 5, and one decision tree (DNN over TensorFlow).
    assert len(pngs) == 6 and all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in pngs)
    for name in ("fig1", "fig2", "fig3", "fig4", "fig5", "fig6_b1_dnn_tensorflow"):
        assert f"]({name}.png)" in built["md"] and (built["dir"] / f"{name}.png").is_file()
    assert "not tested here" not in _section(built["html"], "fig5")


def test_report_is_self_contained(built):
    html = built["html"]
    assert not re.search(r"<(link|iframe|object|embed)\b", html) and not re.search(r"<script[^>]*\ssrc=", html)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html and "fetch(" not in html


def test_figure_data_matches_the_store(built):
    out = built["dir"]
    fig1 = pd.read_csv(out / "fig1_train_batch_ms.csv")
    assert len(fig1) == 16 and set(fig1["environment"]) == {"B1", "N1"}  # native beside the browser
    assert set(fig1[fig1["runtime"] == "browser"]["n"]) == {30}  # 3 replicates of 10 samples
    point = fig1[(fig1["framework"] == "convnetjs") & (fig1["config"] == "2×128")].iloc[0]
    assert point["median"] == pytest.approx(8 * 1.045, rel=0.01)  # 8 * (1.00 .. 1.09), replicates ±2%
    assert point["ci_low"] <= point["median"] <= point["ci_high"]
    table3 = pd.read_csv(out / "table3_model_file_size.csv")
    tfjs = table3[table3["framework"] == "tfjs"]
    assert set(tfjs["bytes"]) == {6_400_000, 12_800_000} and set(tfjs["paper_mb"]) == {0.2, 0.4, 0.5}
    cpu = pd.read_csv(out / "table2_cpu_utilisation.csv")
    renderer = cpu[cpu["metric"] == "cpu_renderer_pct"]
    assert set(renderer["max"]) == {110} and set(renderer["min"]) == {90} and set(renderer["mean"]) == {100}
    stack = pd.read_csv(out / "stack_depth.csv").set_index("framework")
    assert stack.loc["convnetjs", "deepest"] == 8 and stack.loc["convnetjs", "paper"] == 3


def test_the_papers_numbers_stand_beside_ours(built):
    html = built["html"]
    assert "CPU: 108.0 / 61.0 / 82.1" in _section(html, "table2")      # Table 2, TF.js CPU
    assert "WebGL/WebGPU ran on SwiftShader here" in _section(html, "table2")
    assert "iGPU: 82.0 / 54.9 / 65.9; nGPU: 75.9 / 48.0 / 60.0" in _section(html, "table2")
    assert "TensorFlow.js 2018 (MB)" in _section(html, "table3") and "ConvNetJS 2018 (MB)" in _section(html, "table3")
    assert "9453" in _section(html, "table1")                             # Table 1, as printed
    table4 = _section(html, "table4")
    assert "MobileNetV2, 96 px input" in table4 and "14.0" in table4 and "GL OUT OF MEMORY" in table4
    models = pd.read_csv(built["dir"] / "table4_models.csv").set_index("model")
    mobilenet = models.loc["keras:MobileNetV2"]
    assert mobilenet["params"] == 2_223_872 and mobilenet["paper_params_m"] == 3.5
    assert models.loc["keras:VGG16", "runs"] == "TensorFlow.js/webgl: error"
    fig5 = pd.read_csv(built["dir"] / "fig5_infer_ms.csv")
    assert sorted(fig5["series"]) == ["TensorFlow (native) cpu", "TensorFlow.js webgl", "TensorFlow.js webgl"]
    assert fig5.set_index("model").loc["keras:VGG16", "outcome"] == "error"  # a failure is listed, and marked
    assert "44.7" in _section(html, "ratios") and "33.9" in _section(html, "ratios")
    assert "1, 2, 4, 8, 16" in _section(html, "table5")
    relative = pd.read_csv(built["dir"] / "fig1_relative_to_convnetjs.csv").set_index("backend")
    assert relative.loc["cpu", "geometric_mean_ratio"] == pytest.approx(2.0)
    assert relative.loc["cpu", "paper"] == "2x–3x" and relative.loc["cpu", "slower"] == 4  # tested, 4 models
    assert relative.loc["webgl", "paper"] == "–"


def test_survey_store_refuses_a_bad_store_before_probing(tmp_path):
    from tests.conftest import run_cli

    done = run_cli("survey", "--store", tmp_path, "--skip-pipeline", timeout=120)
    assert done.returncode == 2 and "is a directory" in done.stderr and "survey:" not in done.stderr


def test_ratios_trees_and_peak_come_from_the_store(built):
    ratios = pd.read_csv(built["dir"] / "ratios.csv")
    row = ratios[(ratios["task"] == "train") & (ratios["browser_framework"] == "tfjs")
                 & (ratios["browser_backend"] == "cpu") & (ratios["depth"] == 1)
                 & (ratios["width"] == 64)].iloc[0]
    assert row["ratio"] == pytest.approx(2 * 1.045 / (1 / 10 + 0.0095), rel=0.01)
    assert row["comparison"].startswith("browser is slower than native by ")  # tested over 3 replicates
    assert row["ratio_ci_method"].startswith("Welch's t") and row["ratio_ci_low"] < row["ratio"] < row["ratio_ci_high"]
    cells = pd.read_csv(built["dir"] / "table5_cells.csv")
    assert set(cells["network"]) == {"DNN"} and len(cells) == 80 and (cells["status"] == "ran").sum() == 15
    failed = cells[cells["status"] == "failed"]
    assert failed[["backend", "task", "depth", "width", "detail"]].values.tolist() == [
        ["GPU", "inference", 2, 128, "browser: error"]]
    assert "DNN: 15 of 80 cells ran; 1 failed, 64 not run" in _section(built["html"], "table5")
    importances = pd.read_csv(built["dir"] / "fig6_importances.csv")
    assert importances["network"].tolist() == ["DNN"] and importances["rows"].iloc[0] == 15
    # TF.js cpu and webgl take the same time here (SwiftShader), so the task is what splits first.
    assert importances["min_leaf"].iloc[0] == 5 and importances["root"].iloc[0] == "task_train <= 0.5"
    assert importances["task_train_ci_low"].iloc[0] <= importances["task_train"].iloc[0] <= 1
    peak = pd.read_csv(built["dir"] / "peak_efficiency.csv")
    assert peak["peak_gflops"].eq(50.0).all() and "50.0 GFLOP/s" in _section(built["html"], "peak")


def test_findings_are_judged_from_the_data_with_rules_and_evidence(built):
    found = pd.read_csv(built["dir"] / "findings.csv").set_index("number")
    assert len(found) == 8 and set(found["environment"]) == {"B1"}
    assert found.loc[7, "verdict"] == "holds"            # stacks 50 vs 8, ConvNetJS trains 2x faster
    assert found.loc[3, "verdict"] == "partly tested"    # MLPs hold; integrated vs standalone GPU not here
    assert "MLPs: 11 of 11 specs" in found.loc[3, "how"]  # tfjs/webgl 2x128 failed
    assert found.loc[6, "verdict"] == "not tested here" and "model_json_bytes" in found.loc[6, "fill"]
    assert found.loc[2, "verdict"] == "not tested here"  # 2 depths x 2 widths: too few models for a fit
    assert found.loc[1, "verdict"] == "not tested here" and "survey --store" in found.loc[1, "fill"]
    assert found.loc[5, "verdict"] == "not tested here" and "SwiftShader" in found.loc[5, "how"]
    table6 = _section(built["html"], "table6")
    assert table6.count('class="finding"') == 8 and table6.count("<strong>Rule:</strong>") == 8
    assert 'href="#stack"' in table6 and "95% CI" in table6
    assert "#### Finding 8: System Resource Utilization" in built["md"]


def test_every_timing_carries_n_and_ci(built):
    html = built["html"]
    for key in ("fig1", "fig2", "fig3", "fig4", "fig5"):
        assert "95% CI of median (ms)" in _section(html, key) and "<th scope=\"col\">n</th>" in _section(html, key)
    assert re.search(r'title="3 replicates, n = 30, 95% CI [\d.]+–[\d.]+ ms', _section(html, "ratios"))
    for header in ("Renderer max (%)", "(MB)", "Deepest (frames)", "GFLOP/s"):
        assert header in html


def test_failures_environment_and_plain_statements(built):
    html = built["html"]
    assert "TypeError: Cannot read properties of undefined (reading &#39;dataSync&#39;) at &lt;anonymous&gt;:1" in html
    assert "no load_ms samples" in _section(html, "fig2")
    env = _section(html, "environment")
    assert "SwiftShader: software rendering" in env and "WebGPU fell back to a software adapter" in env
    assert "Test CPU 9000" in env and "odd_new_key" in env and "tfjs: 4.22.0" in env
    outcomes = pd.read_csv(built["dir"] / "outcomes.csv")
    assert sorted(outcomes["error"]) == sorted([ERROR, OOM])
    runs = _section(html, "runs")
    assert "paper-training" in runs and "gap-quick" in runs
    training, gap = (runs.split(suite, 1)[1].split("</tr>", 1)[0] for suite in ("paper-training", "gap-quick"))
    assert "1.2 (1.2–1.2) on 2 CPUs" in gap and "on 2 CPUs" not in training


def test_a_stored_survey_regenerates_table1_and_judges_finding1(store_path, tmp_path):
    from tests.test_survey import _facts

    facts = {name: _facts(name) for name in ("tfjs", "convnetjs", "brainjs")}
    store_survey(store_path, facts, "/usr/bin/chromium")
    with Store.open(store_path, create=False) as store:
        assert store.latest_survey()["facts"] == facts
    index = build_report(store_path, tmp_path / "report")
    table1 = _section(index.read_text(), "table1")
    assert "Version installed" in table1 and "No survey stored" not in table1 and "· 2018: 49" in table1
    found = pd.read_csv(index.parent / "findings.csv").set_index("number")
    assert found.loc[1, "verdict"] in ("holds", "differs")  # judged: every probed framework lacks CNN (synthetic)


def test_several_environments_stand_side_by_side(tmp_path):
    path = tmp_path / "two.sqlite"
    with Store.open(path) as store:
        _runs(store, "quick", "test", _browser, SOFTWARE_GPU)
        _runs(store, "quick", "grid", _browser, HARDWARE_GPU, slow=3.0)
        _runs(store, "gap-quick", "test", _native)
    index = build_report(path, tmp_path / "report")
    html, out = index.read_text(), index.parent
    fig1 = pd.read_csv(out / "fig1_train_batch_ms.csv")
    assert set(fig1["environment"]) == {"B1", "B2", "N1"} and len(fig1) == 28
    assert {"TensorFlow.js cpu @B1", "TensorFlow.js cpu @B2"} <= set(fig1["series"])
    b1 = fig1[(fig1["series"] == "ConvNetJS cpu @B1") & (fig1["config"] == "1×64")]["median"].iloc[0]
    b2 = fig1[(fig1["series"] == "ConvNetJS cpu @B2") & (fig1["config"] == "1×64")]["median"].iloc[0]
    assert b2 == pytest.approx(3 * b1)  # never pooled across environments
    found = pd.read_csv(out / "findings.csv")
    assert sorted(set(found["environment"])) == ["B1", "B2"] and len(found) == 16
    assert "Verdict @B1" in html and "Verdict @B2" in html
    ratios = pd.read_csv(out / "ratios.csv")
    assert set(ratios["environment"]) == {"B1"}  # B2 runs on another node: no native result on its machine
    env = _section(html, "environment")
    b2_table = env.split("<caption>B2:", 1)[1].split("</table>", 1)[0]
    assert "grid-node-2" in b2_table and "SwiftShader" not in b2_table and "NVIDIA H200" in b2_table
    assert env.count('<p class="note">The WebGL renderer is SwiftShader: software rendering') == 1  # B1's only


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
        section = _section(html, key)
        assert 'class="empty"' in section and suite in section, key
    assert _pngs(html) == []
    found = pd.read_csv(index.parent / "findings.csv")
    assert (found["verdict"] == "not tested here").all() and found["fill"].str.len().gt(0).all()
    assert "9453" in _section(html, "table1") and "1, 2, 4, 8, 16" in _section(html, "table5")
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
        _add(store, store.start_run("quick", "test", [spec]), spec, SOFTWARE_GPU,
             train_batch_ms=[0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
        # A store written before times had to be > 0 (limits.py) may hold zeros: the report still copes.
        store.conn.execute("UPDATE samples SET value = 0 WHERE metric = 'train_batch_ms' AND idx < 2")
    html = build_report(tmp_path / "s.sqlite", tmp_path / "report").read_text()
    assert "The y axis is linear, not log" in html
    assert len(_pngs(html)) == 1


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
        _add(store, run, ok, SOFTWARE_GPU, train_batch_ms=[1.0] * 6)
        _add(store, run, failed, {}, "unsupported", "no WebGPU adapter")
    index = build_report(tmp_path / "s.sqlite", tmp_path / "report")
    outcomes = pd.read_csv(index.parent / "outcomes.csv")
    assert outcomes["environment"].tolist() == ["B1"]
    assert "no train_batch_ms samples: no WebGPU adapter" in _section(index.read_text(), "fig1")


def test_missing_store_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no results store"):
        build_report(tmp_path / "nothing.sqlite", tmp_path / "report")


def test_a_failed_check_is_listed_not_plotted(tmp_path):
    ok, wrong = Spec("tfjs", "cpu", "train", 1, 64), Spec("tfjs", "cpu", "train", 8, 256)
    with Store.open(tmp_path / "s.sqlite") as store:
        run = store.start_run("paper-training", "test", [ok, wrong])
        _add(store, run, ok, SOFTWARE_GPU, train_batch_ms=[1.0] * 6)
        _add(store, run, wrong, SOFTWARE_GPU, "check_failed", "loss did not fall: first batch 2.6, last 3 batches 2.7",
             train_batch_ms=[9.0] * 6)
    index = build_report(tmp_path / "s.sqlite", tmp_path / "report")
    fig1 = _section(index.read_text(), "fig1")
    assert "not plotted: loss did not fall" in fig1 and "1 result(s) with samples but an outcome other than ok" in fig1
    assert len(pd.read_csv(index.parent / "fig1_train_batch_ms.csv")) == 2 and len(_pngs(fig1)) == 1


def test_a_failed_gemm_peak_says_why(tmp_path):
    spec = Spec("tensorflow", "cpu", "train", 1, 64, runtime="native")
    with Store.open(tmp_path / "s.sqlite") as store:
        _add(store, store.start_run("gap-quick", "test", [spec]), spec, NATIVE, train_batch_ms=[1.0] * 6,
             info={"gemm_peak": {"error": "ImportError: no BLAS"}})
    html = build_report(tmp_path / "s.sqlite", tmp_path / "report").read_text()
    assert "tried to measure it and failed (ImportError: no BLAS)" in _section(html, "peak")


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
