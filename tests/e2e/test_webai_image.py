"""RQ4's image classifier end to end in real headless Chromium: keras:MobileNetV2's weights (96 px)
converted to ONNX and TFLite and run on LiteRT.js (wasm, WebGPU), ONNX Runtime Web and TF.js (wasm),
with native TFLite, ONNX Runtime and TensorFlow on the same files beside them; then the RQ4 report.
Every runtime either passes the output check against Keras's outputs or says, in its own words, why
it cannot run here."""
import csv
import shutil

import pytest

from tests.conftest import run_cli
from webdlbench.store import Store

pytestmark = pytest.mark.browser

SUITE = """
name = "web-ai-image-e2e"
description = "RQ4 image classifier, CI-sized: MobileNetV2 at 96 px on LiteRT.js, ORT Web, TF.js vs native"

[defaults]
model = "image:MobileNetV2"
samples = 5
sample_time_s = 0.25
warmup = 2
replicates = 2
max_replicates = 2
time_budget_s = 6

[[grid]]
framework = "litertjs"
backend = ["wasm", "webgpu"]
task = "classify"
width = 96

[[grid]]
framework = ["onnxruntime_web", "tfjs"]
backend = "wasm"
task = "classify"
width = 96

[[grid]]
runtime = "native"
framework = ["tflite", "onnxruntime", "tensorflow"]
backend = "cpu"
task = "classify"
width = 96
"""
BROWSER = {("litertjs", "wasm"), ("litertjs", "webgpu"), ("onnxruntime_web", "wasm"), ("tfjs", "wasm")}
# Where each runtime keeps the model for the second visit: its own cache, or the app's (the adapter's).
WARM_CACHE = {"litertjs": "webdlbench-litertjs-models", "onnxruntime_web": "webdlbench-onnxruntime-web-models"}


@pytest.fixture(scope="module")
def swept(artifacts_dir):
    folder = artifacts_dir / "web-ai"  # its cache (the converted models) is shared with the other RQ4 tests
    folder.mkdir(parents=True, exist_ok=True)
    suite = folder / "web-ai-image-e2e.toml"
    suite.write_text(SUITE)
    store = folder / "web-ai-image.sqlite"
    for stale in folder.glob("web-ai-image.sqlite*"):
        stale.unlink()
    done = run_cli("run", suite, "--store", store, timeout=1500)
    assert done.returncode == 0, done.stdout + done.stderr
    with Store.open(store, create=False) as opened:
        results, samples, envs = opened.frames()
    return {"store": store, "folder": folder, "results": results, "samples": samples, "envs": envs}


def test_every_runtime_classifies_like_keras_or_says_why_it_cannot(swept):
    results = swept["results"]
    assert len(results) == 7
    assert {(r.framework, r.backend) for r in results[results.runtime == "browser"].itertuples()} == BROWSER
    for r in results.itertuples():
        if r.outcome == "unsupported":  # in the runtime's own words, never a silent number
            assert r.framework == "litertjs" and r.backend == "webgpu" and "LiteRT.js" in r.error, r.error
            continue
        assert r.outcome == "ok", (r.framework, r.backend, r.error)
        assert r.checks["passed"] and r.checks["replicates_checked"] == 2 and r.checks["images_checked"] >= 2 * 9
        assert (r.checks["atol"], r.checks["rtol"]) == (1e-6, 1e-3)
        facts = r.info["model_facts"]
        assert facts["built_as"] == "keras:MobileNetV2" and facts["input_shape"] == [1, 96, 96, 3]
        # The check can fail: two photos' outputs differ by far more than the tolerance.
        assert r.info["reference_facts"]["cross_input_min_max_abs"] > 100 * r.checks["max_abs_error"]


def test_each_replicate_has_a_cold_and_a_warm_start_and_a_steady_state(swept):
    samples, results = swept["samples"], swept["results"]
    for r in results[results.outcome == "ok"].itertuples():
        mine = samples[samples.result_id == r.result_id]
        for metric in ("cold_load_ms", "first_infer_ms", "warm_load_ms", "infer_ms"):
            values = mine[mine.metric == metric]
            assert len(values) and (values.value > 0).all(), (r.framework, r.backend, metric)
            assert set(values.replicate) == {0, 1}, (r.framework, r.backend, metric)


def test_the_cold_visit_starts_empty_and_the_warm_one_from_the_cache(swept):
    results = swept["results"]
    for r in results[(results.runtime == "browser") & (results.outcome == "ok")].itertuples():
        cold, warm = r.info["cold_visit"], r.info
        assert cold["stored_before"]["cache_storage"] == {} and not cold["stored_before"]["indexeddb"], cold["stored_before"]
        if r.framework == "tfjs":  # TF.js's own IndexedDB model store
            assert not cold["backend_used"]["model_from_indexeddb"] and warm["backend_used"]["model_from_indexeddb"]
            assert warm["stored_before"]["indexeddb"], warm["stored_before"]
        else:
            assert WARM_CACHE[r.framework] in warm["stored_before"]["cache_storage"], warm["stored_before"]
            assert not cold["backend_used"]["model_from_cache_storage"] and warm["backend_used"]["model_from_cache_storage"]


def test_what_ran_is_recorded_on_every_result(swept):
    results = swept["results"]
    for r in results[results.outcome == "ok"].itertuples():
        used = r.info["backend_used"]
        assert used, (r.framework, r.backend)
        if r.runtime == "browser":
            assert used["wasm"]["cross_origin_isolated"] is True
        if r.framework == "litertjs":  # a WebGPU spec that LiteRT.js quietly ran on wasm would show here
            assert used["accelerator_requested"] == r.backend and used["accelerator"] in ("wasm", "webgpu")
            assert used["inputs"][0]["shape"] == [1, 96, 96, 3]
        elif r.framework == "tflite":
            assert used["runtime"].startswith("ai-edge-litert") and used["num_threads"] == r.threads
        elif r.framework == "tfjs":
            assert used["backend"] == "wasm"


def test_the_rq4_report_shows_the_image_classifier(swept):
    out = swept["folder"] / "report-image"
    shutil.rmtree(out, ignore_errors=True)
    done = run_cli("report", "--store", swept["store"], "--out", out)
    assert done.returncode == 0, done.stderr
    page = (out / "index.html").read_text()
    assert "RQ4: today" in page and "MobileNetV2 · 96 px" in page
    ratios = list(csv.DictReader((out / "rq4_native.csv").open()))
    assert {row["model"] for row in ratios} == {"image:MobileNetV2"}
    assert {"litertjs", "onnxruntime_web", "tfjs"} <= {row["browser_framework"] for row in ratios}
    assert {"tflite", "onnxruntime", "tensorflow"} <= {row["native_framework"] for row in ratios}
    assert all(float(row["ratio"]) > 0 and float(row["pct_of_native"]) > 0 for row in ratios)
