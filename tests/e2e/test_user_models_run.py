"""Your own model, for real (`model = "file:PATH"`): a small ONNX file made here runs in ONNX Runtime
Web (wasm, webgpu) in headless Chromium and in native ONNX Runtime; a TF.js Layers model.json made
by the official converter runs in TF.js (cpu, wasm) and, from the Keras file beside it, in native
TensorFlow. Each is fed the same seeded inputs; each browser's outputs are checked against the
native runtime's. A model whose operator no runtime knows ends `unsupported`, in ONNX Runtime's words.
(What is refused before a run: tests/test_user_models.py.)"""
import numpy as np
import pytest

from tests.conftest import run_cli
from tests.user_model_files import suite, write_onnx, write_tfjs
from webdlbench.models import kinds
from webdlbench.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.native]


def run_suite(folder, grids):
    store = folder / "results" / "store.sqlite"
    done = run_cli("run", suite(folder / "suite.toml", grids), "--store", store, "--retries", "0")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with Store.open(store, create=False) as opened:
        results, samples, _ = opened.frames()
    return done.stdout, results, samples


def assert_checked_against_native(results, reference: str, size: int):
    failures = results[results.outcome != "ok"][["runtime", "framework", "backend", "outcome", "error"]]
    assert failures.empty, failures.to_string()
    for row in results.itertuples():
        check, kind = row.checks, kinds.get(row.model)
        assert check["passed"] and check["reference"] == reference and check["compared"] == 4
        assert (check["atol"], check["rtol"]) == (kinds.CONVERTED_ATOL, kinds.CONVERTED_RTOL)
        assert check["max_rel_error"] <= kind.output_rtol and check["argmax_agree"], (row.framework, row.backend)
        assert row.info["model_facts"]["output_size"] == size
        if row.runtime == "native":
            assert check["max_abs_error"] <= 1e-6  # the same runtime, on the same CPU, as the reference


@pytest.fixture(scope="module")
def onnx_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("own-onnx")
    write_onnx(folder / "tiny.onnx")
    grid = 'model = "file:tiny.onnx"\n'
    return run_suite(folder, [grid + 'framework = "onnxruntime_web"\nbackend = ["wasm", "webgpu"]\n',
                              grid + 'runtime = "native"\nframework = "onnxruntime"\nbackend = "cpu"\n'])


def test_an_onnx_file_runs_in_ort_web_and_native_onnx_runtime_with_checked_outputs(onnx_run):
    stdout, results, samples = onnx_run
    assert sorted(zip(results.runtime, results.backend)) == [("browser", "wasm"), ("browser", "webgpu"),
                                                             ("native", "cpu")]
    assert_checked_against_native(results, "native ONNX Runtime (CPU)", 10)
    facts = results.iloc[0]["info"]["model_facts"]
    assert (facts["file"], facts["format"], facts["input_shape"]) == ("tiny.onnx", "onnx", [1, 3, 8, 8])
    assert facts["inputs"] == "uniform [0, 1) from seed 0" and len(facts["sha256"]) == 64
    for row in results.itertuples():  # timed: load, the first prediction and the steady state
        mine = samples[samples.result_id == row.result_id]
        assert set(mine.metric) >= {"load_ms", "warmup_ms", "infer_ms", "model_file_bytes"}
        assert (mine[mine.metric == "infer_ms"].value > 0).all()
    # The verdict names the file, never its path.
    assert "infer, tiny.onnx" in stdout and str(results.iloc[0]["model"]).split("|")[0][5:] not in stdout


def test_a_tfjs_model_json_runs_in_tfjs_and_native_tensorflow_from_the_keras_file_beside_it(tmp_path):
    write_tfjs(tmp_path / "net")
    grid = 'model = "file:net/model.json"\n'
    stdout, results, _ = run_suite(tmp_path, [grid + 'framework = "tfjs"\nbackend = ["cpu", "wasm"]\n',
                                              grid + 'runtime = "native"\nframework = "tensorflow"\nbackend = "cpu"\n'])
    assert len(results) == 3
    assert_checked_against_native(results, "native TensorFlow on model.keras", 10)
    assert "infer, net/model.json" in stdout


def test_a_saved_model_beside_it_and_a_npy_of_inputs_are_used(tmp_path):
    write_tfjs(tmp_path, beside="saved_model")
    np.save(tmp_path / "x.npy", np.random.default_rng(3).random((3, 1, 8, 8, 3), dtype=np.float32))
    grid = 'model = "file:model.json"\ninputs = "x.npy"\n'
    _, results, _ = run_suite(tmp_path, [grid + 'framework = "tfjs"\nbackend = "cpu"\n',
                                         grid + 'runtime = "native"\nframework = "tensorflow"\nbackend = "cpu"\n'])
    assert list(results.outcome) == ["ok", "ok"]
    for row in results.itertuples():
        assert row.checks["passed"] and row.checks["compared"] == 3  # the .npy's three inputs
        assert row.checks["reference"] == "native TensorFlow on saved"
        assert row.info["model_facts"]["inputs"] == "x.npy"


def test_an_operator_no_runtime_knows_is_unsupported_in_onnx_runtimes_own_words(tmp_path):
    write_onnx(tmp_path / "custom.onnx", custom_op=True)
    grid = 'model = "file:custom.onnx"\n'
    _, results, _ = run_suite(tmp_path, [grid + 'runtime = "native"\nframework = "onnxruntime"\nbackend = "cpu"\n',
                                         grid + 'framework = "onnxruntime_web"\nbackend = "wasm"\n'])
    assert list(results.outcome) == ["unsupported", "unsupported"]
    for error in results.error:
        assert error.startswith("native ONNX Runtime (CPU) cannot run custom.onnx: ")
        assert "Load model from custom.onnx failed" in error
        assert "com.example.webdlbench:Frobnicate(-1) is not a registered function/op" in error
        assert str(tmp_path) not in error  # the runtime's words, without the cache's path
    assert not list((tmp_path / "results" / "cache").rglob("*.partial"))  # nothing half-made is left
