"""The whole pipeline in real headless Chromium: a user-written suite (shapes no built-in suite
has) through the real server into a temporary store, then export and report."""
import csv
import io
import json
import sqlite3

import pytest

from tests.conftest import run_cli
from webdlbench.store import Store

pytestmark = pytest.mark.browser

USER_SUITE = """
name = "e2e"
[defaults]
samples = 4
sample_time_s = 0  # exactly `samples` per replicate: the tests count them
warmup = 2
time_budget_s = 20

[[grid]]
framework = "tfjs"
backend = ["cpu", "wasm", "webgl", "webgpu"]
task = ["train", "infer"]
depth = 3
width = 32
batch = 16
page_loads = 2

[[grid]]
framework = "convnetjs"
backend = "cpu"
task = ["train", "infer"]
depth = 3
width = 32
batch = 16
page_loads = 2
"""


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    suite = folder / "user-suite.toml"
    suite.write_text(USER_SUITE)
    store = folder / "results" / "store.sqlite"
    done = run_cli("run", suite, "--store", store)
    assert done.returncode == 0, done.stdout + done.stderr
    with Store.open(store, create=False) as opened:
        results, samples, envs = opened.frames()
    return {"store": store, "folder": folder, "results": results, "samples": samples, "envs": envs, "cli": done}


def test_every_spec_is_measured_ok_with_its_check_passed(swept):
    results = swept["results"]
    assert len(results) == 10
    failures = results[results.outcome != "ok"][["framework", "backend", "task", "outcome", "error"]]
    assert failures.empty, failures.to_string()
    assert all(check["passed"] for check in results.checks)


def test_training_timings_are_positive_and_the_loss_fell(swept):
    results, samples = swept["results"], swept["samples"]
    for row in results[results.task == "train"].itertuples():
        mine = samples[samples.result_id == row.result_id]
        batches = mine[mine.metric == "train_batch_ms"].value
        assert len(batches) == 2 * 4 and (batches > 0).all()  # two replicates x four samples
        assert sorted(set(mine[mine.metric == "train_batch_ms"].replicate)) == [0, 1]
        # Warm-up ran until the timings settled (at least the suite's 2 batches), per replicate, recorded.
        replicates = row.info["replicates"]
        assert len(replicates) == 2 and all(r["warmup_calls"] >= 2 for r in replicates)
        warmups = mine[mine.metric == "train_warmup_ms"]
        assert len(warmups) == sum(r["warmup_calls"] for r in replicates) and (warmups.value > 0).all()
        assert all(r["block_calls"] >= 1 and 0 < r["timer_resolution_ms"] < 1 for r in replicates)
        assert row.checks["passed"] and row.info["sampling"]["replicates"] == 2


def test_inference_has_load_warmup_and_steady_state_and_matches_numpy(swept):
    results, samples = swept["results"], swept["samples"]
    for row in results[results.task == "infer"].itertuples():
        mine = samples[samples.result_id == row.result_id]
        for metric, count in (("load_ms", 2), ("warmup_ms", 2), ("infer_ms", 8), ("model_file_bytes", 1)):
            values = mine[mine.metric == metric].value
            assert len(values) == count and (values > 0).all(), (row.framework, row.backend, metric)
        assert row.checks["max_abs_error"] <= row.checks["atol"] and row.checks["compared"] == 8  # every reference digit
        assert row.checks["replicates_checked"] == 2
        # Cross-origin isolated pages have a 5 µs timer; a prediction shorter than ~100 ticks is timed
        # in blocks of k calls: no timed region is ever within a few ticks of the timer's resolution.
        for index, replicate in enumerate(row.info["replicates"]):
            assert replicate["timer_resolution_ms"] <= 0.1
            per_call = mine[(mine.metric == "infer_ms") & (mine.replicate == index)].value.median()
            assert per_call * replicate["block_calls"] >= 10 * replicate["timer_resolution_ms"]


def test_tfjs_loads_the_same_weights_from_binary_and_from_json(swept):
    """Finding 6's measurement: every TF.js inference spec, and no other, loads its model both ways."""
    results, samples = swept["results"], swept["samples"]
    for row in results[results.task == "infer"].itertuples():
        mine = samples[samples.result_id == row.result_id]
        counts = {m: len(mine[mine.metric == m]) for m in ("load_binary_ms", "load_json_ms", "model_json_bytes",
                                                             "model_binary_bytes")}
        if row.framework != "tfjs":
            assert not any(counts.values()), (row.framework, counts)
            continue
        assert counts == {"load_binary_ms": 6, "load_json_ms": 6, "model_json_bytes": 1, "model_binary_bytes": 1}
        size = {m: mine[mine.metric == m].value.iloc[0] for m in ("model_json_bytes", "model_binary_bytes",
                                                                   "model_file_bytes")}
        assert size["model_binary_bytes"] == size["model_file_bytes"] < size["model_json_bytes"]
        assert (mine[mine.metric.isin(["load_binary_ms", "load_json_ms"])].value > 0).all()


def test_resources_and_environment_are_recorded(swept):
    samples, envs = swept["samples"], swept["envs"]
    assert {"cpu_renderer_pct", "rss_renderer_peak_bytes", "js_heap_used_bytes"} <= set(samples.metric)
    env = next(iter(envs.values()))
    assert env["webgl_renderer"] and env["cross_origin_isolated"] is True
    assert env["browser_version"] and env["library_versions"]["tfjs"] == "4.22.0"
    assert "webgpu_adapter" in env  # recorded even when absent (null)


def test_the_store_is_consistent(swept):
    with sqlite3.connect(swept["store"]) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT status FROM runs").fetchone()[0] == "finished"


def test_export_has_the_summary_columns(swept):
    done = run_cli("export", "--store", swept["store"], "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    columns = {"framework", "backend", "task", "model", "depth", "width", "batch", "metric", "unit", "n",
               "median", "ci_low", "ci_high", "outcome"}
    assert columns <= set(rows[0])
    infer = [r for r in rows if r["metric"] == "infer_ms" and r["framework"] == "tfjs" and r["backend"] == "cpu"]
    assert len(infer) == 1 and float(infer[0]["median"]) > 0 and int(infer[0]["n"]) == 8
    raw = run_cli("export", "--store", swept["store"], "--format", "json", "--raw")
    assert raw.returncode == 0 and len(json.loads(raw.stdout)) == len(swept["samples"])


def test_report_is_written(swept, artifacts_dir):
    out = artifacts_dir / "e2e-report"
    done = run_cli("report", "--store", swept["store"], "--out", out)
    assert done.returncode == 0, done.stderr
    html = (out / "index.html").read_text()
    assert "Figure 1" in html and "data:image/png;base64," in html and "SwiftShader" in html


def test_env_command_reports_the_page_fingerprint():
    done = run_cli("env", "--format", "json")
    assert done.returncode == 0, done.stderr
    env = json.loads(done.stdout)
    assert env["webgl_renderer"] and env["cross_origin_isolated"] is True and env["wasm_simd"] is True
    assert env["page_library_versions"]["tfjs"] == "4.22.0"
