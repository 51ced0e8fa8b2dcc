"""brain.js, synaptic, ONNX Runtime Web and Mind in real headless Chromium, through `webdlbench run`:
tiny train/infer specs with their checks (loss falls, outputs equal numpy), GPU modes recorded as
outcomes, synaptic's time budget honoured, and Mind (not on npm) from the bundle built at setup or a
--lib build."""
import subprocess

import pytest

from tests.conftest import run_cli
from webdlbench import frameworks
from webdlbench.frameworks.mind import bundle as mind_bundle
from webdlbench.paths import NODE_MODULES
from webdlbench.store import Store

pytestmark = pytest.mark.browser

SAMPLES, WARMUP = 4, 2
SUITE = f"""
name = "e2e-frameworks-more"
[defaults]
samples = {SAMPLES}
sample_time_s = 0  # exactly `samples` per replicate: the tests count them
warmup = {WARMUP}
page_loads = 1
time_budget_s = 60

[[grid]]
framework = ["brainjs", "synaptic"]
backend = "cpu"
task = ["train", "infer"]
depth = 1
width = 16
batch = 64

[[grid]]
framework = "brainjs"
backend = "webgl"
task = "train"
depth = 1
width = 16
batch = 64

[[grid]]
framework = "onnxruntime_web"
backend = ["wasm", "webgpu"]
task = "infer"
depth = 1
width = 16

[[grid]]
framework = "mind"
backend = "cpu"
task = ["train", "infer"]
depth = 2
width = 16
batch = 64
"""
MIND_SUITE = """
name = "e2e-mind-lib"
[defaults]
samples = 3
warmup = 1
page_loads = 1
time_budget_s = 60
[[grid]]
framework = "mind"
backend = "cpu"
task = ["train", "infer"]
depth = 1
width = 16
batch = 64
"""
# synaptic needs ~30 ms per batch here: 500 batches cannot fit in a 1 s budget.
BUDGET_SUITE = """
name = "e2e-synaptic-budget"
[[grid]]
framework = "synaptic"
backend = "cpu"
task = "train"
depth = 1
width = 16
batch = 64
warmup = 1
samples = 500
replicates = 1
max_replicates = 1
time_budget_s = 1
"""


def _sweep(folder, text, *options):
    suite = folder / "suite.toml"
    suite.write_text(text)
    store = folder / "store.sqlite"
    done = run_cli("run", suite, "--store", store, *options)
    assert done.returncode == 0, done.stdout + done.stderr
    with Store.open(store, create=False) as opened:
        frame, samples, envs = opened.frames()
    return {(row.framework, row.backend, row.task): (row, samples[samples.result_id == row.result_id],
                                                     envs.get(row.env_id) or {})
            for row in frame.itertuples()}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return _sweep(tmp_path_factory.mktemp("frameworks-more"), SUITE)


def _values(samples, metric):
    return samples[samples.metric == metric].value


@pytest.mark.parametrize("framework", ["brainjs", "synaptic"])
def test_training_runs_online_updates_and_the_loss_falls(results, framework):
    row, samples, _ = results[(framework, "cpu", "train")]
    assert row.outcome == "ok", row.error
    assert row.checks["passed"] and row.checks["loss_last"] < row.checks["loss_first"]
    (replicate,) = row.info["replicates"]  # warm-up ran until settled: WARMUP batches at least
    assert replicate["warmup_calls"] >= WARMUP and row.checks["batches"] == SAMPLES + replicate["warmup_calls"]
    batches = _values(samples, "train_batch_ms")
    assert len(batches) == SAMPLES and (batches > 0).all()
    assert row.info["online_updates_per_batch"] == 64 and row.info["online_learning_rate"] == pytest.approx(0.1 / 64)


@pytest.mark.parametrize("framework,backend", [("brainjs", "cpu"), ("synaptic", "cpu"),
                                               ("onnxruntime_web", "wasm")])
def test_inference_matches_numpy(results, framework, backend):
    row, samples, _ = results[(framework, backend, "infer")]
    assert row.outcome == "ok", row.error
    assert row.checks["passed"] and row.checks["argmax_agree"]
    assert row.checks["max_abs_error"] <= row.checks["atol"] and row.checks["warmup_max_abs_error"] <= row.checks["atol"]
    for metric, count in (("load_ms", 1), ("warmup_ms", 1), ("infer_ms", SAMPLES), ("model_file_bytes", 1)):
        values = _values(samples, metric)
        assert len(values) == count and (values > 0).all(), metric


@pytest.mark.parametrize("framework", ["brainjs", "synaptic"])
def test_the_model_was_saved_by_the_framework_itself(results, framework):
    row, _, _ = results[(framework, "cpu", "infer")]
    assert set(row.info["model_files"]) == {"model.json"} and len(row.info["model_sha256"]) == 64


def test_onnxruntime_records_its_session_options_and_wasm_settings(results):
    row, _, _ = results[("onnxruntime_web", "wasm", "infer")]
    info = row.info
    assert info["session_options"]["executionProviders"] == ["wasm"]
    assert info["session_options"]["graphOptimizationLevel"] == "all"
    assert info["wasm"]["requested_threads"] == 1 and info["wasm"]["numThreads"] == 1
    assert info["wasm"]["cross_origin_isolated"] is True and info["version"] == "1.30.0"
    assert info["runtime_init_ms"] > 0 and set(info["model_files"]) == {"model.onnx"}


def test_gpu_modes_run_where_the_browser_has_the_api(results):
    # brain.js GPU (gpu.js on WebGL) trains wherever the page has WebGL; ORT on WebGPU wherever
    # the page has a WebGPU adapter; otherwise the outcome must say unsupported, with a reason.
    brain, brain_samples, env = results[("brainjs", "webgl", "train")]
    if env.get("webgl_renderer"):
        assert brain.outcome == "ok", brain.error
        assert brain.info["gpu_runner"] == "WebGLRunner" and len(_values(brain_samples, "train_batch_ms")) == SAMPLES
    else:
        assert brain.outcome == "unsupported" and brain.error
    ort, _, env = results[("onnxruntime_web", "webgpu", "infer")]
    if env.get("webgpu_adapter"):
        assert ort.outcome == "ok", ort.error
        assert ort.checks["passed"] and ort.info["session_options"]["executionProviders"] == ["webgpu"]
        assert ort.info["webgpu_adapter"]["vendor"]
    else:
        assert ort.outcome == "unsupported" and "WebGPU" in ort.error


def _mind_is_built():
    """Mind runs wherever its source is: a missing or failed build there is a failure, not a skip."""
    built = frameworks.FRAMEWORKS["mind"].local_build.built()
    if built.path is None and mind_bundle.MindBundle.find_source() is None:
        pytest.skip(built.reason)
    assert built.path is not None, built.reason


def test_mind_trains_and_infers_from_the_bundle_built_at_setup(results):
    _mind_is_built()
    row, samples, env = results[("mind", "cpu", "train")]
    assert row.outcome == "ok", row.error
    assert row.checks["passed"] and row.checks["loss_last"] < row.checks["loss_first"]
    warmup = row.info["replicates"][0]["warmup_calls"]  # until the timings settled: WARMUP at least
    assert warmup >= WARMUP and row.checks["batches"] == SAMPLES + warmup
    assert len(_values(samples, "train_batch_ms")) == SAMPLES
    assert row.info["activator"] == "sigmoid" and row.info["biases"] is False
    assert row.info["learning_rate_per_example"] == pytest.approx(0.1 / 2 ** 0.5 / 64)
    assert env["library_versions"]["mind"] == "1.0.1"
    row, samples, _ = results[("mind", "cpu", "infer")]
    assert row.outcome == "ok", row.error
    # Checked against mind.reference_forward (sigmoid layers, no biases): Mind computes in float64.
    assert row.checks["passed"] and row.checks["max_abs_error"] < 1e-12 and row.checks["warmup_max_abs_error"] < 1e-12
    assert set(row.info["model_files"]) == {"model.json"} and len(_values(samples, "infer_ms")) == SAMPLES


def test_mind_runs_another_build_given_with_lib(tmp_path):
    _mind_is_built()
    # Another build of the same source: minified, by esbuild's own command line.
    source = mind_bundle.MindBundle.find_source()
    other = tmp_path / "mind-minified.js"
    subprocess.run([str(NODE_MODULES / ".bin" / "esbuild"), str(source / "mind" / "index.js"), "--bundle", "--minify",
                    "--format=iife", "--global-name=Mind", f"--alias:htan={source / 'htan'}",
                    f"--alias:htan-prime={source / 'htan-prime'}", f"--outfile={other}"],
                   env={"NODE_PATH": str(NODE_MODULES), "PATH": "/usr/bin:/bin"}, check=True, capture_output=True)
    found = _sweep(tmp_path, MIND_SUITE, "--lib", f"mind={other}")
    for task in ("train", "infer"):
        row, _, env = found[("mind", "cpu", task)]
        assert row.outcome == "ok" and row.checks["passed"], row.error
        assert env["library_versions"]["mind"] is None  # a --lib build is known by its path only


def test_frameworks_command_lists_mind_as_available_or_says_why_not():
    done = run_cli("frameworks")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    available, reason = frameworks.FRAMEWORKS["mind"].availability()
    mind_row = next(line for line in done.stdout.splitlines() if line.startswith("mind "))
    assert mind_row.split()[1:4] == ["Mind", "1.0.1", "cpu"] and "(train, infer)" in mind_row
    if available:
        assert mind_row.split()[-1] == "yes"
    else:
        assert "no" in mind_row.split()
    for title in ("brain.js", "synaptic", "ONNX Runtime Web"):
        assert title in text


def test_a_missing_mind_bundle_is_a_user_error(tmp_path):
    done = run_cli("run", "quick", "--store", tmp_path / "s.sqlite", "--lib", f"mind={tmp_path / 'none.js'}")
    assert done.returncode == 2 and "no file at" in done.stderr and "Traceback" not in done.stderr


def test_synaptic_time_budget_keeps_the_partial_samples(tmp_path):
    row, samples, _ = _sweep(tmp_path, BUDGET_SUITE)[("synaptic", "cpu", "train")]
    batches = _values(samples, "train_batch_ms")
    assert 1 <= len(batches) < 500 and (batches > 0).all()
    assert row.outcome in ("ok", "check_failed"), row.error  # measured either way; the check is its own matter
    warmup = row.info["replicates"][0]["warmup_calls"]
    assert row.checks["batches"] == len(batches) + warmup  # the loss check saw exactly what the page reached
