"""RQ4's quantised kinds (models/webai/): a decoder's GGUF Q8_0 file of its base kind's weights, run
only by the runtimes that load GGUF and checked by forced decoding's top-1 agreement with fp32; an
encoder's q8 / fp16 ONNX file, run by transformers.js (its dtype), ORT Web and native ONNX Runtime and
checked by its cosine with fp32 against the likeness of two inputs. Each check passes a quantised
model's near misses and fails another model's or input's outputs."""
import numpy as np
import pytest

from webdlbench.errors import UserError
from webdlbench.grid import expand
from webdlbench.models import kinds
from webdlbench.models.webai import artifacts, checks
from webdlbench.models.webai.kinds import (GENERATED_TOKENS, MIN_QUANTISED_TOP1, ONNX_SUFFIXES, model_kind,
                                          unsupported_reason)
from webdlbench.report.sections.rq4 import _output_cell
from webdlbench.report.sections.rq4_llm import _agreement


def test_a_quantised_decoder_is_its_base_model_in_a_gguf_file():
    q8, base = kinds.get("llm:15M-q8_0"), kinds.get("llm:15M")
    assert q8.quantised and q8.weight_type == "q8_0" and not base.quantised
    assert model_kind(q8) is base and q8.geometry == base.geometry and q8.tasks == ("generate",)
    # One model folder (weights, tokenizer, reference) for both: the same key.
    assert artifacts.artifact_key(model_kind(q8), 0) == artifacts.artifact_key(base, 0)
    assert kinds.get("llm:110M-q8_0").geometry == kinds.get("llm:110M").geometry


def test_only_the_gguf_runtimes_run_a_quantised_decoder():
    q8 = kinds.get("llm:15M-q8_0")
    assert unsupported_reason(q8, "wllama", "browser") == "" and unsupported_reason(q8, "llamacpp", "native") == ""
    assert "a GGUF file in q8_0" in unsupported_reason(q8, "transformersjs", "browser")
    assert "a GGUF file in q8_0" in unsupported_reason(q8, "pytorch", "native")
    spec, = expand({"grid": [{"framework": "wllama", "backend": "wasm", "task": "generate", "model": "llm:15M-q8_0",
                              "width": 32}]})
    assert spec.model == "llm:15M-q8_0" and spec.depth == 6
    with pytest.raises(UserError, match="unknown model kind|llm:15M-q4"):
        expand({"grid": [{"framework": "wllama", "backend": "wasm", "task": "generate", "model": "llm:15M-q4"}]})


WANT = np.arange(100, 100 + GENERATED_TOKENS)[None, :]


def _reply(generated):
    return {"outputs": [generated], "cold_outputs": [generated], "warmup_output": generated}


def _differing(every: int, tokens=None) -> list[int]:
    """The tokens (the reference's by default) with every `every`-th one replaced."""
    tokens = list(WANT[0]) if tokens is None else tokens
    return [7 if i % every == 0 else int(t) for i, t in enumerate(tokens)]


def test_forced_decoding_agreement_is_reported_and_can_fail():
    near, other = _differing(4), _differing(2)
    assert checks.generations([_reply(near), _reply(other), _reply(near)]) == [near, other]
    # fp32 forced along each generation: its top-1 equals `near` at 3 positions of 4, `other` at 1 of 2.
    fp32 = {tuple(near): list(WANT[0]), tuple(other): list(WANT[0])}
    ok = checks.check_quantised_generations([_reply(near), _reply(other)], WANT, fp32)
    assert ok["passed"] and ok["top1_agreement"] == 0.5 and ok["top1_agreements"] == [0.75, 0.5]
    assert ok["greedy_tokens_equal"] == 0 and ok["distinct_generations"] == 2 and ok["forced_by"] == "pytorch fp32"
    # Tokens fp32 never chooses (another model's or prompt's) agree at chance: a failed check that says so.
    unrelated = list(range(5000, 5000 + GENERATED_TOKENS))
    bad = checks.check_quantised_generations([_reply(unrelated)], WANT, {tuple(unrelated): list(WANT[0])})
    assert not bad["passed"] and bad["top1_agreement"] == 0.0 and "agreement 0.0% < 25%" in bad["reason"]
    assert 0 < MIN_QUANTISED_TOP1 < 0.5
    # A short generation, or one fp32 was not forced along, fails whatever the agreement.
    short = checks.check_quantised_generations([_reply(near[:100])], WANT, {tuple(near[:100]): list(WANT[0][:100])})
    assert not short["passed"] and f"generated 100 tokens, {GENERATED_TOKENS} asked" in short["reason"]
    missing = checks.check_quantised_generations([_reply(near)], WANT, {})
    assert not missing["passed"] and "no fp32 forced decoding" in missing["reason"]
    assert not checks.check_quantised_generations([], WANT, {})["passed"]


def test_the_report_says_how_the_tokens_compare_with_fp32():
    near = _differing(4)
    quantised = checks.check_quantised_generations([_reply(near)], WANT, {tuple(near): list(WANT[0])})
    assert _agreement(quantised) == "top-1 75% under forced decoding; greedy equal for the first 0"
    exact = checks.check_generations([_reply(list(WANT[0]))], WANT)
    assert _agreement(exact) == f"all {GENERATED_TOKENS} greedy tokens equal"
    assert _agreement({}) == "–"


def test_a_quantised_encoder_is_its_base_model_in_another_onnx_file():
    q8, fp16 = kinds.get("encoder:MiniLM-L6-q8"), kinds.get("encoder:bert-tiny-fp16")
    assert model_kind(q8) is kinds.get("encoder:MiniLM-L6") and q8.weight_type == "q8" and fp16.weight_type == "fp16"
    assert q8.tasks == ("embed",) and q8.browser_frameworks == ("transformersjs", "onnxruntime_web")
    assert "an ONNX file in q8" in unsupported_reason(q8, "pytorch", "native")
    assert unsupported_reason(q8, "onnxruntime", "native") == ""
    assert ONNX_SUFFIXES == {"q8": "_quantized", "fp16": "_fp16"}  # the file names transformers.js looks for


def _embedding_reply(rows):
    rows = [list(map(float, r)) for r in rows]
    return {"outputs": rows, "cold_outputs": rows, "warmup_output": rows[0]}


def test_a_quantised_embedding_must_be_nearer_its_own_input_than_two_inputs_are():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(1, 64))
    reference = base + 0.3 * rng.normal(size=(4, 64))  # four inputs' embeddings, alike (cosine ~0.9)
    close = reference + 0.08 * rng.normal(size=reference.shape)  # a quantised file's: near, not fp32's 0.999
    ok = checks.check_embeddings([_embedding_reply(close)], reference, quantised=True)
    assert ok["passed"] and ok["min_cosine_required"] == ok["cross_input_max_cosine"] < ok["min_cosine"] < 0.999
    assert not checks.check_embeddings([_embedding_reply(close)], reference)["passed"]  # the fp32 rule: fails
    shifted = np.roll(reference, 1, axis=0)  # each input's embedding given for the next one's
    bad = checks.check_embeddings([_embedding_reply(shifted)], reference, quantised=True)
    assert not bad["passed"] and "no nearer than two different inputs' embeddings" in bad["reason"]
    one = checks.check_embeddings([_embedding_reply(close[:1])], reference[:1], quantised=True)
    assert not one["passed"] and "one reference input" in one["reason"]


def test_the_report_gives_each_embedding_its_cosine_and_each_image_its_difference():
    assert _output_cell({"min_cosine": 0.99997321, "max_abs_error": 0.012}) == "cosine 0.999973"
    assert _output_cell({"max_abs_error": 1.234e-7}) == "max |Δ| 1.2e-07"
    assert _output_cell({"passed": False}) == "–"
