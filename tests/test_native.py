"""Native runners for real on tiny specs: outputs equal the numpy reference, the loss falls from the
same first value the numpy reference gives for the same weights and batch, threads are pinned and
recorded, and every failure (no GPU, import error, crash, hang) is an outcome, never an exception."""
import asyncio
import importlib.util
import math
import os
import textwrap
from pathlib import Path

import numpy as np
import pytest

from webdlbench import native, subprocesses
from webdlbench.checks import OUTPUT_ATOL
from webdlbench.grid import expand
from webdlbench.models import mlp, mnist
from webdlbench.native import NativeRuntime, worker
from webdlbench.runners import native as runners_native
from webdlbench.runners.native import NativeRunner
from webdlbench.spec import Spec

# Most tests here start the native worker for real (TensorFlow, PyTorch, ONNX Runtime).
pytestmark = pytest.mark.native
TRAIN_RUNTIMES = ["tensorflow", "pytorch"]
INFER_RUNTIMES = ["tensorflow", "pytorch", "onnxruntime"]


def installed(name: str):
    module = native.RUNTIMES[name].python_module
    return pytest.mark.skipif(importlib.util.find_spec(module) is None, reason=f"{module} is not installed")


def spec(framework, task, **fields):
    base = dict(framework=framework, backend="cpu", task=task, depth=1, width=8,
                batch=8 if task == "train" else 1, runtime="native", samples=4, sample_time_s=0, warmup=2,
                replicates=1, max_replicates=1, time_budget_s=20)
    return Spec(**{**base, **fields})


def measure(s, cache, runtime=None):
    runner = NativeRunner(cache, {runtime.name: runtime} if runtime else None)
    return asyncio.run(runner.measure(s))


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("native-cache")


def reference_first_loss(depth, width, seed, batch):
    """Cross-entropy (mean over the batch) of the numpy reference on the first batch, before any update."""
    x, y = mnist.load_digits()
    rows = worker.batch_indices(batch, 0, mnist.TRAIN_COUNT)
    probabilities = mlp.forward(mlp.make_weights(depth, width, seed), x[rows])
    return float(np.mean(-np.log(probabilities[np.arange(batch), y[rows]])))


@pytest.mark.parametrize("name", [pytest.param(n, marks=installed(n)) for n in TRAIN_RUNTIMES])
def test_training_starts_at_the_reference_loss_and_the_loss_falls(name, cache):
    result = measure(spec(name, "train", width=16, batch=32, samples=8, warmup=2), cache)
    assert result.outcome == "ok", result.error
    assert result.checks["passed"] and result.checks["loss_last"] < result.checks["loss_first"]
    losses = result.metrics["loss"]
    (sampling,) = result.info["replicates"]  # warm-up until settled (2 batches at least), then 8 samples
    assert len(losses) >= sampling["warmup_calls"] + 8 and all(math.isfinite(v) for v in losses)
    # Same weights, same first batch of real digits: the loss before the first update is the numpy one.
    assert losses[0] == pytest.approx(reference_first_loss(1, 16, 0, 32), rel=1e-5)
    assert len(result.metrics["train_warmup_ms"]) == sampling["warmup_calls"] >= 2
    assert len(result.metrics["train_batch_ms"]) == 8
    assert all(v > 0 for v in result.metrics["train_batch_ms"] + result.metrics["train_warmup_ms"])
    assert_threads_recorded(result, name, 1)


@pytest.mark.parametrize("name", [pytest.param(n, marks=installed(n)) for n in INFER_RUNTIMES])
def test_inference_loads_the_saved_file_and_matches_numpy(name, cache):
    result = measure(spec(name, "infer", depth=2, width=16, samples=10, replicates=2, max_replicates=2, threads=2), cache)
    assert result.outcome == "ok", result.error
    assert result.checks["passed"] and result.checks["compared"] == mnist.REFERENCE_COUNT
    assert result.checks["max_abs_error"] <= OUTPUT_ATOL and result.checks["warmup_max_abs_error"] <= OUTPUT_ATOL
    counts = {metric: len(values) for metric, values in result.metrics.items()}
    assert counts == {"load_ms": 2, "warmup_ms": 2, "infer_ms": 20, "model_file_bytes": 1}
    assert all(v > 0 for values in result.metrics.values() for v in values)
    # The size recorded is the size of the files the runtime wrote, which are on disk.
    folder = next((cache / "native-models").glob(f"{name}-*-{mlp.weights_key(2, 16, 0)}"))
    on_disk = sum(p.stat().st_size for p in folder.iterdir() if p.name != "files.json")
    assert result.metrics["model_file_bytes"] == [on_disk] and on_disk > 4 * (784 * 16 + 16 * 16 + 16 * 10)
    assert_threads_recorded(result, name, 2)


THREAD_KEYS = {"tensorflow": ("tf_intra_op_threads", "tf_inter_op_threads"),
               "pytorch": ("torch_threads", "torch_interop_threads"), "onnxruntime": ()}


def assert_threads_recorded(result, name, threads):
    """The library's own view of its thread pools, and what was asked, are in the result."""
    for key in THREAD_KEYS[name]:
        assert result.environment[key] == threads, key
    assert result.info["threads_requested"] == threads
    if name == "onnxruntime":
        assert result.info["intra_op_threads"] == threads
    assert result.environment["cpu_model"] and result.environment["python_version"]
    assert result.info["runtime_version"] == native.RUNTIMES[name].version()


def test_worker_environment_pins_every_pool_and_hides_gpus_on_cpu():
    env = runners_native.worker_environment(3, "cpu")
    assert all(env[name] == "3" for name in subprocesses.THREAD_VARIABLES)
    assert env["CUDA_VISIBLE_DEVICES"] == ""
    assert env["PYTHONPATH"].split(os.pathsep)[0] == subprocesses.PACKAGE_ROOT  # this checkout, installed or not
    # A gpu spec sees the devices the parent sees.
    assert runners_native.worker_environment(1, "gpu").get("CUDA_VISIBLE_DEVICES") == os.environ.get("CUDA_VISIBLE_DEVICES")


def _cuda_present() -> bool:
    if importlib.util.find_spec("torch") is None:
        return False
    import torch
    return torch.cuda.is_available()


@pytest.mark.parametrize("name", [pytest.param(n, marks=installed(n)) for n in INFER_RUNTIMES])
def test_gpu_spec_without_a_gpu_is_unsupported_with_its_reason(name, cache):
    if _cuda_present():  # asked here, not at collection: importing torch is for the native lane only
        pytest.skip("this machine has CUDA: the gpu specs really run")
    result = measure(spec(name, "infer", backend="gpu"), cache)
    assert result.outcome == "unsupported"
    assert {"tensorflow": "sees no GPU", "pytorch": "torch.cuda.is_available() is False",
            "onnxruntime": "CUDAExecutionProvider"}[name] in result.error
    assert not result.error.startswith("saving")  # the model file is written on the CPU, whatever the spec
    assert not result.metrics


@pytest.mark.parametrize("name", [pytest.param(n, marks=installed(n)) for n in TRAIN_RUNTIMES])
def test_a_gpu_spec_of_a_converted_model_asks_for_the_gpu_before_converting(name, tmp_path):
    if _cuda_present():
        pytest.skip("this machine has CUDA: the gpu specs really run")
    result = measure(spec(name, "infer", backend="gpu", model="keras:MobileNetV2", width=96), tmp_path)
    assert result.outcome == "unsupported"
    assert {"tensorflow": "sees no GPU", "pytorch": "torch.cuda.is_available() is False"}[name] in result.error
    assert not (tmp_path / "models").exists()  # the runtime said no before anything was converted


def test_unknown_runtime_and_task_it_cannot_do_are_unsupported(cache):
    assert measure(spec("caffe", "infer"), cache).outcome == "unsupported"
    result = measure(spec("onnxruntime", "train"), cache)
    assert result.outcome == "unsupported" and "cannot train" in result.error


def test_a_missing_library_is_unsupported_with_the_package_named(cache):
    runtime = NativeRuntime(name="ghost", title="Ghost", python_module="no_such_library_xyz",
                            backends={"cpu": ("infer",)}, adapter="ghost:Adapter")
    result = measure(spec("ghost", "infer"), cache, runtime)
    assert result.outcome == "unsupported" and "no_such_library_xyz" in result.error


def test_an_import_error_in_the_child_is_an_error_outcome_with_its_words(cache):
    runtime = NativeRuntime(name="broken", title="Broken", python_module="json", backends={"cpu": ("train",)},
                            adapter="webdlbench.native.no_such_adapter_module:Adapter")
    result = measure(spec("broken", "train"), cache, runtime)
    assert result.outcome == "error"
    assert "ModuleNotFoundError" in result.error and "no_such_adapter_module" in result.error


def test_a_crashing_child_and_a_hanging_child_become_outcomes(cache, tmp_path, monkeypatch):
    (tmp_path / "fake_adapters.py").write_text(textwrap.dedent("""
        import os, signal, time
        class Crash:
            def __init__(self, spec): pass
            def init(self): os.kill(os.getpid(), signal.SIGKILL)
        class Hang:
            def __init__(self, spec): pass
            def init(self): time.sleep(600)
    """))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    crash = NativeRuntime(name="crash", title="Crash", python_module="json", backends={"cpu": ("train",)},
                          adapter="fake_adapters:Crash")
    result = measure(spec("crash", "train"), cache, crash)
    assert result.outcome == "error" and "killed by signal 9" in result.error
    hang = NativeRuntime(name="hang", title="Hang", python_module="json", backends={"cpu": ("train",)},
                         adapter="fake_adapters:Hang")
    monkeypatch.setattr(runners_native, "SETUP_ALLOWANCE_S", 0)
    result = measure(spec("hang", "train", time_budget_s=3), cache, hang)
    assert result.outcome == "timeout" and "within 3 s" in result.error


def test_batches_are_the_pages_batches_wrapping_at_the_training_count():
    rows = worker.batch_indices(64, 140, mnist.TRAIN_COUNT)
    assert rows[0] == 140 * 64 and rows[40] == 0 and len(rows) == 64
    assert list(worker.batch_indices(4, 1, 100)) == [4, 5, 6, 7]


def test_native_specs_validate_in_suites_against_the_registry():
    specs = expand({"grid": [{"runtime": "native", "framework": ["tensorflow", "pytorch", "onnxruntime"],
                              "backend": ["cpu", "gpu"], "task": "infer", "depth": 1, "width": 8}]})
    assert len(specs) == 6 and {s.framework for s in specs} == {"tensorflow", "pytorch", "onnxruntime"}
    with pytest.raises(Exception, match="cannot train"):
        expand({"grid": [{"runtime": "native", "framework": "onnxruntime", "backend": "cpu", "task": "train",
                          "depth": 1, "width": 8}]})


def test_builtin_gap_suites_expand():
    from webdlbench.grid import load_suite
    paper = load_suite("paper-gap-dnn")
    shapes = {(s.depth, s.width) for s in paper.specs}
    assert shapes == {(d, w) for d in (1, 2, 4, 8, 16) for w in (64, 128, 256, 512)}
    assert {(s.runtime, s.backend) for s in paper.specs} >= {("browser", "cpu"), ("browser", "webgl"),
                                                             ("native", "cpu"), ("native", "gpu")}
    quick = load_suite("gap-quick")
    assert {s.runtime for s in quick.specs} == {"browser", "native"} and len(quick.specs) < len(paper.specs)


def test_onnx_graph_matches_numpy_without_a_runtime_subprocess():
    pytest.importorskip("onnxruntime")
    import onnxruntime as ort

    from webdlbench.native.onnxruntime_runner import onnx_model
    layers = mlp.make_weights(3, 8, 1)
    session = ort.InferenceSession(onnx_model(layers).SerializeToString(), providers=["CPUExecutionProvider"])
    x = mnist.reference_inputs()
    got = session.run(None, {"input": x})[0]
    assert np.max(np.abs(got - mlp.forward(layers, x))) <= OUTPUT_ATOL


def test_worker_module_is_not_a_runtime():
    assert "worker" not in native.RUNTIMES and set(INFER_RUNTIMES) <= set(native.RUNTIMES)
    assert Path(worker.__file__).name == "worker.py"
