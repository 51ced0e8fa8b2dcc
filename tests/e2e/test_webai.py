"""RQ4 end to end in real headless Chromium: `webdlbench run web-ai-quick` (the encoder on
transformers.js and ONNX Runtime Web on wasm, WebGPU and WebNN, native ONNX Runtime and PyTorch beside
them; the 15M Llama on transformers.js and wllama, PyTorch's generate beside them, and the same Llama
quantised to Q8_0 on wllama, checked by PyTorch forced along its generations, and the encoder in
transformers.js's q8 dtype; MobileNetV2 at 96 px
on LiteRT.js, ONNX Runtime Web and TF.js, native TFLite and ONNX Runtime beside them), then export and
report. Every runtime either passes its check or says, in its own words, why it cannot run here."""
import csv
import io
import shutil

import pytest

from tests.conftest import run_cli
from webdlbench.store import Store

pytestmark = pytest.mark.browser

# This browser has no WebNN (shared/docs/ENVIRONMENT.md): ONNX Runtime Web says so itself.
UNSUPPORTED_HERE = {("onnxruntime_web", "webnn"): "WebNN is not supported"}
# Where a runtime keeps the image classifier for the second visit when it has no cache of its own:
# the app's (the adapter's) Cache Storage. TF.js keeps it in its IndexedDB model store.
APP_CACHE = {"litertjs": "webdlbench-litertjs-models", "onnxruntime_web": "webdlbench-onnxruntime-web-models"}


@pytest.fixture(scope="module")
def swept(artifacts_dir):
    folder = artifacts_dir / "web-ai"  # its cache (the built models) is kept between runs
    store = folder / "web-ai-quick.sqlite"
    for stale in folder.glob("web-ai-quick.sqlite*"):
        stale.unlink()
    done = run_cli("run", "web-ai-quick", "--store", store, timeout=1500)
    assert done.returncode == 0, done.stdout + done.stderr
    with Store.open(store, create=False) as opened:
        results, samples, envs = opened.frames()
    return {"store": store, "folder": folder, "results": results, "samples": samples, "envs": envs, "cli": done}


def test_every_runtime_passes_its_check_or_says_why_it_cannot_run(swept):
    results = swept["results"]
    assert len(results) == 18
    for r in results.itertuples():
        words = UNSUPPORTED_HERE.get((r.framework, r.backend))
        if words:
            assert r.outcome == "unsupported" and words in r.error, (r.framework, r.backend, r.error)
            continue
        assert r.outcome == "ok", (r.framework, r.backend, r.task, r.error)
        assert r.checks["passed"] and r.checks["replicates_checked"] == 2
        if r.model.endswith("-q8"):  # transformers.js's q8 file: nearer its own input's than two inputs are
            assert r.info["backend_used"]["sessions"]["model"]["config"]["dtype"] == "q8"
            assert list(r.info["model_files"])[-1] == "onnx/model_quantized.onnx"
            assert r.checks["cross_input_max_cosine"] < r.checks["min_cosine"] < 1
        elif r.task == "embed":
            assert r.checks["min_cosine"] >= 0.999
            assert r.checks["cross_input_max_cosine"] < 0.999  # other inputs' embeddings would fail it
        elif r.task == "classify":  # every class within 1e-6 + 1e-3 x |Keras's output|, every image
            assert (r.checks["atol"], r.checks["rtol"]) == (1e-6, 1e-3) and r.checks["images_checked"] >= 2 * 9
            # The check can fail: two photos' outputs differ by far more than the tolerance.
            assert r.info["reference_facts"]["cross_input_min_max_abs"] > 100 * r.checks["max_abs_error"]
            assert r.info["model_facts"]["built_as"] == "keras:MobileNetV2"
        elif r.model.endswith("-q8_0"):  # quantised: fp32 forced along its generations, the agreement reported
            assert r.checks["tokens_each"] == 128 and r.checks["forced_by"] == "pytorch fp32"
            assert 0.25 <= r.checks["top1_agreement"] < 1 and r.info["weight_type"] == "q8_0"  # < 1: not fp32's file
            assert list(r.info["model_files"]) == ["model-q8_0.gguf"]
        else:  # every generation, both visits, all 128 greedy tokens equal PyTorch's
            assert r.checks["tokens_each"] == 128 and r.checks["generations_checked"] >= 2 * 3


def test_each_replicate_has_a_cold_and_a_warm_start_and_a_steady_state(swept):
    samples, results = swept["samples"], swept["results"]
    for r in results[results.outcome == "ok"].itertuples():
        mine = samples[samples.result_id == r.result_id]
        steady = ("infer_ms",) if r.task in ("embed", "classify") else ("ttft_ms", "prefill_tok_s", "decode_tok_s")
        for metric in ("cold_load_ms", "first_infer_ms", "warm_load_ms", *steady):
            values = mine[mine.metric == metric]
            assert len(values) and (values.value > 0).all(), (r.framework, r.backend, metric)
            assert set(values.replicate) == {0, 1}, (r.framework, r.backend, metric)


def test_the_cold_visit_starts_empty_and_the_warm_one_from_the_runtimes_cache(swept):
    results = swept["results"]
    browser = results[(results.runtime == "browser") & (results.outcome == "ok")]
    assert len(browser) == 12
    for r in browser.itertuples():
        cold, warm = r.info["cold_visit"], r.info
        assert cold["stored_before"]["cache_storage"] == {}, (r.framework, cold["stored_before"])
        assert not cold["stored_before"]["indexeddb"], (r.framework, cold["stored_before"])
        if r.framework == "wllama":  # its own cache lives in the origin-private file system
            assert cold["stored_before"]["opfs"] == [] and warm["stored_before"]["opfs"], warm["stored_before"]
            continue
        if r.framework == "tfjs":  # TF.js's own IndexedDB model store
            assert not cold["backend_used"]["model_from_indexeddb"] and warm["backend_used"]["model_from_indexeddb"]
            assert warm["stored_before"]["indexeddb"], warm["stored_before"]
            continue
        if r.framework == "litertjs" or r.task == "classify":
            assert APP_CACHE[r.framework] in warm["stored_before"]["cache_storage"], warm["stored_before"]
        assert sum(warm["stored_before"]["cache_storage"].values()) > 0, (r.framework, warm["stored_before"])
        if r.framework in APP_CACHE:  # the adapter's own cache, as an app keeps one
            assert not cold["backend_used"]["model_from_cache_storage"]
            assert warm["backend_used"]["model_from_cache_storage"]
        else:  # transformers.js keeps its files itself
            assert "transformers-cache" in warm["stored_before"]["cache_storage"]


def test_what_ran_is_recorded_on_every_result(swept):
    results, envs = swept["results"], swept["envs"]
    for r in results[results.outcome == "ok"].itertuples():
        used = r.info["backend_used"]
        assert used, (r.framework, r.backend)
        if r.framework == "wllama":
            assert used["cross_origin_isolated"] is True and used["threads"] == r.threads
        elif r.runtime == "browser":
            assert used["wasm"]["cross_origin_isolated"] is True
        if r.backend == "webgpu":
            assert envs[r.env_id]["webgpu_adapter"]["architecture"], "the adapter a WebGPU result ran on"
        if r.framework == "transformersjs":
            assert {s["config"]["device"] for s in used["sessions"].values()} == {r.backend}
        if r.framework == "onnxruntime_web":
            assert used["session_options"]["executionProviders"] == [r.backend]
        if r.framework == "litertjs":  # a WebGPU spec that LiteRT.js quietly ran on wasm would show here
            assert used["accelerator_requested"] == r.backend and used["accelerator"] in ("wasm", "webgpu")
            assert used["inputs"][0]["shape"] == [1, 96, 96, 3]
        if r.framework == "tflite":
            assert used["runtime"].startswith("ai-edge-litert") and used["num_threads"] == r.threads
        if r.framework == "tfjs":
            assert used["backend"] == r.backend


def test_export_and_the_rq4_report_carry_the_numbers(swept):
    exported = run_cli("export", "--store", swept["store"], "--format", "csv")
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    metrics = {row["metric"] for row in rows}
    assert {"cold_load_ms", "warm_load_ms", "first_infer_ms", "infer_ms", "ttft_ms", "decode_tok_s"} <= metrics
    out = swept["folder"] / "report"
    shutil.rmtree(out, ignore_errors=True)
    done = run_cli("report", "--store", swept["store"], "--out", out)
    assert done.returncode == 0, done.stderr
    page = (out / "index.html").read_text()
    assert "RQ4: today" in page and "Figure R1" in page and "SwiftShader" in page
    ratios = list(csv.DictReader((out / "rq4_native.csv").open()))
    assert ratios and all(float(row["ratio"]) > 0 for row in ratios)
    crossover = list(csv.DictReader((out / "rq4_crossover.csv").open()))
    assert {row["browser_framework"] for row in crossover} == {"transformersjs", "onnxruntime_web", "litertjs"}
    assert "MobileNetV2 · 96 px" in page and {"litertjs", "tfjs"} <= {row["browser_framework"] for row in ratios}
    assert "tflite" in {row["native_framework"] for row in ratios}
    assert "under forced decoding" in page  # Table R4: the quantised Llama's agreement with fp32
    backends = list(csv.DictReader((out / "rq4_backends.csv").open()))
    assert any("WebNN is not supported" in row["error"] for row in backends)
