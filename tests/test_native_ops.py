"""The operators pass natively, for real (runners/native.py -> native/ops_profile.py in the worker):
ONNX Runtime's session profiler on the very .onnx file ONNX Runtime Web loads, and TensorFlow's
profiler's host trace, each giving every prediction's operators with their own times."""
import asyncio
import hashlib
import importlib.util

import pytest

from webdlbench import native
from webdlbench.analysis.operators import common_name
from webdlbench.frameworks import FRAMEWORKS
from webdlbench.models import kinds
from webdlbench.runners import staging
from webdlbench.runners.native import NativeRunner
from webdlbench.runners.passes import OPS_PREDICTIONS
from webdlbench.spec import Spec

pytestmark = pytest.mark.native


def installed(name: str):
    module = native.RUNTIMES[name].python_module
    return pytest.mark.skipif(importlib.util.find_spec(module) is None, reason=f"{module} is not installed")


def small(framework: str) -> Spec:
    return Spec(framework=framework, backend="cpu", task="infer", depth=1, width=32, runtime="native", samples=3,
                sample_time_s=0, warmup=1, replicates=1, max_replicates=1, time_budget_s=20)


def ops_pass(spec: Spec, cache) -> dict:
    async def main():
        runner = NativeRunner(cache)
        prepared = await runner.prepare(spec, kinds.get("mlp"))
        return await runner.extra_pass("ops", spec, prepared, 300)
    metrics, info = asyncio.run(main())
    assert metrics == {}
    return info["passes"]["ops"]


def assert_timed_runs(ops: dict) -> set[str]:
    """Every prediction profiled, every operator timed; the common names of the first prediction's."""
    assert ops["outcome"] == "ok", ops
    assert ops["predictions"] == len(ops["kernels"]) == OPS_PREDICTIONS
    assert ops["timer"]["trusted"] is True
    assert all(isinstance(k["ms"], float) and k["ms"] >= 0 for run in ops["kernels"] for k in run)
    assert any(k["ms"] > 0 for k in ops["kernels"][0])
    return {common_name(k["name"]) for k in ops["kernels"][0]}


@installed("onnxruntime")
def test_native_onnxruntime_profiles_the_file_the_page_loads(tmp_path):
    spec = small("onnxruntime")
    ops = ops_pass(spec, tmp_path)
    assert {"MatMul/Dense", "Softmax"} <= assert_timed_runs(ops)
    assert "session profiler" in ops["profiler"]
    # The file ONNX Runtime Web loads (its writer, the same weights, the same cache folder), not the
    # native runner's own Gemm graph.
    page_file = tmp_path / staging.model_folder(FRAMEWORKS["onnxruntime_web"], spec) / "model.onnx"
    assert ops["model_file"]["sha256"] == hashlib.sha256(page_file.read_bytes()).hexdigest()
    assert {k["node"] for k in ops["kernels"][0]} & {"softmax"}, ops["kernels"][0]  # the page's node names


@installed("tensorflow")
def test_native_tensorflow_gives_each_ops_self_time(tmp_path):
    ops = ops_pass(small("tensorflow"), tmp_path)
    # oneDNN's _MklNativeFusedMatMul holds each Dense layer's MatMul + BiasAdd (+ Relu).
    assert {"MatMul/Dense", "Softmax"} <= assert_timed_runs(ops), ops["kernels"][0]
    assert all(not common_name(k["name"]).startswith("other:") for k in ops["kernels"][0]), ops["kernels"][0]
    assert "tf.profiler" in ops["profiler"]
