"""The verdict a run ends with: options ranked per task and model, CIs over replicates, the distance
to the fastest and to native, a recommendation that names a software GPU, all within 80 columns."""
from webdlbench.spec import Spec, SpecResult
from webdlbench.store import Store
from webdlbench.verdict import render, verdict

SOFTWARE = {"webgl_renderer": "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)"}


def _result(framework, backend, runtime, medians, outcome="ok", error=""):
    spec = Spec(framework, backend, "train", depth=1, width=64, runtime=runtime)
    result = SpecResult(spec, outcome, error=error, environment=SOFTWARE if runtime == "browser" else {"cpu": "x"},
                        started_at=1.0, finished_at=2.0)
    for replicate, centre in enumerate(medians):
        result.add("train_batch_ms", [centre * 0.99, centre, centre * 1.01], replicate=replicate)
    return result


def _groups(tmp_path, *results):
    with Store.open(tmp_path / "s.sqlite") as store:
        run = store.start_run("t", "t", [r.spec for r in results])
        for result in results:
            store.add_result(run, result)
        frames = store.frames()
    return verdict(*frames)


def test_options_are_ranked_with_ratios_to_the_fastest_and_to_native(tmp_path):
    (group,) = _groups(tmp_path,
                       _result("tfjs", "cpu", "browser", [10, 10.2, 9.9, 10.1, 10]),
                       _result("tfjs", "wasm", "browser", [4, 4.1, 3.9, 4, 4.05]),
                       _result("tfjs", "webgl", "browser", [20, 21, 19, 20, 20]),
                       _result("pytorch", "cpu", "native", [0.5, 0.5, 0.51, 0.49, 0.5]),
                       _result("tfjs", "webgpu", "browser", [], outcome="unsupported", error="no adapter"))
    labels = [o.label for o in group.options]
    assert labels == ["native pytorch/cpu", "tfjs/wasm", "tfjs/cpu", "tfjs/webgl", "tfjs/webgpu"]
    wasm = group.options[1]
    assert round(wasm.vs_native, 1) == 8.0 and wasm.replicates == 5 and wasm.ci_low < 4.01 < wasm.ci_high
    # Tested over replicates (Welch on log replicate medians, Holm): tachometer's wording.
    assert group.recommendation.startswith("in this browser: tfjs/wasm; tfjs/wasm is faster than tfjs/cpu by 2.")
    assert "tfjs/wasm is slower than native pytorch/cpu by 7." in group.recommendation
    assert group.options[3].software_gpu and not group.options[1].software_gpu


def test_the_rendering_fits_80_columns_and_says_what_ran_on_software(tmp_path):
    groups = _groups(tmp_path, _result("tfjs", "webgl", "browser", [20, 21, 19]),
                     _result("onnxruntime_web", "webgpu", "browser", [], outcome="error", error="x " * 200))
    lines = "\n".join(render(groups, width=80)).splitlines()
    assert all(len(line) <= 80 for line in lines)
    text = "\n".join(lines)
    assert "tfjs/webgl*" in text and "software GPU (SwiftShader)" in text
    assert "onnxruntime_web/webgpu" in text and "error" in text  # never truncated away
    assert "in this browser: tfjs/webgl (on a software GPU here)" in text


def test_replicates_that_overlap_are_not_called_faster(tmp_path):
    (group,) = _groups(tmp_path, _result("tfjs", "cpu", "browser", [10, 14, 8, 12, 9]),
                       _result("tfjs", "wasm", "browser", [10.5, 13, 9, 11, 9.5]))
    assert "no significant difference between" in group.recommendation
