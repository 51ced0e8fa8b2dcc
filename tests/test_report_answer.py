"""The report's answer first (verdict.py's ranking per task and model, tested rows, a recommendation
per task, a banner when a GPU backend ran on SwiftShader), no path of this machine anywhere in it,
and figures built to stay legible (few series per panel, ticks that never overlap, trees in words)."""
import math
import re
from pathlib import Path

import pandas as pd
import pytest

# `built`: test_report's report of one browser and native environment, built once per module.
from tests.report_store import HARDWARE_GPU, SOFTWARE_GPU, add_result, browser_results, fill_runs, native_results
from tests.test_report import built  # noqa: F401 (a fixture, used by name)
from webdlbench.report.build import build_report
from webdlbench.report.plots import MAX_SERIES, _series_rows, _ticks, series_figure
from webdlbench.report.redact import redact
from webdlbench.spec import Spec
from webdlbench.store import Store


def _li(html: str, title: str) -> str:
    """The recommendation line of one task and model."""
    return re.search(rf'<li><span class="task">{re.escape(title)}</span>(.*?)</li>', html).group(1)


def _table(html: str, caption_start: str) -> str:
    return html.split(f"<caption>{caption_start}", 1)[1].split("</table>", 1)[0]


def test_the_answer_comes_first_then_the_paper(built):
    html = built["html"]
    headings = re.findall(r"<h2>([^<]+)</h2>", html)
    assert headings[0] == "The answer: what runs fastest here" and headings[1].startswith("RQ1")
    # The paper's part is announced as its own, after the answer; the findings' glance is there, not on top.
    assert html.index('id="answer"') < html.index('class="division-title">The paper, re-judged') < html.index('id="rq1"')
    assert html.index("1 holds") > html.index('id="answer"')
    assert built["md"].index("## The answer") < built["md"].index("# The paper, re-judged") < built["md"].index("## RQ1")


def test_each_task_and_model_gets_a_recommendation_tested_over_replicates(built):
    html = built["html"]
    line = _li(html, "train, mlp 1x64, batch 64")
    # ConvNetJS trains twice as fast as TF.js here, native TensorFlow about 10x faster than both.
    assert "<strong>in this browser: convnetjs/cpu</strong>" in line
    assert re.search(r"convnetjs/cpu is faster than tfjs/cpu by [\d.]+–[\d.]+×", line)
    assert re.search(r"convnetjs/cpu is slower than native tensorflow/cpu by [\d.]+–[\d.]+×", line)
    assert line.endswith("WebGL ran on a software GPU here</span>")
    # Identical replicates on both sides: the recommendation does not claim a difference.
    assert "no significant difference between" in _li(html, "infer, mlp 1x64")
    assert "nothing here was measured ok" in _li(html, "infer, VGG16")  # the failure is said, not hidden
    assert "* train, mlp 1x64, batch 64: **in this browser: convnetjs/cpu**;" in built["md"]


def test_every_option_is_ranked_with_ratios_and_its_own_test(built):
    table = _table(built["html"], "train, mlp 1x64, batch 64: time per training batch (ms), ranked by median")
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]
    assert [c[1] for c in cells] == ["native tensorflow/cpu", "convnetjs/cpu", "tfjs/cpu", "tfjs/webgl"]
    assert [c[0] for c in cells] == ["1", "2", "3", "4"] and cells[0][5] == "1.00×" and cells[0][7] == "fastest"
    native = float(cells[0][2])
    assert float(cells[1][2]) / native == pytest.approx(float(cells[1][5].rstrip("×")), rel=0.01)
    assert cells[1][6] == cells[1][5]  # native is the fastest: × vs native is × vs fastest
    assert re.match(r"slower than native tensorflow/cpu by [\d.]+–[\d.]+×$", cells[2][7])
    assert "on a software GPU (SwiftShader)" in cells[3][8] and "software GPU" not in cells[1][8]
    low, high = (float(v) for v in cells[1][3].split(" – "))
    assert low <= float(cells[1][2]) <= high and cells[1][4] == "3"  # CI over the 3 replicates


def test_a_software_gpu_raises_a_banner_and_a_hardware_one_does_not(built, tmp_path):
    banner = re.findall(r'<p class="banner" role="alert">(.*?)</p>', built["html"])
    assert banner == ["WebGL ran on a software GPU (SwiftShader): its times measure the CPU, not a graphics card, "
                      "and a machine with a GPU may rank them very differently."]
    assert "> **Warning:** WebGL ran on a software GPU (SwiftShader)" in built["md"]
    with Store.open(tmp_path / "gpu.sqlite") as store:
        fill_runs(store, "quick", "grid", browser_results, HARDWARE_GPU)
    html = build_report(tmp_path / "gpu.sqlite", tmp_path / "report").read_text()
    assert 'class="banner"' not in html and "in this browser: convnetjs/cpu" in html


def test_several_browsers_get_an_answer_each(tmp_path):
    with Store.open(tmp_path / "two.sqlite") as store:
        fill_runs(store, "quick", "test", browser_results, SOFTWARE_GPU)
        fill_runs(store, "quick", "grid", browser_results, HARDWARE_GPU, slow=3.0)
        fill_runs(store, "gap-quick", "test", native_results)
    html = build_report(tmp_path / "two.sqlite", tmp_path / "report").read_text()
    assert 'id="answer-b1"' in html and 'id="answer-b2"' in html
    b1 = html.split('id="answer-b1"', 1)[1].split('id="answer-b2"', 1)[0]
    b2 = html.split('id="answer-b2"', 1)[1].split('id="rq1"', 1)[0]
    assert "native tensorflow/cpu" in b1 and "native tensorflow/cpu" not in b2  # B2 is another machine
    assert re.findall(r'<p class="banner" role="alert">([^<]*)', html)[0].startswith("WebGL ran on a software GPU "
                                                                                     "(SwiftShader) in B1:")


def test_no_path_of_this_machine_appears_anywhere(tmp_path):
    home = str(Path.home())
    store_path = tmp_path / "deep" / "folder" / "mine.sqlite"
    store_path.parent.mkdir(parents=True)
    fingerprint = {**SOFTWARE_GPU, "browser_executable": "/opt/browsers/chromium-156/chrome",
                   "browser_flags": [f"--user-data-dir={tmp_path}/profile", "--enable-unsafe-webgpu"],
                   "cache_dir": f"{home}/.cache/webdlbench/models"}
    spec, broken = Spec("tfjs", "cpu", "train", 1, 64), Spec("tfjs", "wasm", "train", 1, 64)
    with Store.open(store_path) as store:
        run = store.start_run("quick", "test", [spec, broken])
        add_result(store, run, spec, fingerprint, train_batch_ms=[1.0, 1.1, 0.9] * 2)
        add_result(store, run, broken, fingerprint, "error",
             f"Error: ENOENT: no such file '{tmp_path}/deep/weights.bin' at load ({home}/lib/webdlbench/page.js:3:9)")
    out = tmp_path / "report"
    index = build_report(store_path, out)
    written = {f.name: f.read_text() for f in out.iterdir() if f.suffix in (".html", ".md", ".csv")}
    for name, text in written.items():
        for path in (str(tmp_path), home, "/opt/browsers"):
            assert path not in text, (name, path)
    html = index.read_text()
    assert "<code>mine.sqlite</code>" in html and ">chrome<" in html and "--user-data-dir=profile" in html
    assert "no such file &#39;weights.bin&#39; at load (page.js:3:9)" in html


def test_redaction_keeps_what_is_not_a_path():
    kept = "tfjs cpu/webgl, 1/2 of ms/step at http://127.0.0.1:8000/a/b.js:3 (<code>x</code>)"
    assert redact(kept) == kept
    assert redact("data:image/png;base64,AAAA/usr/bin/xx") == "data:image/png;base64,AAAA/usr/bin/xx"
    assert redact(r"C:\Users\me\chrome.exe and file:///tmp/a/index.html") == "chrome.exe and index.html"


# -- figures ------------------------------------------------------------------------------------------------
def _many_series(count: int, families=("In the browser: CPU backends", "In the browser: GPU backends", "Native")):
    rows = []
    for s in range(count):
        for depth in (1, 2, 4):
            for width in (64, 128, 256, 512):
                rows.append({"series": f"framework {s:02d}", "facet": families[s * len(families) // count],
                             "runtime": "native" if s * len(families) // count == 2 else "browser",
                             "x": f"{depth}×{width}", "tick": str(width), "group": depth, "panel": f"{depth} layers",
                             "x_order": depth * 10_000 + width, "median": (s + 1) * width / 64,
                             "ci_low": (s + 1) * width / 70, "ci_high": (s + 1) * width / 60})
    return pd.DataFrame(rows)


def test_seventeen_series_are_split_into_rows_of_at_most_eight_by_family():
    points = _many_series(17)
    rows = _series_rows(points)
    assert all(len(members) <= MAX_SERIES for _, members in rows) and len(rows) >= 3
    placed = [s for _, members in rows for s in members]
    assert sorted(placed) == sorted(set(points["series"])) and len(placed) == 17  # each once
    facet = dict(zip(points["series"], points["facet"]))
    for title, members in rows:  # a row's title names every family in it
        assert all(facet[s].split(":")[-1].strip() in title for s in members), title
    assert _series_rows(_many_series(5)) == [("series 1 of 1", [f"framework {i:02d}" for i in range(5)])]


def test_crowded_tick_labels_are_rotated_and_thinned():
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    _ticks(ax, ["1024"] * 4, room_in=2.0)
    assert [t.get_rotation() for t in ax.get_xticklabels()] == [0] * 4
    labels = [f"{d}×{w}" for d in (1, 2, 4, 8, 16) for w in (64, 128, 256, 512)]
    _ticks(ax, labels, room_in=2.0)
    shown = [t.get_text() for t in ax.get_xticklabels()]
    assert len(shown) == 20 and 0 < sum(bool(s) for s in shown) < 20
    assert all(t.get_rotation() == 45 for t in ax.get_xticklabels())


def test_a_crowded_figure_draws_one_titled_panel_per_depth_and_row():
    from PIL import Image
    import io

    png = series_figure(_many_series(17), title="Figure 4", ylabel="ms", log_y=True, xlabel="width")
    width, height = Image.open(io.BytesIO(png)).size
    assert width == 960 and height > 3 * 290  # three rows of panels, not one panel of 17 lines


def test_trees_are_said_in_words():
    from tests.test_gap import synthetic_ratios
    from webdlbench.analysis import gap
    from webdlbench.report.trees import leaf_rules

    tree = gap.fit_trees(synthetic_ratios(noise=0.05))[0]
    rules = leaf_rules(tree)
    assert sum(r["samples"] for r in rules) == tree.rows
    paths = [r["path"] for r in rules]
    assert paths[:2] == ["CPU backend · inference", "CPU backend · training"]  # backend first, then task
    assert not any("<=" in p or "_" in p for p in paths)
    slowest = max(rules, key=lambda r: r["ratio"])
    assert slowest["path"] == "CPU backend · training" and not math.isnan(slowest["ratio"])
