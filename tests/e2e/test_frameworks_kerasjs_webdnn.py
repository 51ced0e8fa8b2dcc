"""Keras.js and WebDNN in real headless Chromium: every backend on a tiny inference spec, the model
files written by our Python writers from the shared weights, outputs checked against numpy."""
import pytest

from tests.conftest import run_cli
from webdlbench.frameworks.kerasjs import writer as kerasjs_writer
from webdlbench.frameworks.webdnn import writer as webdnn_writer
from webdlbench.models import mlp, mnist
from webdlbench.store import Store

pytestmark = pytest.mark.browser

SAMPLES = 3
SUITE = f"""
name = "e2e-kerasjs-webdnn"
[defaults]
samples = {SAMPLES}
sample_time_s = 0  # exactly `samples` per replicate: the tests count them
page_loads = 1
time_budget_s = 20

[[grid]]
framework = "kerasjs"
backend = ["cpu", "webgl"]
task = "infer"
depth = 1
width = 16

[[grid]]
framework = "webdnn"
backend = ["webgl", "fallback", "webassembly", "webgpu"]
task = "infer"
depth = 1
width = 16
"""
RUNS_HERE = [("kerasjs", "cpu"), ("kerasjs", "webgl"), ("webdnn", "webgl"), ("webdnn", "fallback")]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kerasjs-webdnn")
    suite = folder / "suite.toml"
    suite.write_text(SUITE)
    store = folder / "store.sqlite"
    done = run_cli("run", suite, "--store", store)
    assert done.returncode == 0, done.stdout + done.stderr
    with Store.open(store, create=False) as opened:
        frame, samples, _ = opened.frames()
    return {(row.framework, row.backend): (row, samples[samples.result_id == row.result_id])
            for row in frame.itertuples()}


@pytest.mark.parametrize("framework,backend", RUNS_HERE)
def test_inference_runs_and_matches_numpy(results, framework, backend):
    row, samples = results[(framework, backend)]
    assert row.outcome == "ok", row.error
    assert row.checks["passed"] and row.checks["compared"] == mnist.REFERENCE_COUNT  # every reference digit
    assert row.checks["max_abs_error"] <= row.checks["atol"] and row.checks["warmup_max_abs_error"] <= row.checks["atol"]
    for metric, count in (("load_ms", 1), ("warmup_ms", 1), ("infer_ms", SAMPLES)):
        values = samples[samples.metric == metric].value
        assert len(values) == count and (values > 0).all(), metric


def test_keras_js_ran_in_the_mode_asked_for(results):
    assert results[("kerasjs", "cpu")][0].info["gpu"] is False
    assert results[("kerasjs", "webgl")][0].info["gpu"] is True


def test_keras_js_loaded_the_file_our_writer_wrote(results):
    row, samples = results[("kerasjs", "cpu")]
    size = len(kerasjs_writer.encode(mlp.make_weights(1, 16, seed=row.seed)))
    assert row.info["model_files"] == {kerasjs_writer.MODEL_FILE: size}
    assert samples[samples.metric == "model_file_bytes"].value.tolist() == [size]


def test_webdnn_ran_the_backend_asked_for(results):
    for backend in ("webgl", "fallback"):
        row, _ = results[("webdnn", backend)]
        assert row.info["backend"] == backend and row.info["backend_availability"][backend] is True
        assert set(webdnn_writer.DESCRIPTOR_FILES[backend]) <= set(row.info["model_files"])


def test_webdnn_webgpu_is_apple_webmetal_and_the_browser_says_no(results):
    row, _ = results[("webdnn", "webgpu")]
    assert row.outcome in ("unsupported", "error")
    assert "WebMetal" in row.error  # the browser's own words, e.g. "This browser does not support WebMetal"


def test_webdnn_webassembly_needs_emscripten(results):
    row, _ = results[("webdnn", "webassembly")]
    reason = webdnn_writer.webassembly_unavailable_reason()
    if reason:
        assert row.outcome == "unsupported" and reason in row.error
    else:  # emscripten installed: the descriptor was compiled and must run like the others
        assert row.outcome == "ok" and row.checks["passed"], row.error
