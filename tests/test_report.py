"""The static report built from a real store (webdlbench.report): every table and figure of the
paper, the paper's numbers beside ours, the findings judged, and several environments side by side
(the store: tests/report_store.py; an empty store, failures and figures: tests/test_report_cases.py)."""
import re

import pandas as pd
import pytest

from tests.report_store import (  # noqa: F401 (store_path: a fixture, used by name)
    ERROR, HARDWARE_GPU, OOM, SOFTWARE_GPU, browser_results, embedded_pngs,
    fill_runs, native_results, one_environment_store, section_html, store_path)
from webdlbench.commands.survey import store_survey
from webdlbench.report.build import build_report
from webdlbench.store import Store

PARTS = ["RQ1", "RQ2", "RQ3", "Findings", "Environment and method"]
SECTIONS = ["Table 1", "Figure 1", "Table 2", "Table 3", "Figure 2", "Figure 3", "Figure 4", "Call-stack depth",
            "Table 4", "Figure 5", "Table 5", "Figure 6", "Browser / native time ratios", "Achieved GFLOP/s",
            "Table 6", "Environments", "How it was measured", "Runs, suites and sample counts",
            "Outcomes other than ok"]
@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    index = build_report(one_environment_store(folder / "store.sqlite"), folder / "report")
    return {"dir": index.parent, "html": index.read_text(), "md": (index.parent / "report.md").read_text()}


def test_every_part_and_section_heading_is_there(built):
    for heading in PARTS:
        assert re.search(rf"<h2>{heading}\b", built["html"]) and re.search(rf"^## {heading}\b", built["md"], re.M)
    for heading in SECTIONS:
        assert re.search(rf"<h3>{re.escape(heading)}", built["html"]), heading
        assert re.search(rf"^### {re.escape(heading)}", built["md"], re.M), heading


def test_figures_are_embedded_and_written_beside(built):
    pngs = embedded_pngs(built["html"])
    # Figures 1-4, Figure 5, and one decision tree (DNN over TensorFlow).
    assert len(pngs) == 6 and all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in pngs)
    for name in ("fig1", "fig2", "fig3", "fig4", "fig5", "fig6_b1_dnn_tensorflow"):
        assert f"]({name}.png)" in built["md"] and (built["dir"] / f"{name}.png").is_file()
    assert "not tested here" not in section_html(built["html"], "fig5")


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
    assert "CPU: 108.0 / 61.0 / 82.1" in section_html(html, "table2")      # Table 2, TF.js CPU
    assert "WebGL/WebGPU ran on SwiftShader here" in section_html(html, "table2")
    assert "iGPU: 82.0 / 54.9 / 65.9; nGPU: 75.9 / 48.0 / 60.0" in section_html(html, "table2")
    assert "TensorFlow.js 2018 (MB)" in section_html(html, "table3") and "ConvNetJS 2018 (MB)" in section_html(html, "table3")
    assert "9453" in section_html(html, "table1")                             # Table 1, as printed
    table4 = section_html(html, "table4")
    assert "MobileNetV2, 96 px input" in table4 and "14.0" in table4 and "GL OUT OF MEMORY" in table4
    models = pd.read_csv(built["dir"] / "table4_models.csv").set_index("model")
    mobilenet = models.loc["keras:MobileNetV2"]
    assert mobilenet["params"] == 2_223_872 and mobilenet["paper_params_m"] == 3.5
    assert models.loc["keras:VGG16", "runs"] == "TensorFlow.js/webgl: error"
    fig5 = pd.read_csv(built["dir"] / "fig5_infer_ms.csv")
    assert sorted(fig5["series"]) == ["TensorFlow (native) cpu", "TensorFlow.js webgl", "TensorFlow.js webgl"]
    assert fig5.set_index("model").loc["keras:VGG16", "outcome"] == "error"  # a failure is listed, and marked
    assert "44.7" in section_html(html, "ratios") and "33.9" in section_html(html, "ratios")
    assert "1, 2, 4, 8, 16" in section_html(html, "table5")
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
    assert "DNN: 15 of 80 cells ran; 1 failed, 64 not run" in section_html(built["html"], "table5")
    importances = pd.read_csv(built["dir"] / "fig6_importances.csv")
    assert importances["network"].tolist() == ["DNN"] and importances["rows"].iloc[0] == 15
    # TF.js cpu and webgl take the same time here (SwiftShader), so the task is what splits first.
    assert importances["min_leaf"].iloc[0] == 5 and importances["root"].iloc[0] == "task_train <= 0.5"
    assert importances["task_train_ci_low"].iloc[0] <= importances["task_train"].iloc[0] <= 1
    peak = pd.read_csv(built["dir"] / "peak_efficiency.csv")
    assert peak["peak_gflops"].eq(50.0).all() and "50.0 GFLOP/s" in section_html(built["html"], "peak")


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
    table6 = section_html(built["html"], "table6")
    assert table6.count('class="finding"') == 8 and table6.count("<strong>Rule:</strong>") == 8
    assert 'href="#stack"' in table6 and "95% CI" in table6
    assert "#### Finding 8: System Resource Utilization" in built["md"]


def test_every_timing_carries_n_and_ci(built):
    html = built["html"]
    for key in ("fig1", "fig2", "fig3", "fig4", "fig5"):
        assert "95% CI of median (ms)" in section_html(html, key) and "<th scope=\"col\">n</th>" in section_html(html, key)
    assert re.search(r'title="3 replicates, n = 30, 95% CI [\d.]+–[\d.]+ ms', section_html(html, "ratios"))
    for header in ("Renderer max (%)", "(MB)", "Deepest (frames)", "GFLOP/s"):
        assert header in html


def test_failures_environment_and_plain_statements(built):
    html = built["html"]
    assert "TypeError: Cannot read properties of undefined (reading &#39;dataSync&#39;) at &lt;anonymous&gt;:1" in html
    assert "no load_ms samples" in section_html(html, "fig2")
    env = section_html(html, "environment")
    assert "SwiftShader: software rendering" in env and "WebGPU fell back to a software adapter" in env
    assert "Test CPU 9000" in env and "odd_new_key" in env and "tfjs: 4.22.0" in env
    outcomes = pd.read_csv(built["dir"] / "outcomes.csv")
    assert sorted(outcomes["error"]) == sorted([ERROR, OOM])
    runs = section_html(html, "runs")
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
    table1 = section_html(index.read_text(), "table1")
    assert "Version installed" in table1 and "No survey stored" not in table1 and "· 2018: 49" in table1
    found = pd.read_csv(index.parent / "findings.csv").set_index("number")
    assert found.loc[1, "verdict"] in ("holds", "differs")  # judged: every probed framework lacks CNN (synthetic)


def test_several_environments_stand_side_by_side(tmp_path):
    path = tmp_path / "two.sqlite"
    with Store.open(path) as store:
        fill_runs(store, "quick", "test", browser_results, SOFTWARE_GPU)
        fill_runs(store, "quick", "grid", browser_results, HARDWARE_GPU, slow=3.0)
        fill_runs(store, "gap-quick", "test", native_results)
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
    env = section_html(html, "environment")
    b2_table = env.split("<caption>B2:", 1)[1].split("</table>", 1)[0]
    assert "grid-node-2" in b2_table and "SwiftShader" not in b2_table and "NVIDIA H200" in b2_table
    assert env.count('<p class="note">The WebGL renderer is SwiftShader: software rendering') == 1  # B1's only
