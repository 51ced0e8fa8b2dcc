"""RQ4 (models/webai/) without a browser or a native runtime: its kinds in suites (and the errors a
bad suite gets), the embedding check and the two visits merged into one replicate, the cache key,
and the analysis (ratios to native, the wasm/WebGPU crossover) on frames made here — each shown
to fail where it must."""
import numpy as np
import pandas as pd
import pytest

from webdlbench import contract, frameworks, native
from webdlbench.analysis import today
from webdlbench.errors import UserError
from webdlbench.grid import expand, load_suite
from webdlbench.models import kinds
from webdlbench.models.webai import artifacts, checks
from webdlbench.models.webai.kinds import KINDS as WEBAI_KINDS, MIN_COSINE, unsupported_reason
from webdlbench.runners import webai
from webdlbench.spec import HEADLINE, METRIC_RANGES, METRIC_UNITS, TASKS


def grid(**fields):
    base = {"framework": "transformersjs", "backend": "wasm", "task": "embed", "model": "encoder:bert-tiny"}
    return {"grid": [{**base, **fields}]}


def test_the_encoders_are_model_kinds_with_their_geometry():
    assert {"encoder:bert-tiny", "encoder:MiniLM-L6"} <= set(kinds.KINDS)
    minilm = kinds.get("encoder:MiniLM-L6").geometry
    assert (minilm.layers, minilm.hidden, minilm.heads) == (6, 384, 12)
    assert "embed" in TASKS and HEADLINE["embed"] == "infer_ms"
    assert {"cold_load_ms", "warm_load_ms", "first_infer_ms"} <= set(METRIC_UNITS)
    assert set(METRIC_RANGES) == set(METRIC_UNITS)  # the store takes no value of a metric without a range
    assert contract.required_methods("embed") == ["version", "init", "loadEncoder", "embed", "backendUsed"]


def test_suites_fill_depth_and_take_the_sequence_length_as_width():
    spec, = expand(grid(width=128))
    assert (spec.depth, spec.width, spec.batch, spec.threads) == (2, 128, 1, 1)
    minilm, = expand(grid(model="encoder:MiniLM-L6"))
    assert (minilm.depth, minilm.width) == (6, 128)  # the default sequence length
    both = expand(grid(width=16, threads=[1, 2]))  # threads is an axis: 1 thread and every core
    assert [s.threads for s in both] == [1, 2] and both[0].spec_hash != both[1].spec_hash
    assert "2 threads" in both[1].label and "threads" not in both[0].label


@pytest.mark.parametrize("fields, words", [
    ({"width": 513}, "takes at most 512 tokens"),
    ({"width": 2}, "needs width >= 4"),
    ({"depth": 3}, "depth must be 2"),
    ({"framework": "tfjs"}, "tfjs/wasm cannot embed; exclude that combination"),
    ({"task": "infer"}, "transformersjs/wasm cannot infer"),
    ({"framework": "onnxruntime_web", "task": "infer"}, "model encoder:bert-tiny cannot infer"),
    ({"model": "encoder:nope"}, "unknown model 'encoder:nope'; models are mlp, cnn"),
    ({"backend": "webgl"}, "transformersjs has no backend 'webgl'; it has wasm, webgpu"),
])
def test_bad_rq4_suites_name_the_field_and_the_fix(fields, words):
    with pytest.raises(UserError, match=words):
        expand(grid(**fields))


def test_the_built_in_suites_load_and_quick_is_the_ci_variant():
    full, quick = load_suite("web-ai"), load_suite("web-ai", quick=True)
    assert quick.name == "web-ai-quick" and len(quick.specs) < len(full.specs)
    # The smallest encoder and LLM (and that LLM quantised, on wllama), short sequences.
    assert {(s.model, s.width) for s in quick.specs} == {("encoder:bert-tiny", 16), ("encoder:bert-tiny-q8", 16),
                                                          ("llm:15M", 32), ("llm:15M-q8_0", 32), ("image:MobileNetV2", 96)}
    assert {s.framework for s in quick.specs if s.model == "llm:15M-q8_0"} == {"wllama"}
    text = [s for s in full.specs if s.task != "classify"]  # the image grid: tests/test_webai_image.py
    assert {(s.runtime, s.framework) for s in text} == {
        ("browser", "transformersjs"), ("browser", "onnxruntime_web"), ("browser", "wllama"), ("native", "onnxruntime"),
        ("native", "pytorch"), ("native", "llamacpp")}
    assert {s.width for s in text} == {16, 128, 512} and {s.threads for s in text} == {1, 2}
    assert {s.model for s in text if s.task == "embed"} == {"encoder:bert-tiny", "encoder:MiniLM-L6",
                                                            "encoder:MiniLM-L6-q8", "encoder:MiniLM-L6-fp16"}
    assert {s.model for s in text if s.task == "generate"} == {"llm:15M", "llm:110M", "llm:15M-q8_0", "llm:110M-q8_0"}
    assert {s.framework for s in text if s.model.endswith("-q8_0")} == {"wllama", "llamacpp"}
    assert {s.backend for s in text if s.runtime == "browser"} == {"wasm", "webgpu", "webnn"}


def test_only_the_rq4_runtimes_run_the_encoders():
    kind = WEBAI_KINDS["encoder:bert-tiny"]
    assert unsupported_reason(kind, "transformersjs", "browser") == ""
    assert unsupported_reason(kind, "pytorch", "native") == ""
    assert "tensorflow does not run the BERT-Tiny encoder" in unsupported_reason(kind, "tensorflow", "native")
    assert "embed" in native.RUNTIMES["onnxruntime"].backends["cpu"]
    assert "embed" not in native.RUNTIMES["onnxruntime"].backends["gpu"]
    assert frameworks.FRAMEWORKS["transformersjs"].tasks() == {"embed", "generate", "classify"}
    assert "transformersjs" not in frameworks.surveyed() and "onnxruntime_web" in frameworks.surveyed()


def _reference(rows=4, width=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(rows, width)) + 0.5


def _reply(outputs, cold_outputs=None, first=None):
    return {"outputs": [list(map(float, r)) for r in outputs],
            "cold_outputs": [list(map(float, r)) for r in (outputs if cold_outputs is None else cold_outputs)],
            "warmup_output": list(map(float, (outputs[0] if first is None else first)))}


def test_the_embedding_check_passes_for_the_reference_and_fails_for_the_wrong_inputs():
    reference = _reference()
    ok = checks.check_embeddings([_reply(reference + 1e-6)], reference)
    assert ok["passed"] and ok["min_cosine"] > 0.999999 and ok["cross_input_max_cosine"] < MIN_COSINE
    shuffled = checks.check_embeddings([_reply(reference[[1, 0, 3, 2]])], reference)
    assert not shuffled["passed"] and "cosine similarity with PyTorch's" in shuffled["reason"]
    # Only the cold visit (or only its first embedding) wrong: still a failure.
    cold = checks.check_embeddings([_reply(reference, cold_outputs=-reference)], reference)
    first = checks.check_embeddings([_reply(reference, first=reference[1])], reference)
    assert not cold["passed"] and not first["passed"]
    short = checks.check_embeddings([_reply(reference[:, :4])], reference)
    assert not short["passed"] and "lengths [4]" in short["reason"]
    nothing = {"outputs": [], "cold_outputs": [], "warmup_output": []}
    assert not checks.check_embeddings([nothing], reference)["passed"]


@pytest.mark.parametrize("quantised", [False, True])
def test_an_embedding_of_zeros_or_nan_fails_instead_of_having_no_cosine(quantised):
    # A cosine of zeros is 0/0 and NaN compares false: without its own rule such an embedding
    # passed with a "minimum cosine" of 1.0 (ORT Web's WebGPU fp16 encoder did).
    reference = _reference()
    zeros = reference.copy()
    zeros[2] = 0.0
    nan = reference.copy()
    nan[1, 3] = np.nan
    for outputs, words in ((zeros, "embedding 2 is all zeros (1 of 4)"), (nan, "embedding 1 has nan at position 3")):
        check = checks.check_embeddings([_reply(reference, cold_outputs=outputs)], reference, quantised=quantised)
        assert not check["passed"] and words in check["reason"], check


def test_a_replicate_takes_its_load_and_first_inference_from_the_cold_visit():
    def page(visit, load, first, steady):
        return {"page": visit, "outcome": "ok", "error": "", "outputs": [[float(load)]], "losses": [],
                "warmup_output": [float(first)], "environment": {"visit": visit}, "page_facts": {},
                "sampling": {"harness_ms": {"page": load}}, "info": {"visit": visit},
                "metrics": {**({"cold_load_ms": [load], "first_infer_ms": [first]} if visit == "cold" else
                               {"warm_load_ms": [load], "warmup_ms": [first], "infer_ms": steady}),
                            "cpu_renderer_pct": [1.0 if visit == "cold" else 2.0]}}
    merged = webai.merge_visits(page("cold", 900, 50, []), page("warm", 300, 20, [1.0, 1.1]))
    assert merged["metrics"] == {"cold_load_ms": [900], "first_infer_ms": [50], "warm_load_ms": [300],
                                 "warmup_ms": [20], "infer_ms": [1.0, 1.1], "cpu_renderer_pct": [2.0]}
    assert merged["warmup_output"] == [50.0] and merged["cold_outputs"] == [[900.0]] and merged["outputs"] == [[300.0]]
    assert merged["info"]["visit"] == "warm" and merged["info"]["cold_visit"]["visit"] == "cold"
    assert contract.validate_reply({k: v for k, v in merged.items() if k in contract.REPLY_FIELDS}) == ""


def test_the_cache_key_changes_with_what_makes_the_model():
    tiny, minilm = WEBAI_KINDS["encoder:bert-tiny"], WEBAI_KINDS["encoder:MiniLM-L6"]
    key = artifacts.artifact_key(tiny, 0)
    assert key == artifacts.artifact_key(tiny, 0) and key.startswith("encoder-bert-tiny-s0-")
    assert len({key, artifacts.artifact_key(tiny, 1), artifacts.artifact_key(minilm, 0)}) == 3
    assert artifacts.CACHE_FOLDER.startswith("models/")  # served no-store: only a runtime's cache keeps it


# -- analysis ---------------------------------------------------------------------------------------------
def _summary(rows):
    """Summary rows (one per spec) of infer_ms, and their replicate medians."""
    summary, replicates = [], []
    for i, (runtime, framework, backend, threads, model, width, values) in enumerate(rows):
        spec = f"s{i}"
        summary.append({"runtime": runtime, "framework": framework, "backend": backend, "threads": threads,
                        "model": model, "width": width, "depth": WEBAI_KINDS[model].geometry.layers, "task": "embed",
                        "seed": 0, "batch": 1, "metric": "infer_ms", "outcome": "ok", "n": 50,
                        "median": float(np.median(values)), "spec_hash": spec})
        replicates += [{"spec_hash": spec, "metric": "infer_ms", "replicate": str(j), "value": v}
                       for j, v in enumerate(values)]
    return pd.DataFrame(summary), pd.DataFrame(replicates)


def test_ratios_pair_wasm_by_threads_and_webgpu_with_every_native():
    summary, replicates = _summary([
        ("browser", "onnxruntime_web", "wasm", 1, "encoder:bert-tiny", 16, [2.0, 2.1, 1.9]),
        ("browser", "onnxruntime_web", "webgpu", 1, "encoder:bert-tiny", 16, [40.0, 41.0, 39.0]),
        ("native", "onnxruntime", "cpu", 1, "encoder:bert-tiny", 16, [0.50, 0.51, 0.49]),
        ("native", "onnxruntime", "cpu", 2, "encoder:bert-tiny", 16, [0.30, 0.31, 0.29]),
        ("native", "pytorch", "cpu", 1, "encoder:bert-tiny", 128, [9.0, 9.1, 8.9]),  # other work: no pair
    ])
    ratios = today.native_ratios(summary, replicates)
    pairs = {(r.browser_backend, r.native_threads) for r in ratios.itertuples()}
    assert pairs == {("wasm", 1), ("webgpu", 1), ("webgpu", 2)}
    wasm = ratios[ratios["browser_backend"] == "wasm"].iloc[0]
    assert wasm["ratio"] == pytest.approx(4.0) and wasm["pct_of_native"] == pytest.approx(25.0)
    assert wasm["ratio_ci_low"] < 4.0 < wasm["ratio_ci_high"] and "browser is slower than native" in wasm["comparison"]


def test_the_crossover_is_the_first_size_where_webgpu_is_significantly_faster():
    def rows(gpu_large):
        return [("browser", "transformersjs", "wasm", 1, "encoder:bert-tiny", 16, [2.0, 2.2, 1.8]),
                ("browser", "transformersjs", "wasm", 2, "encoder:bert-tiny", 16, [1.5, 1.6, 1.4]),
                ("browser", "transformersjs", "webgpu", 1, "encoder:bert-tiny", 16, [30.0, 31.0, 29.0]),
                ("browser", "transformersjs", "wasm", 1, "encoder:MiniLM-L6", 512, [900.0, 910.0, 890.0]),
                ("browser", "transformersjs", "webgpu", 1, "encoder:MiniLM-L6", 512, gpu_large)]
    table, verdicts = today.crossover(*_summary(rows([300.0, 310.0, 290.0])))
    assert verdicts["transformersjs"]["crossover"] == {"model": "encoder:MiniLM-L6", "width": 512}
    assert list(table["model"]) == ["encoder:bert-tiny", "encoder:MiniLM-L6"]  # in order of work
    assert table.iloc[0]["wasm_threads"] == 2  # against the fastest wasm result
    _, slower = today.crossover(*_summary(rows([1900.0, 1910.0, 1890.0])))
    assert slower["transformersjs"]["crossover"] is None
    assert slower["transformersjs"]["largest"] == {"model": "encoder:MiniLM-L6", "width": 512}
