"""RQ4's quantised decoders (models/webai/): a GGUF Q8_0 file of a base kind's weights, run only by
the runtimes that load GGUF, and checked by forced decoding's top-1 agreement with fp32 — a check
that passes for a quantised model's near misses and fails for another model's or input's tokens."""
import numpy as np
import pytest

from webdlbench.errors import UserError
from webdlbench.grid import expand
from webdlbench.models import kinds
from webdlbench.models.webai import artifacts, checks
from webdlbench.models.webai.kinds import GENERATED_TOKENS, MIN_QUANTISED_TOP1, model_kind, unsupported_reason
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
    assert "quantised to q8_0" in unsupported_reason(q8, "transformersjs", "browser")
    assert "quantised to q8_0" in unsupported_reason(q8, "pytorch", "native")
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
