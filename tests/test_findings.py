"""The paper's findings judged from data (webdlbench.analysis.findings): for each finding, small
synthetic measurements (summary rows and the replicate medians behind them) on which it holds, on
which it differs, and on which it cannot be judged (not tested here, or inconclusive)."""
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from webdlbench.analysis import compare
from webdlbench.analysis import findings as f
from webdlbench.analysis.findings import complexity
from webdlbench.analysis.stats import SUMMARY_COLUMNS
from webdlbench.frameworks import FRAMEWORKS

SOFTWARE = {"webgl_renderer": "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)",
            "webgpu_adapter": {"vendor": "google", "architecture": "swiftshader", "is_fallback": True,
                               "max_buffer_size": 1 << 30}, "cpu_count": 4}
STANDALONE = {"webgl_renderer": "ANGLE (NVIDIA, Vulkan 1.4.312 (NVIDIA H200 (0x2335)), NVIDIA)",
              "webgpu_adapter": {"vendor": "nvidia", "architecture": "", "is_fallback": False,
                                 "max_buffer_size": 4 << 30}, "cpu_count": 16, "gpu_memory_total_bytes": 141 << 30}
INTEGRATED = {"webgl_renderer": "ANGLE (Intel, Intel(R) UHD Graphics 630 (0x00003E9B) Direct3D11 vs_5_0 ps_5_0)",
              "webgpu_adapter": {"vendor": "intel", "architecture": "gen-9", "is_fallback": False}, "cpu_count": 8}
FORMATS = {name: fw.model_format for name, fw in FRAMEWORKS.items()}
NOW = datetime(2026, 11, 30, tzinfo=timezone.utc).timestamp()


class Measured:
    """Summary rows and their replicate medians, made together: each spec's replicates spread
    log-symmetrically (by `spread`) around its centre, the centre and 95% CI computed from them as
    the summary does (geometric mean, t over replicates)."""

    def __init__(self):
        self.rows, self.replicates = [], []

    def add(self, framework, backend, task, depth, width, metric, centre, spread=0.02, replicates=5,
            runtime="browser", model="mlp", outcome="ok", error="", unit="ms", **extra):
        spec_hash = f"{runtime}-{framework}-{backend}-{task}-{model}-{depth}-{width}"
        values = centre * np.exp(spread * np.linspace(-1, 1, replicates)) if replicates > 1 else np.array([centre])
        estimate = compare.level_test(values)
        low, high = estimate.interval() if estimate else (centre, centre)
        row = {c: None for c in SUMMARY_COLUMNS}
        row.update(framework=framework, backend=backend, task=task, model=model, depth=depth, width=width,
                   batch=64 if task == "train" else 1, runtime=runtime, threads=1, seed=0, spec_hash=spec_hash,
                   metric=metric, unit=unit, n=10 * replicates if replicates else 0,
                   median=float(np.exp(np.log(values).mean())) if replicates else float("nan"), ci_low=low,
                   ci_high=high, mean=centre, stdev=0.0, min=float(values.min()), max=float(values.max()),
                   unstable=False, outcome=outcome, error=error, results=1, ci_method="t over replicate medians",
                   unstable_reason="", replicates=replicates, **extra)
        self.rows.append(row)
        self.replicates += [{"spec_hash": spec_hash, "metric": metric, "replicate": str(i), "value": float(v)}
                            for i, v in enumerate(values)]
        return self

    def failed(self, framework, backend, task, depth, width, error, model="mlp", outcome="error"):
        return self.add(framework, backend, task, depth, width, "", float("nan"), replicates=0, model=model,
                        outcome=outcome, error=error)

    def grid(self, framework, backend, task, metric, time, depths=(1, 2, 4), widths=(64, 128, 256), **kw):
        for d in depths:
            for w in widths:
                self.add(framework, backend, task, d, w, metric, time(d, w), **kw)
        return self

    def data(self, fingerprint=None, survey=None) -> f.FindingData:
        columns = list(dict.fromkeys([*SUMMARY_COLUMNS, "replicates"]))
        return f.FindingData(pd.DataFrame(self.rows, columns=columns), fingerprint or {}, survey,
                             pd.DataFrame(self.replicates, columns=compare.REPLICATE_COLUMNS), NOW)


def empty(fingerprint=None, survey=None) -> f.FindingData:
    return Measured().data(fingerprint, survey)


def assert_untested(finding, suite_word):
    assert finding.verdict == f.NOT_TESTED and suite_word in finding.fill


# -- the verdict rule itself ----------------------------------------------------------------------------------
def test_parts_combine_and_a_holding_part_beside_an_untested_one_is_partly_tested():
    assert f.combine([f.Part(f.HOLDS, "a."), f.Part(f.NOT_TESTED, "b.")]) == (f.PARTLY, "a. b.")
    assert f.combine([f.Part(f.HOLDS, "a."), f.Part(f.INCONCLUSIVE, "b.")])[0] == f.PARTLY
    assert f.combine([f.Part(f.HOLDS, "a."), f.Part(f.HOLDS, "b.")])[0] == f.HOLDS
    assert f.combine([f.Part(f.HOLDS, "a."), f.Part(f.DIFFERS, "b."), f.Part(f.NOT_TESTED, "c.")])[0] == f.DIFFERS
    assert f.combine([f.Part(f.INCONCLUSIVE, "a."), f.Part(f.NOT_TESTED, "b.")])[0] == f.INCONCLUSIVE
    assert f.combine([f.Part(f.NOT_TESTED, "a.")])[0] == f.NOT_TESTED


@pytest.mark.parametrize("supports,contradicts,total,verdict", [(3, 0, 5, f.HOLDS), (2, 2, 4, f.DIFFERS),
                                                                (2, 1, 4, f.INCONCLUSIVE), (0, 0, 0, f.NOT_TESTED),
                                                                (1, 0, 3, f.INCONCLUSIVE)])
def test_units_tally_into_a_part(supports, contradicts, total, verdict):
    assert f.tally(supports, contradicts, total) == verdict


def test_every_finding_is_judged_and_says_its_rule():
    judged = f.judge_all(empty(), FORMATS)
    assert [x.number for x in judged] == list(range(1, 9))
    assert all(x.verdict == f.NOT_TESTED and x.rule == f.RULES[x.number] and x.fill for x in judged)
    assert [x.name for x in judged][:2] == ["Specific DL Tasks Support", "Model Complexity"]


# -- 1 ---------------------------------------------------------------------------------------------------
def registry(latest: str, answered=True, npm=True, package="pkg"):
    times = {"0.1.0": "2016-01-01T00:00:00.000Z", "1.0.0": latest}
    if npm:
        times.update(created="2015-12-31T00:00:00.000Z", modified=latest)
    return {"package": package, "answered": answered, "time": times if answered else None, "asked_at": NOW,
            "error": "" if answered else "npm error code ENOTFOUND"}


def survey_facts(caps: dict, published: dict | None = None) -> dict:
    facts = {}
    for name, (train, dnn, cnn, rnn) in caps.items():
        tasks = ["train", "infer"] if train is not None else ["infer"]
        facts[name] = {"title": name, "declared": {"backends": {"cpu": tasks}},
                       "probe": {"describe": {"network_types": {"DNN": {"supported": dnn}, "CNN": {"supported": cnn},
                                                                "RNN": {"supported": rnn}}}},
                       "specs": [{"task": "train", "outcome": "ok" if train else "error"}] if train is not None else [],
                       "registry": (published or {}).get(name)}
    return facts


SPECIFIC = {"tfjs": (True, True, True, True), "convnetjs": (True, True, True, False),
            "brainjs": (True, True, False, True), "kerasjs": (None, True, True, True)}
RECENT, OLD = "2026-09-01T10:00:00.000Z", "2016-11-25T00:00:00.000Z"


def test_task_support_and_maintenance_hold():
    held = f.judge_task_support(empty(survey=survey_facts(SPECIFIC, {
        "tfjs": registry(RECENT), "convnetjs": registry(OLD), "brainjs": registry(RECENT)})))
    assert held.verdict == f.HOLDS and "3 of 4" in held.how and "2 of 3 frameworks published" in held.how
    assert any("1.0.0 published 2026-09-01" in e.text and "90 days" in e.text for e in held.evidence)


def test_task_support_differs_when_general_purpose_or_unmaintained():
    general = {"tfjs": (True, True, True, True), "brainjs": (True, True, True, True),
               "mind": (True, True, False, False)}
    differs = f.judge_task_support(empty(survey=survey_facts(general, {"tfjs": registry(RECENT)})))
    assert differs.verdict == f.DIFFERS and "Only 1 of 3" in differs.how
    stale = f.judge_task_support(empty(survey=survey_facts(SPECIFIC, {n: registry(OLD) for n in SPECIFIC})))
    assert stale.verdict == f.DIFFERS and "only 0 of 4 frameworks published" in stale.how
    narrow_tfjs = survey_facts({"tfjs": (True, True, True, False), "convnetjs": (True, True, True, False)})
    assert f.judge_task_support(empty(survey=narrow_tfjs)).verdict == f.DIFFERS


def test_maintenance_is_not_tested_without_npms_publish_dates():
    mirror = {n: registry(RECENT, npm=False) for n in SPECIFIC}  # a mirror's copy times: no created/modified
    partly = f.judge_task_support(empty(survey=survey_facts(SPECIFIC, mirror)))
    assert partly.verdict == f.PARTLY and "not npm's publish dates" in partly.how and "registry" in partly.fill
    offline = f.judge_task_support(empty(survey=survey_facts(SPECIFIC, {"tfjs": registry(RECENT, answered=False)})))
    assert offline.verdict == f.PARTLY and "did not answer (npm error code ENOTFOUND)" in offline.how
    assert_untested(f.judge_task_support(empty()), "survey")


def test_publish_dates_after_the_survey_or_before_creation_are_refused():
    future = registry("2027-06-01T00:00:00.000Z")
    assert f.last_publish(future) == (None, "publish dates before the package's creation or after the survey: not "
                                            "npm's publish dates")
    assert f.last_publish(None)[0] is None
    published, why = f.last_publish(registry(RECENT))
    assert published == datetime(2026, 9, 1, 10, tzinfo=timezone.utc).timestamp() and "1.0.0" in why


def test_unknown_capabilities_are_not_counted():
    facts = survey_facts({"tfjs": (True, True, True, True), "webdnn": (True, None, True, True)})
    caps = f.framework_capabilities(facts)
    assert caps["webdnn"]["DNN"] is None and caps["tfjs"]["train"] is True
    finding = f.judge_task_support(empty(survey=facts))
    assert finding.verdict == f.DIFFERS and "Not counted" in finding.how and "webdnn" in finding.how


# -- 2 ---------------------------------------------------------------------------------------------------
def flops_time(ms_per_mflop, ms_per_layer=0.0, fixed=0.05, task="train"):
    return lambda d, w: fixed + ms_per_mflop * complexity.mlp_flops(task, d, w, 64 if task == "train" else 1) / 1e6 \
        + ms_per_layer * d


def test_model_complexity_holds_when_time_follows_flops():
    measured = Measured().grid("tfjs", "cpu", "train", "train_batch_ms", flops_time(0.05))
    measured.grid("tfjs", "cpu", "infer", "infer_ms", flops_time(0.5, task="infer"))
    finding = f.judge_model_complexity(measured.data())
    assert finding.verdict == f.HOLDS, finding.how
    assert "Training: 1 of 1 series grow faster with width" in finding.how
    text = finding.evidence[0].text
    assert "per doubling at 2×128: width ×2.2" in text and "ms per layer beyond its FLOPs" in text
    assert finding.evidence[0].link == "fig1" and finding.evidence[1].link == "fig4"


def test_model_complexity_differs_when_layers_cost_beyond_their_flops():
    measured = Measured().grid("tfjs", "webgl", "infer", "infer_ms", flops_time(0.001, ms_per_layer=2.0, task="infer"))
    finding = f.judge_model_complexity(measured.data())
    assert finding.verdict == f.DIFFERS and "depth dominates for tfjs/webgl" in finding.how
    fit = complexity.fit_time([1, 2, 4, 1, 2, 4], [64, 64, 64, 128, 128, 128],
                              [flops_time(0.001, 2.0, task="infer")(d, w) for d, w in
                               zip([1, 2, 4, 1, 2, 4], [64, 64, 64, 128, 128, 128])], "infer", 1)
    assert fit[2] == pytest.approx(2.0) and fit[0] == pytest.approx(0.05)  # the per-layer cost, recovered


def test_model_complexity_cannot_judge_too_few_models_or_noisy_ones():
    few = Measured().grid("tfjs", "cpu", "train", "train_batch_ms", flops_time(0.05), depths=(1,))
    assert_untested(f.judge_model_complexity(few.data()), "paper-training")
    # Width and depth about as costly, with noisy replicates: no series is decided.
    balanced = Measured().grid("tfjs", "cpu", "infer", "infer_ms", flops_time(1.0, ms_per_layer=0.12, task="infer"),
                               spread=0.3, replicates=3)
    finding = f.judge_model_complexity(balanced.data())
    assert finding.verdict == f.INCONCLUSIVE and "1 undecided" in finding.how and "replicates" in finding.fill


# -- 3 ---------------------------------------------------------------------------------------------------
def loading(measured, load, warm, infer, model="mlp", depths=(1, 2), replicates=5):
    for depth in depths:
        for metric, value in (("load_ms", load), ("warmup_ms", warm), ("infer_ms", infer)):
            measured.add("tfjs", "webgl", "infer", depth, 64, metric, value, model=model, replicates=replicates)
    return measured


def test_model_loading_holds_in_every_class_but_the_gpu_half_is_untested():
    finding = f.judge_model_loading(loading(loading(Measured(), 20.0, 300.0, 2.0), 50, 500.0, 3.0, model="lstm").data())
    assert finding.verdict == f.PARTLY and "MLPs: 2 of 2 specs" in finding.how and "LSTMs: 2 of 2" in finding.how
    assert "two environments" in finding.fill and finding.evidence[0].link == "fig2"
    assert "95% CI over 5 pages" in finding.evidence[0].text


def test_model_loading_differs_for_a_class_where_inference_dominates():
    finding = f.judge_model_loading(loading(loading(Measured(), 20.0, 300.0, 2.0), 5.0, 10.0, 2.0,
                                            model="lstm").data())
    assert finding.verdict == f.DIFFERS and "LSTMs: 0 of 2 specs" in finding.how and "2 less" in finding.how


def test_model_loading_cannot_judge_one_page_or_no_phases():
    one_page = f.judge_model_loading(loading(Measured(), 20.0, 300.0, 2.0, replicates=1).data())
    assert one_page.verdict == f.INCONCLUSIVE and "2 undecided" in one_page.how
    partial = Measured().add("tfjs", "webgl", "infer", 1, 64, "load_ms", 5.0)
    assert_untested(f.judge_model_loading(partial.data()), "paper-inference")


# -- 4 and 5 -----------------------------------------------------------------------------------------------
def pretrained(browser_ms, native_gpu_ms, native_cpu_ms, spread=0.02):
    measured = Measured()
    for model in ("keras:MobileNetV2", "keras:ResNet50"):
        measured.add("tfjs", "webgl", "infer", 1, 224, "infer_ms", browser_ms, model=model, spread=spread)
        measured.add("tensorflow", "gpu", "infer", 1, 224, "infer_ms", native_gpu_ms, model=model, runtime="native")
        measured.add("tensorflow", "cpu", "infer", 1, 224, "infer_ms", native_cpu_ms, model=model, runtime="native")
    return measured


def test_gpu_vs_native_gpu_on_a_standalone_card():
    held = f.judge_gpu_vs_native_gpu(pretrained(15.0, 10.0, 100.0).data(STANDALONE))
    assert held.verdict == f.HOLDS and "2 of 2 model/backend pairs are within 2x" in held.how
    assert "ratio 1.5 (95% CI" in held.evidence[0].text
    differs = f.judge_gpu_vs_native_gpu(pretrained(50.0, 10.0, 100.0).data(STANDALONE))
    assert differs.verdict == f.DIFFERS and "2 beyond it" in differs.how
    close = f.judge_gpu_vs_native_gpu(pretrained(20.0, 10.0, 100.0, spread=0.5).data(STANDALONE))
    assert close.verdict == f.INCONCLUSIVE
    for fingerprint, why in ((SOFTWARE, "SwiftShader"), (INTEGRATED, "integrated graphics")):
        untested = f.judge_gpu_vs_native_gpu(pretrained(15.0, 10.0, 100.0).data(fingerprint))
        assert untested.verdict == f.NOT_TESTED and why in untested.how
    mlp_only = Measured().grid("tfjs", "webgl", "infer", "infer_ms", lambda d, w: 1.0)
    assert_untested(f.judge_gpu_vs_native_gpu(mlp_only.data(STANDALONE)), "paper-pretrained")


def test_gpu_vs_native_cpu_only_on_integrated_graphics():
    held = f.judge_gpu_vs_native_cpu(pretrained(15.0, 10.0, 100.0).data(INTEGRATED))
    assert held.verdict == f.HOLDS and "2 of 2 configurations run faster" in held.how
    assert held.evidence[0].link == "fig5"
    differs = f.judge_gpu_vs_native_cpu(pretrained(150.0, 10.0, 100.0).data(INTEGRATED))
    assert differs.verdict == f.DIFFERS and "2 slower" in differs.how
    standalone = f.judge_gpu_vs_native_cpu(pretrained(15.0, 10.0, 100.0).data(STANDALONE))
    assert standalone.verdict == f.NOT_TESTED and "No integrated graphics" in standalone.how
    assert_untested(f.judge_gpu_vs_native_cpu(empty(INTEGRATED)), "integrated graphics")
    one_replicate = Measured()
    one_replicate.add("tfjs", "webgl", "infer", 1, 64, "infer_ms", 1.0, replicates=1)
    one_replicate.add("tensorflow", "cpu", "infer", 1, 64, "infer_ms", 9.0, runtime="native", replicates=1)
    undecided = f.judge_gpu_vs_native_cpu(one_replicate.data(INTEGRATED))
    assert undecided.verdict == f.INCONCLUSIVE and "fewer than 2 replicates" in undecided.evidence[0].text


def test_gpu_kinds_from_the_fingerprint():
    assert f.gpu_kind(STANDALONE, "webgl")[0] == "standalone" and f.gpu_kind(INTEGRATED, "webgl")[0] == "integrated"
    assert f.gpu_kind(SOFTWARE, "webgpu")[0] == "software" and f.gpu_kind({}, "webgl")[0] == "software"
    typed = {"webgpu_adapter": {"vendor": "amd", "type": "discrete GPU"}}
    assert f.gpu_kind(typed, "webgpu")[0] == "standalone"
    assert f.gpu_kind({"webgl_renderer": "ANGLE (Moore Threads MTT S80)"}, "webgl")[0] == "unknown"
    assert f.hardware_gpu({}, "webgl") == (False, "no WebGL renderer recorded")


# -- 6 ---------------------------------------------------------------------------------------------------
def encodings(json_over_binary, json_load, binary_load=20.0):
    measured = Measured()
    for width in (64, 128):
        measured.add("tfjs", "cpu", "infer", 1, width, "model_binary_bytes", 100_000.0 * width, replicates=1,
                     unit="bytes")
        measured.add("tfjs", "cpu", "infer", 1, width, "model_json_bytes", json_over_binary * 100_000.0 * width,
                     replicates=1, unit="bytes")
        measured.add("tfjs", "cpu", "infer", 1, width, "load_binary_ms", binary_load)
        measured.add("tfjs", "cpu", "infer", 1, width, "load_json_ms", json_load)
    return measured


def test_file_encoding_holds_for_one_frameworks_two_encodings():
    held = f.judge_file_encoding(encodings(7.2, 60.0).data(), FORMATS)
    assert held.verdict == f.HOLDS and "2 of 2 models' JSON files are at least 5.6x" in held.how
    assert "tfjs: JSON / binary file of the same weights 7.20–7.20x" in held.evidence[0].text
    assert any("JSON load / binary load is above 1.25×" in e.text for e in held.evidence)


def test_file_encoding_differs_when_json_is_smaller_than_the_paper_says_or_loads_as_fast():
    small = f.judge_file_encoding(encodings(4.5, 60.0).data(), FORMATS)
    assert small.verdict == f.DIFFERS and "0 of 2 models' JSON files" in small.how
    fast = f.judge_file_encoding(encodings(7.2, 20.5).data(), FORMATS)
    assert fast.verdict == f.DIFFERS and "0 of 2 models load at least 1.25x slower" in fast.how


def test_file_encoding_is_not_judged_across_frameworks():
    measured = Measured()
    for fw, size in (("tfjs", 100_000.0), ("convnetjs", 700_000.0)):
        measured.add(fw, "cpu", "infer", 1, 64, "model_file_bytes", size, replicates=1, unit="bytes")
    finding = f.judge_file_encoding(measured.data(), FORMATS)
    assert finding.verdict == f.NOT_TESTED and "model_json_bytes" in finding.fill
    assert "for reference, not judged" in finding.evidence[0].text and "7.00–7.00x" in finding.evidence[0].text
    noisy = f.judge_file_encoding(encodings(7.2, 25.0, 20.0).data(), FORMATS)
    assert noisy.verdict == f.PARTLY  # sizes hold; a 1.25x load ratio is neither above nor below 1.25x


# -- 7 ---------------------------------------------------------------------------------------------------
def stacks(tfjs_depth, convnet_depth, times: dict):
    measured = Measured()
    for width in (64, 128):
        measured.add("tfjs", "cpu", "train", 1, width, "max_stack_depth", tfjs_depth, replicates=1, unit="frames")
        measured.add("convnetjs", "cpu", "train", 1, width, "max_stack_depth", convnet_depth, replicates=1,
                     unit="frames")
        for (fw, backend), ms in times.items():
            measured.add(fw, backend, "train", 1, width, "train_batch_ms", ms)
    return measured


def test_call_stack_holds_when_every_tfjs_backend_trains_slower():
    held = f.judge_call_stack(stacks(50, 8, {("tfjs", "cpu"): 40.0, ("tfjs", "wasm"): 30.0,
                                             ("convnetjs", "cpu"): 20.0}).data())
    assert held.verdict == f.HOLDS and "6.25x ConvNetJS's" in held.how and "TF.js wasm: 2 of 2" in held.how
    assert "deepest stack, tfjs/cpu: 50 frames over 2 profiled specs (paper, tfjs: 48)" in held.evidence[1].text
    assert any("TF.js cpu is slower than ConvNetJS by" in e.text for e in held.evidence)


def test_call_stack_differs_on_a_faster_backend_or_a_shallow_stack():
    wasm_faster = f.judge_call_stack(stacks(50, 8, {("tfjs", "cpu"): 40.0, ("tfjs", "wasm"): 10.0,
                                                    ("convnetjs", "cpu"): 20.0}).data())
    assert wasm_faster.verdict == f.DIFFERS and "TF.js wasm: 0 of 2 models train slower" in wasm_faster.how
    assert any("TF.js wasm is faster than ConvNetJS by" in e.text for e in wasm_faster.evidence)
    shallow = f.judge_call_stack(stacks(10, 8, {("tfjs", "cpu"): 40.0, ("convnetjs", "cpu"): 20.0}).data())
    assert shallow.verdict == f.DIFFERS and "only 1.25x" in shallow.how


def test_call_stack_cannot_judge_equal_times_or_no_data():
    equal = f.judge_call_stack(stacks(50, 8, {("tfjs", "cpu"): 20.1, ("convnetjs", "cpu"): 20.0}).data())
    assert equal.verdict == f.PARTLY and "2 undecided" in equal.how
    assert any("no significant difference" in e.text for e in equal.evidence)
    assert_untested(f.judge_call_stack(empty()), "paper-training")


def test_ci_text_counts_replicates_where_known():
    row = {"median": 4.2, "ci_low": 4.1, "ci_high": 4.3, "n": 40, "replicates": 5}
    assert f.ci_text(row) == "4.20 ms (95% CI 4.10–4.30, 5 replicates)"
    assert f.ci_text({**row, "replicates": float("nan")}).endswith("n = 40)")
