"""RQ4 natively: the encoder made for real (tokenizer trained, optimum's export), then embedded by ONNX
Runtime and PyTorch (transformers) in fresh worker processes — two loads per process, both
outputs checked against PyTorch's reference — with what ran recorded."""
import asyncio

import pytest

from webdlbench.models import kinds
from webdlbench.models.webai import artifacts
from webdlbench.runners.native import NativeRunner
from webdlbench.spec import Spec

pytestmark = pytest.mark.native


@pytest.fixture(scope="module")
def cache(artifacts_dir):
    return artifacts_dir / "web-ai" / "cache"  # shared with tests/e2e/test_webai.py: one build


def test_the_model_is_made_with_its_real_architecture_and_exporter(cache):
    artifact = asyncio.run(artifacts.ensure_artifact(kinds.get("encoder:bert-tiny"), 0, cache))
    facts = artifact.facts()
    assert (facts["layers"], facts["hidden"], facts["heads"]) == (2, 128, 2)
    assert facts["vocabulary"] > 10_000 and facts["parameters"] > facts["encoder_parameters"] > 0
    assert facts["onnx_opset"] >= 17 and "optimum" in facts["exporter"]
    assert set(artifact.browser_files()) == set(artifacts.BROWSER_FILES["encoder"])
    reference = asyncio.run(artifacts.ensure_reference(artifact, 8))
    ids = reference.ids()
    assert ids.shape == (reference.count, 8) and (ids[:, 0] == ids[0, 0]).all()  # each starts with [CLS]
    assert reference.outputs().shape == (reference.count, 128)


@pytest.mark.parametrize("runtime", ["onnxruntime", "pytorch"])
def test_native_runtimes_embed_the_same_ids_and_pass_the_check(cache, runtime):
    spec = Spec(framework=runtime, backend="cpu", task="embed", model="encoder:bert-tiny", depth=2, width=8,
                runtime="native", batch=1, replicates=2, max_replicates=2, samples=5, sample_time_s=0.1,
                warmup=2, time_budget_s=5)
    result = asyncio.run(NativeRunner(cache).measure(spec))
    assert result.outcome == "ok", result.error
    assert result.checks["passed"] and result.checks["min_cosine"] >= 0.999 and result.checks["replicates_checked"] == 2
    for metric in ("cold_load_ms", "first_infer_ms", "warm_load_ms", "warmup_ms", "infer_ms"):
        values, replicates = result.replicate_values(metric)
        assert values and all(v > 0 for v in values) and set(replicates) == {0, 1}, metric
    used = result.info["backend_used"]
    assert used["device"] == "cpu"
    assert used.get("execution_providers") == ["CPUExecutionProvider"] or used.get("torch_threads") == 1
    version = "onnxruntime_version" if runtime == "onnxruntime" else "transformers_version"
    assert result.environment.get(version), result.environment


@pytest.mark.parametrize("weight_type, op", [("q8", "MatMulInteger"), ("fp16", "Cast")])
def test_native_onnx_runtime_runs_the_quantised_files_and_reports_their_cosine(cache, weight_type, op):
    spec = Spec(framework="onnxruntime", backend="cpu", task="embed", model=f"encoder:bert-tiny-{weight_type}", depth=2,
                width=8, runtime="native", batch=1, replicates=2, max_replicates=2, samples=5, sample_time_s=0.1,
                warmup=2, time_budget_s=5)
    result = asyncio.run(NativeRunner(cache).measure(spec))
    assert result.outcome == "ok", result.error
    suffix = {"q8": "_quantized", "fp16": "_fp16"}[weight_type]  # the names transformers.js looks for
    assert list(result.info["model_files"]) == [f"onnx/model{suffix}.onnx"]
    made = result.info["onnx_type"]
    assert made["weight_type"] == weight_type and op in made["op_types"], made
    # Held to the likeness of two inputs, not to 0.999: its cosine is what quantisation cost, reported.
    check = result.checks
    assert check["passed"] and check["min_cosine_required"] == check["cross_input_max_cosine"] < check["min_cosine"] < 1


def test_pytorch_on_the_gpu_is_unsupported_without_cuda_and_says_so(cache):
    if __import__("torch").cuda.is_available():  # imported here, not at collection: the fast lane never loads torch
        pytest.skip("this machine has CUDA: the GPU spec runs")
    spec = Spec(framework="pytorch", backend="gpu", task="embed", model="encoder:bert-tiny", depth=2, width=8,
                runtime="native", batch=1, replicates=1, max_replicates=1, samples=3, time_budget_s=3)
    result = asyncio.run(NativeRunner(cache).measure(spec))
    assert result.outcome == "unsupported" and "torch.cuda.is_available() is False" in result.error
