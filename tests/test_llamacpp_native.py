"""Native llama.cpp (RQ4) through llama-cpp-python, on the GGUF file wllama loads in the page. It has no
wheel, so `make setup` leaves it out: where `make llama-cpp` has not built it, the runtime says how to
get it, and the measurement tests (the f32 file and the Q8_0 one) are skipped with that reason."""
import asyncio
import importlib.util

import pytest

from webdlbench import native
from webdlbench.runners.native import NativeRunner
from webdlbench.spec import Spec

RUNTIME = native.RUNTIMES["llamacpp"]


def test_without_llama_cpp_python_the_runtime_says_how_to_build_it(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    available, reason = RUNTIME.availability()
    assert not available and "llama_cpp is not installed" in reason and "make llama-cpp" in reason


@pytest.mark.native
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason=RUNTIME.install_hint)
def test_llama_cpp_generates_the_same_greedy_tokens_as_pytorch(artifacts_dir):
    cache = artifacts_dir / "web-ai" / "cache"  # shared with the other RQ4 tests: one build
    spec = Spec(framework="llamacpp", backend="cpu", task="generate", model="llm:15M", depth=6, width=32,
                runtime="native", batch=1, threads=1, replicates=2, max_replicates=2, samples=2, warmup=1,
                time_budget_s=20)
    result = asyncio.run(NativeRunner(cache).measure(spec))
    assert result.outcome == "ok", result.error
    assert result.checks["passed"] and result.checks["tokens_each"] == 128 and result.checks["replicates_checked"] == 2
    for metric in ("cold_load_ms", "warm_load_ms", "ttft_ms", "prefill_tok_s", "decode_tok_s"):
        values, replicates = result.replicate_values(metric)
        assert values and all(v > 0 for v in values) and set(replicates) == {0, 1}, metric
    assert result.info["backend_used"]["runtime"].startswith("llama-cpp-python")
    assert result.environment.get("llama_cpp_python_version")


@pytest.mark.native
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason=RUNTIME.install_hint)
def test_llama_cpp_runs_the_q8_0_file_and_pytorch_judges_its_tokens(artifacts_dir):
    cache = artifacts_dir / "web-ai" / "cache"
    spec = Spec(framework="llamacpp", backend="cpu", task="generate", model="llm:15M-q8_0", depth=6, width=32,
                runtime="native", batch=1, threads=1, replicates=2, max_replicates=2, samples=2, warmup=1,
                time_budget_s=20)
    result = asyncio.run(NativeRunner(cache).measure(spec))
    assert result.outcome == "ok", result.error
    assert list(result.info["model_files"]) == ["model-q8_0.gguf"] and result.info["weight_type"] == "q8_0"
    # Its tokens are not fp32's; PyTorch forced along them picks the same token at most positions.
    check = result.checks
    assert check["forced_by"] == "pytorch fp32" and check["tokens_each"] == 128
    assert check["min_top1_agreement"] <= check["top1_agreement"] < 1
