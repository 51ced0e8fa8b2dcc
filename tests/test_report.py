"""The static report built from a real store (webdlbench.report)."""
import base64
import re

import pandas as pd
import pytest

from webdlbench.errors import UserError
from webdlbench.report.build import FIGURES, build_report
from webdlbench.report.plots import series_figure
from webdlbench.spec import Spec, SpecResult
from webdlbench.store import Store

HEADINGS = ["Figure 1", "Table 2", "Table 3", "Figure 2", "Figure 3", "Figure 4", "Environment", "Outcomes"]
ENVIRONMENT = {
    "browser_version": "HeadlessChrome/131.0.6778.33",
    "webgl_renderer": "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)",
    "webgpu_adapter": None, "cross_origin_isolated": True, "wasm_simd": True, "wasm_threads": 4,
    "cpu_model": "Test CPU 9000", "library_versions": {"@tensorflow/tfjs": "4.22.0"}, "odd_new_key": "kept",
}
ERROR = "TypeError: Cannot read properties of undefined (reading 'dataSync') at <anonymous>:1"


def _add(store, run, spec, outcome="ok", error="", **metrics):
    result = SpecResult(spec, outcome, error=error, environment=ENVIRONMENT)
    for metric, values in metrics.items():
        result.add(metric, values)
    store.add_result(run, result)


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "store.sqlite"
    specs = [Spec(fw, backend, task, depth, width) for fw, backend in (("tfjs", "webgl"), ("convnetjs", "cpu"))
             for task in ("train", "infer") for depth in (1, 2) for width in (64, 128)]
    with Store.open(path) as store:
        run = store.start_run("quick", "test", specs)
        for i, spec in enumerate(specs):
            scale = spec.depth * spec.width / 64
            if spec.task == "train":
                _add(store, run, spec, train_batch_ms=[scale * (1 + j / 100) for j in range(10)],
                     cpu_renderer_pct=[90, 100, 110], cpu_gpu_pct=[10, 20, 30])
            elif spec.backend == "webgl" and spec.depth == 2 and spec.width == 128:
                _add(store, run, spec, "error", ERROR)
            else:
                _add(store, run, spec, load_ms=[scale * 5, scale * 6, scale * 7], warmup_ms=[scale * 9] * 3,
                     infer_ms=[scale / 10 + j / 1000 for j in range(8)], model_file_bytes=[1_234_567 * scale])
    return path


def _pngs(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def test_report_has_every_section_figure_and_data_file(store_path, tmp_path):
    index = build_report(store_path, tmp_path / "report")
    html = index.read_text()
    markdown = (index.parent / "report.md").read_text()
    for heading in HEADINGS:
        assert re.search(rf"<h2>{heading}\b", html) and re.search(rf"^## {heading}\b", markdown, re.M)
    pngs = _pngs(html)
    assert len(pngs) == 4 and all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in pngs)
    for spec in FIGURES.values():
        assert f"]({spec.key}.png)" in markdown and (index.parent / f"{spec.key}.png").is_file()
    assert "No data yet" not in html


def test_report_is_self_contained(store_path, tmp_path):
    html = build_report(store_path, tmp_path / "report").read_text()
    assert not re.search(r"<(script|link)\b", html)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html


def test_figure_data_matches_the_store(store_path, tmp_path):
    out = tmp_path / "report"
    build_report(store_path, out)
    fig1 = pd.read_csv(out / "fig1_train_batch_ms.csv")
    assert len(fig1) == 8 and set(fig1["n"]) == {10}
    point = fig1[(fig1["framework"] == "convnetjs") & (fig1["config"] == "2×128")].iloc[0]
    assert point["median"] == pytest.approx(4 * 1.045)  # median of 4 * (1.00 .. 1.09)
    assert point["ci_low"] <= point["median"] <= point["ci_high"]
    table3 = pd.read_csv(out / "table3_model_file_size.csv")
    assert set(table3["bytes"]) == {1_234_567, 2_469_134, 4_938_268}
    cpu = pd.read_csv(out / "table2_cpu_utilisation.csv")
    renderer = cpu[cpu["metric"] == "cpu_renderer_pct"]
    assert set(renderer["max"]) == {110} and set(renderer["min"]) == {90} and set(renderer["mean"]) == {100}


def test_failures_environment_and_units_are_shown(store_path, tmp_path):
    index = build_report(store_path, tmp_path / "report")
    html = index.read_text()
    assert "TypeError: Cannot read properties of undefined (reading &#39;dataSync&#39;) at &lt;anonymous&gt;:1" in html
    assert html.count("no load_ms samples") == 1  # the failed spec is listed where its point is missing
    assert "SwiftShader: software rendering" in html
    assert "No WebGPU adapter" in html and "Test CPU 9000" in html and "odd_new_key" in html
    assert "@tensorflow/tfjs: 4.22.0" in html
    for header in ("median (ms)", "95% CI of median (ms)", "Renderer max (%)", "(MB)", "(bytes)"):
        assert header in html
    outcomes = pd.read_csv(index.parent / "outcomes.csv")
    assert outcomes["error"].tolist() == [ERROR]


def test_empty_store_says_which_suite_fills_each_section(tmp_path):
    Store.open(tmp_path / "empty.sqlite").close()
    index = build_report(tmp_path / "empty.sqlite", tmp_path / "report")
    html = index.read_text()
    for heading in HEADINGS:
        section = html.split(f"<h2>{heading}", 1)[1].split("<h2>", 1)[0]
        assert "webdlbench run quick" in section, heading
    for key in ("fig1", "table2"):
        assert "paper-training" in html.split(f'id="{key}"', 1)[1].split("</section>", 1)[0]
    for key in ("fig2", "fig3", "fig4", "table3"):
        assert "paper-inference" in html.split(f'id="{key}"', 1)[1].split("</section>", 1)[0]
    assert _pngs(html) == []
    assert (index.parent / "report.md").read_text().count("webdlbench run quick") >= len(HEADINGS)
    assert list(pd.read_csv(index.parent / "fig1_train_batch_ms.csv").columns)[:2] == ["series", "config"]


def test_log_axis_falls_back_to_linear_for_zero_times(tmp_path):
    spec = Spec("tfjs", "cpu", "train", 1, 64)
    with Store.open(tmp_path / "s.sqlite") as store:
        _add(store, store.start_run("quick", "test", [spec]), spec, train_batch_ms=[0.0, 0.0, 0.1, 0.1, 0.1, 0.1])
    html = build_report(tmp_path / "s.sqlite", tmp_path / "report").read_text()
    assert "The y axis is linear, not log" in html
    assert len(_pngs(html)) == 1


def test_missing_store_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no results store"):
        build_report(tmp_path / "nothing.sqlite", tmp_path / "report")


def test_figure_draws_a_png_per_series_layout():
    points = pd.DataFrame({"series": ["a", "a", "b"], "x": ["1×64", "2×64", "1×64"], "x_order": [1, 2, 1],
                           "group": [1, 2, 1], "median": [1.0, 2.0, 3.0], "ci_low": [0.5, 1.5, 2.5],
                           "ci_high": [1.5, 2.5, 3.5]})
    png = series_figure(points, title="t", ylabel="ms", log_y=True)
    assert png.startswith(b"\x89PNG") and png == series_figure(points, title="t", ylabel="ms", log_y=True)


def test_figure_of_failed_specs_lists_them_and_the_suite(tmp_path):
    spec = Spec("tfjs", "webgpu", "infer", 1, 64)
    with Store.open(tmp_path / "s.sqlite") as store:
        _add(store, store.start_run("quick", "test", [spec]), spec, "unsupported", "no WebGPU adapter")
    html = build_report(tmp_path / "s.sqlite", tmp_path / "report").read_text()
    fig2 = html.split('id="fig2"', 1)[1].split("</section>", 1)[0]
    assert "paper-inference" in fig2 and "no load_ms samples" in fig2 and "unsupported" in fig2
    assert _pngs(html) == []
