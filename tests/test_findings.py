"""The paper's findings judged from data (webdlbench.analysis.findings): for each finding, a small
synthetic frame where it holds, one where it differs, and one with no data."""
import pandas as pd
import pytest

from webdlbench.analysis import findings as f
from webdlbench.analysis.stats import SUMMARY_COLUMNS
from webdlbench.frameworks import FRAMEWORKS

SOFTWARE = {"webgl_renderer": "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)",
            "webgpu_adapter": {"vendor": "google", "architecture": "swiftshader", "is_fallback": True,
                               "max_buffer_size": 1 << 30}, "cpu_count": 4}
HARDWARE = {"webgl_renderer": "ANGLE (NVIDIA, Vulkan 1.4.312 (NVIDIA H200 (0x2335)), NVIDIA)",
            "webgpu_adapter": {"vendor": "nvidia", "architecture": "", "is_fallback": False,
                               "max_buffer_size": 4 << 30}, "cpu_count": 16}
FORMATS = {name: fw.model_format for name, fw in FRAMEWORKS.items()}


def row(framework, backend, task, depth, width, metric, median, spread=0.05, n=20, runtime="browser", model="mlp",
        outcome="ok", error="", **extra):
    low, high = median * (1 - spread), median * (1 + spread)
    base = {c: None for c in SUMMARY_COLUMNS}
    base.update(framework=framework, backend=backend, task=task, model=model, depth=depth, width=width,
                batch=64 if task == "train" else 1, runtime=runtime, threads=1, seed=0,
                spec_hash=f"{runtime}-{framework}-{backend}-{task}-{model}-{depth}-{width}", metric=metric,
                unit="ms", n=n, median=median, ci_low=low, ci_high=high, mean=median, stdev=0.0, min=low,
                max=extra.pop("max", high), unstable=False, outcome=outcome, error=error, results=1,
                ci_method="binomial order statistics", unstable_reason="")
    base.update(extra)
    return base


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def data(rows=(), fingerprint=None, survey=None) -> f.FindingData:
    return f.FindingData(frame(list(rows)), fingerprint or {}, survey)


def grid(framework, backend, task, metric, time, depths=(1, 2, 4), widths=(64, 128, 256), **kw):
    return [row(framework, backend, task, d, w, metric, time(d, w), **kw) for d in depths for w in widths]


def assert_untested(finding, suite_word):
    assert finding.verdict == f.NOT_TESTED and suite_word in finding.fill and finding.evidence == []


# -- the verdict rule itself ----------------------------------------------------------------------------------
def test_parts_combine_differs_over_holds_over_untested():
    assert f.combine([f.Part(f.HOLDS, "a."), f.Part(f.NOT_TESTED, "b.")]) == (f.HOLDS, "a. b.")
    assert f.combine([f.Part(f.HOLDS, "a."), f.Part(f.DIFFERS, "b.")])[0] == f.DIFFERS
    assert f.combine([f.Part(f.NOT_TESTED, "a.")])[0] == f.NOT_TESTED


def test_every_finding_is_judged_and_says_its_rule():
    judged = f.judge_all(data(), FORMATS)
    assert [x.number for x in judged] == list(range(1, 9))
    assert all(x.verdict == f.NOT_TESTED and x.rule == f.RULES[x.number] and x.fill for x in judged)
    assert [x.name for x in judged][:2] == ["Specific DL Tasks Support", "Model Complexity"]


# -- 1 ---------------------------------------------------------------------------------------------------
def survey_facts(caps: dict) -> dict:
    facts = {}
    for name, (train, dnn, cnn, rnn) in caps.items():
        tasks = ["train", "infer"] if train is not None else ["infer"]
        facts[name] = {"title": name, "declared": {"backends": {"cpu": tasks}},
                       "probe": {"describe": {"network_types": {"DNN": {"supported": dnn}, "CNN": {"supported": cnn},
                                                                "RNN": {"supported": rnn}}}},
                       "specs": [{"task": "train", "outcome": "ok" if train else "error"}] if train is not None else []}
    return facts


def test_task_support_holds_differs_untested():
    specific = survey_facts({"tfjs": (True, True, True, True), "convnetjs": (True, True, True, False),
                             "brainjs": (True, True, False, True), "kerasjs": (None, True, True, True)})
    held = f.judge_task_support(data(survey=specific))
    assert held.verdict == f.HOLDS and "3 of 4" in held.how and len(held.evidence) == 4
    general = survey_facts({"tfjs": (True, True, True, True), "brainjs": (True, True, True, True),
                            "mind": (True, True, False, False)})
    differs = f.judge_task_support(data(survey=general))
    assert differs.verdict == f.DIFFERS and "Only 1 of 3" in differs.how
    no_tfjs = f.judge_task_support(data(survey=survey_facts({"convnetjs": (True, True, True, False)})))
    assert no_tfjs.verdict == f.HOLDS and "not known" in no_tfjs.how and "--frameworks tfjs" in no_tfjs.fill
    narrow_tfjs = survey_facts({"tfjs": (True, True, True, False), "convnetjs": (True, True, True, False)})
    assert f.judge_task_support(data(survey=narrow_tfjs)).verdict == f.DIFFERS
    assert_untested(f.judge_task_support(data()), "survey")


def test_unknown_capabilities_are_not_counted():
    facts = survey_facts({"tfjs": (True, True, True, True), "webdnn": (True, None, True, True)})
    caps = f.framework_capabilities(facts)
    assert caps["webdnn"]["DNN"] is None and caps["kerasjs" if "kerasjs" in caps else "tfjs"]["train"] is True
    finding = f.judge_task_support(data(survey=facts))
    assert finding.verdict == f.DIFFERS and "Not counted" in finding.how and "webdnn" in finding.how


# -- 2 ---------------------------------------------------------------------------------------------------
def test_model_complexity_holds_when_width_grows_time_faster():
    rows = grid("tfjs", "cpu", "train", "train_batch_ms", lambda d, w: d * w ** 2 / 1000)
    rows += grid("tfjs", "cpu", "infer", "infer_ms", lambda d, w: d ** 0.3 * w / 100)
    finding = f.judge_model_complexity(data(rows))
    assert finding.verdict == f.HOLDS and finding.fill == ""
    assert "×4.00 per width doubling vs ×2.00 per depth doubling" in finding.evidence[0].text
    assert finding.evidence[0].link == "fig1" and finding.evidence[1].link == "fig4"
    assert "95% CI" in finding.evidence[0].text and "n = 20" in finding.evidence[0].text


def test_model_complexity_differs_when_depth_dominates_one_task():
    rows = grid("tfjs", "cpu", "train", "train_batch_ms", lambda d, w: d * w ** 2)
    rows += grid("tfjs", "webgl", "infer", "infer_ms", lambda d, w: d ** 2 * w ** 0.1)
    finding = f.judge_model_complexity(data(rows))
    assert finding.verdict == f.DIFFERS and "depth weighs as much or more for tfjs/webgl" in finding.how


def test_model_complexity_needs_two_depths_and_two_widths():
    rows = grid("tfjs", "cpu", "train", "train_batch_ms", lambda d, w: w, depths=(1,))
    assert_untested(f.judge_model_complexity(data(rows)), "paper-training")
    assert f.growth_per_doubling(frame(rows)) is None


# -- 3 ---------------------------------------------------------------------------------------------------
def loading_rows(load, warm, infer):
    rows = []
    for depth in (1, 2):
        rows += [row("tfjs", "webgl", "infer", depth, 64, "load_ms", load, n=6),
                 row("tfjs", "webgl", "infer", depth, 64, "warmup_ms", warm, n=6),
                 row("tfjs", "webgl", "infer", depth, 64, "infer_ms", infer, n=300)]
    return rows


def test_model_loading_holds_differs_untested():
    held = f.judge_model_loading(data(loading_rows(20.0, 300.0, 2.0)))
    assert held.verdict == f.HOLDS and "2 of 2" in held.how
    assert "two environments" in held.fill  # the integrated-vs-standalone half is never judged
    assert held.evidence[0].link == "fig2" and "load 20.0 ms" in held.evidence[0].text
    differs = f.judge_model_loading(data(loading_rows(5.0, 10.0, 2.0)))
    assert differs.verdict == f.DIFFERS and "only 0 of 2" in differs.how and "tfjs/webgl" in differs.how
    assert_untested(f.judge_model_loading(data(loading_rows(5.0, 10.0, 2.0)[:2])), "paper-inference")


def test_model_loading_judges_on_the_conservative_bounds():
    # Medians 11x apart, but the intervals are wide: the lower bound of load+warm-up is below 10x.
    rows = [{**r, "ci_low": r["median"] * 0.5} if r["metric"] != "infer_ms" else r
            for r in loading_rows(10.0, 12.0, 2.0)]
    assert f.judge_model_loading(data(rows)).verdict == f.DIFFERS


# -- 4 and 5 -----------------------------------------------------------------------------------------------
def pretrained_rows(browser_ms, native_gpu_ms, native_cpu_ms):
    rows = []
    for model in ("mobilenet_v2", "resnet50"):
        rows.append(row("tfjs", "webgl", "infer", 0, 0, "infer_ms", browser_ms, model=model))
        rows.append(row("tensorflow", "gpu", "infer", 0, 0, "infer_ms", native_gpu_ms, model=model, runtime="native"))
        rows.append(row("tensorflow", "cpu", "infer", 0, 0, "infer_ms", native_cpu_ms, model=model, runtime="native"))
    return rows


def test_gpu_vs_native_gpu():
    held = f.judge_gpu_vs_native_gpu(data(pretrained_rows(15.0, 10.0, 100.0), HARDWARE))
    assert held.verdict == f.HOLDS and "2 of 2" in held.how and "ratio 1.50" in held.evidence[0].text
    differs = f.judge_gpu_vs_native_gpu(data(pretrained_rows(50.0, 10.0, 100.0), HARDWARE))
    assert differs.verdict == f.DIFFERS
    software = f.judge_gpu_vs_native_gpu(data(pretrained_rows(15.0, 10.0, 100.0), SOFTWARE))
    assert software.verdict == f.NOT_TESTED and "SwiftShader" in software.how
    assert_untested(f.judge_gpu_vs_native_gpu(data(grid("tfjs", "webgl", "infer", "infer_ms", lambda d, w: 1.0),
                                                    HARDWARE)), "paper-pretrained")


def test_gpu_vs_native_cpu():
    held = f.judge_gpu_vs_native_cpu(data(pretrained_rows(15.0, 10.0, 100.0), HARDWARE))
    assert held.verdict == f.HOLDS and "2 of 2" in held.how and held.evidence[0].link == "fig5"
    differs = f.judge_gpu_vs_native_cpu(data(pretrained_rows(150.0, 10.0, 100.0), HARDWARE))
    assert differs.verdict == f.DIFFERS and "only 0 of 2" in differs.how
    assert f.judge_gpu_vs_native_cpu(data(pretrained_rows(15.0, 10.0, 100.0), SOFTWARE)).verdict == f.NOT_TESTED
    assert_untested(f.judge_gpu_vs_native_cpu(data([], HARDWARE)), "gap-quick")
    both = f.judge_gpu_vs_native_cpu(data(grid("tfjs", "webgl", "infer", "infer_ms", lambda d, w: 1.0), SOFTWARE))
    assert "No hardware GPU" in both.how and "No native CPU results" in both.how


def test_a_software_webgpu_adapter_is_no_hardware_gpu():
    assert f.hardware_gpu(SOFTWARE, "webgpu")[0] is False and f.hardware_gpu(HARDWARE, "webgpu")[0] is True
    assert f.hardware_gpu({}, "webgl") == (False, "no WebGL renderer recorded")


# -- 6 ---------------------------------------------------------------------------------------------------
def encoding_rows(json_bytes, json_load):
    rows = []
    for width in (64, 128):
        rows += [row("tfjs", "cpu", "infer", 1, width, "model_file_bytes", 100_000.0 * width, n=1),
                 row("convnetjs", "cpu", "infer", 1, width, "model_file_bytes", json_bytes * width, n=1),
                 row("tfjs", "cpu", "infer", 1, width, "load_ms", 20.0, n=6),
                 row("convnetjs", "cpu", "infer", 1, width, "load_ms", json_load, n=6)]
    return rows


def test_file_encoding_holds_differs_untested():
    held = f.judge_file_encoding(data(encoding_rows(700_000.0, 60.0)), FORMATS)
    assert held.verdict == f.HOLDS and "median 7.00x" in held.evidence[0].text and held.evidence[0].link == "table3"
    small = f.judge_file_encoding(data(encoding_rows(200_000.0, 60.0)), FORMATS)
    assert small.verdict == f.DIFFERS and "convnetjs 2.00x" in small.how
    fast = f.judge_file_encoding(data(encoding_rows(700_000.0, 20.0)), FORMATS)
    assert fast.verdict == f.DIFFERS and "load slower in only 0 of 2" in fast.how
    assert_untested(f.judge_file_encoding(data(encoding_rows(700_000.0, 60.0)[:1]), FORMATS), "paper-inference")


# -- 7 ---------------------------------------------------------------------------------------------------
def stack_rows(tfjs_depth, convnet_depth, tfjs_ms, convnet_ms):
    rows = []
    for width in (64, 128):
        rows += [row("tfjs", "cpu", "train", 1, width, "max_stack_depth", tfjs_depth, spread=0, n=1),
                 row("convnetjs", "cpu", "train", 1, width, "max_stack_depth", convnet_depth, spread=0, n=1),
                 row("tfjs", "cpu", "train", 1, width, "train_batch_ms", tfjs_ms),
                 row("convnetjs", "cpu", "train", 1, width, "train_batch_ms", convnet_ms)]
    return rows


def test_call_stack_holds_differs_untested():
    held = f.judge_call_stack(data(stack_rows(50, 8, 40.0, 20.0)))
    assert held.verdict == f.HOLDS and "6.25x as deep" in held.how
    assert "deepest stack, tfjs: 50 frames over 2 profiled specs (paper: 48)" in held.evidence[0].text
    shallow = f.judge_call_stack(data(stack_rows(10, 8, 40.0, 20.0)))
    assert shallow.verdict == f.DIFFERS and "only 1.25x" in shallow.how
    slower = f.judge_call_stack(data(stack_rows(50, 8, 20.0, 40.0)))
    assert slower.verdict == f.DIFFERS and "only 0 of 2" in slower.how
    assert_untested(f.judge_call_stack(data()), "paper-training")


# -- 8 ---------------------------------------------------------------------------------------------------
def cpu_rows(pct_cpu, pct_wasm):
    return [row("tfjs", "cpu", "train", 1, 64, "cpu_renderer_pct", pct_cpu, unit="%"),
            row("tfjs", "wasm", "train", 1, 64, "cpu_renderer_pct", pct_wasm, unit="%"),
            row("tfjs", "webgl", "train", 1, 64, "cpu_renderer_pct", 300.0, unit="%")]  # GPU-side: not judged


def test_resources_cores():
    held = f.judge_resources(data(cpu_rows(99.0, 102.0), SOFTWARE))
    assert held.verdict == f.HOLDS and "memory half" in held.fill and held.evidence[0].link == "table2"
    differs = f.judge_resources(data(cpu_rows(99.0, 190.0), SOFTWARE))
    assert differs.verdict == f.DIFFERS and "tfjs/wasm" in differs.how and "tfjs/webgl" not in differs.how
    one_core = f.judge_resources(data(cpu_rows(99.0, 190.0), {**SOFTWARE, "cpu_count": 1}))
    assert one_core.verdict == f.NOT_TESTED
    assert_untested(f.judge_resources(data([], {})), "paper-training")


def test_resources_gpu_memory():
    roomy = f.judge_resources(data(cpu_rows(99.0, 102.0), HARDWARE))
    assert roomy.verdict == f.DIFFERS and "4.0 GiB per WebGPU buffer" in roomy.how
    oom = cpu_rows(99.0, 102.0) + [row("tfjs", "webgl", "infer", 8, 4096, "", float("nan"), n=0, outcome="error",
                                       error="Requested texture size [16384x16384] greater than WebGL maximum")]
    held = f.judge_resources(data(oom, HARDWARE))
    assert held.verdict == f.HOLDS and "ran out of GPU memory" in held.how
    assert any("greater than WebGL maximum" in e.text and e.link == "outcomes" for e in held.evidence)


@pytest.mark.parametrize("value,text", [(1234.5, "1,234"), (12.345, "12.3"), (1.2345, "1.23"), (0.012345, "0.0123"),
                                        (float("nan"), "–")])
def test_numbers_have_three_significant_digits(value, text):
    assert f.fmt(value) == text
