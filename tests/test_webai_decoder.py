"""RQ4's decoder LLMs (models/webai/): their kinds, the greedy-token check, and a throughput headline
ranked as one (larger is better) by the verdict."""
import numpy as np
import pandas as pd
import pytest

from webdlbench import frameworks, native
from webdlbench.analysis import today
from webdlbench.errors import UserError
from webdlbench.grid import expand
from webdlbench.models import kinds
from webdlbench.models.webai import checks
from webdlbench.models.webai.kinds import GENERATED_TOKENS, unsupported_reason
from webdlbench.spec import HEADLINE, HIGHER_IS_BETTER, METRIC_RANGES, METRIC_UNITS
from webdlbench.verdict import Group, Option, _rank


def test_the_decoders_are_llama_kinds_that_generate():
    small = kinds.get("llm:15M")
    assert (small.geometry.layers, small.geometry.hidden, small.geometry.heads) == (6, 288, 6)
    assert small.tasks == ("generate",) and small.family == "decoder"
    assert small.max_width == small.geometry.max_positions - GENERATED_TOKENS  # the prompt and its tokens fit
    assert "at most 384 tokens" in small.problem(6, 400)
    assert HEADLINE["generate"] == "decode_tok_s" and "decode_tok_s" in HIGHER_IS_BETTER
    assert {"ttft_ms", "prefill_tok_s", "decode_tok_s"} <= set(METRIC_UNITS) & set(METRIC_RANGES)
    assert METRIC_UNITS["decode_tok_s"] == "tok/s"


def test_who_runs_a_decoder():
    small = kinds.get("llm:15M")
    assert unsupported_reason(small, "wllama", "browser") == ""
    assert unsupported_reason(small, "transformersjs", "browser") == ""
    assert "onnxruntime_web does not run" in unsupported_reason(small, "onnxruntime_web", "browser")
    assert unsupported_reason(small, "pytorch", "native") == ""
    assert "onnxruntime does not run" in unsupported_reason(small, "onnxruntime", "native")
    assert frameworks.FRAMEWORKS["wllama"].tasks() == {"generate"}
    assert "generate" in native.RUNTIMES["pytorch"].backends["cpu"]


def test_a_generation_spec_is_single_sample_and_a_bad_one_names_the_fix():
    spec, = expand({"grid": [{"framework": "wllama", "backend": "wasm", "task": "generate", "model": "llm:15M",
                              "width": 32}]})
    assert (spec.depth, spec.width, spec.batch) == (6, 32, 1)
    with pytest.raises(UserError, match=r"wllama/wasm cannot embed.*it can: generate"):
        expand({"grid": [{"framework": "wllama", "backend": "wasm", "task": "embed", "model": "llm:15M"}]})
    with pytest.raises(UserError, match="model llm:15M cannot embed"):
        expand({"grid": [{"framework": "transformersjs", "backend": "wasm", "task": "embed", "model": "llm:15M"}]})


def _generation(tokens):
    return {"outputs": [tokens, tokens], "cold_outputs": [tokens], "warmup_output": tokens}


def test_the_generation_check_wants_every_greedy_token():
    want = np.arange(100, 100 + GENERATED_TOKENS)[None, :]
    ok = checks.check_generations([_generation(list(want[0]))] * 2, want)
    assert ok["passed"] and ok["generations_checked"] == 8 and ok["tokens_each"] == GENERATED_TOKENS
    changed = list(want[0])
    changed[23] = 7
    one_off = checks.check_generations([_generation(list(want[0])), _generation(changed)], want)
    assert not one_off["passed"] and one_off["first_difference"] == 23 and "token 23" in one_off["reason"]
    short = checks.check_generations([_generation(list(want[0][:100]))], want)
    assert not short["passed"] and f"generated 100 tokens, {GENERATED_TOKENS} asked" in short["reason"]
    cold_only = {"outputs": [list(want[0])], "cold_outputs": [changed], "warmup_output": list(want[0])}
    assert not checks.check_generations([cold_only], want)["passed"]
    nothing = {"outputs": [], "cold_outputs": [], "warmup_output": []}
    assert not checks.check_generations([nothing], want)["passed"]


def test_a_throughput_ranks_from_the_largest_and_reads_as_times_slower():
    group = Group("generate, llm:15M 6x128", unit="tok/s", higher_is_better=True)
    group.options = [
        Option("transformersjs/wasm", "browser", "ok", median=60.0, replicate_medians=[59.0, 60.0, 61.0]),
        Option("wllama/wasm", "browser", "ok", median=120.0, replicate_medians=[119.0, 120.0, 121.0]),
        Option("native pytorch/cpu", "native", "ok", median=240.0, replicate_medians=[238.0, 240.0, 242.0]),
    ]
    _rank(group)
    assert [o.label for o in group.options] == ["native pytorch/cpu", "wllama/wasm", "transformersjs/wasm"]
    wllama, tjs = group.options[1], group.options[2]
    assert wllama.vs_native == pytest.approx(2.0) and tjs.vs_fastest == pytest.approx(4.0)
    assert group.recommendation.startswith("in this browser: wllama/wasm")
    assert "faster than transformersjs/wasm" in group.recommendation


def test_a_decode_rate_against_native_reads_as_times_slower_and_a_share_of_native():
    summary, replicates = [], []
    for spec, runtime, framework, values in (("b", "browser", "wllama", [50.0, 52.0, 48.0]),
                                             ("n", "native", "pytorch", [200.0, 204.0, 196.0])):
        summary.append({"runtime": runtime, "framework": framework, "backend": "wasm" if runtime == "browser" else "cpu",
                        "threads": 1, "model": "llm:15M", "width": 32, "depth": 6, "task": "generate", "seed": 0,
                        "batch": 1, "metric": "decode_tok_s", "outcome": "ok", "n": 3,
                        "median": float(np.median(values)), "spec_hash": spec})
        replicates += [{"spec_hash": spec, "metric": "decode_tok_s", "replicate": str(j), "value": v}
                       for j, v in enumerate(values)]
    ratios = today.native_ratios(pd.DataFrame(summary), pd.DataFrame(replicates), "decode_tok_s")
    row = ratios.iloc[0]
    assert row["ratio"] == pytest.approx(4.0) and row["pct_of_native"] == pytest.approx(25.0)
    assert row["ratio_ci_low"] < 4.0 < row["ratio_ci_high"] and "browser is slower than native" in row["comparison"]
