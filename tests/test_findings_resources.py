"""Finding 8 (system resources) judged on synthetic summaries: the renderer's cores, the GPU memory of
the browser's GPU process (or the card's, as an upper bound), and the memory pass as evidence. The
helpers are test_findings.py's."""
from tests.test_findings import SOFTWARE, STANDALONE, Measured, assert_untested, empty
from webdlbench.analysis import findings as f


def cpu(pct_cpu, pct_wasm, spread=0.02):
    measured = Measured()
    for depth in (1, 2):
        measured.add("tfjs", "cpu", "train", depth, 64, "cpu_renderer_pct", pct_cpu, unit="%", spread=spread)
        measured.add("tfjs", "wasm", "train", depth, 64, "cpu_renderer_pct", pct_wasm, unit="%", spread=spread)
        measured.add("tfjs", "webgl", "train", depth, 64, "cpu_renderer_pct", 300.0, unit="%")  # GPU-side: not judged
    return measured


def test_resources_cores_hold_differ_or_cannot_be_judged():
    held = f.judge_resources(cpu(99.0, 102.0).data(SOFTWARE))
    assert held.verdict == f.PARTLY and "4 of 4 specs keep the renderer below 150%" in held.how
    assert "nvidia-smi" in held.fill and held.evidence[0].link == "table2"
    differs = f.judge_resources(cpu(99.0, 190.0).data(SOFTWARE))
    assert differs.verdict == f.DIFFERS and "tfjs/wasm" in differs.how and "tfjs/webgl" not in differs.how
    near = f.judge_resources(cpu(99.0, 150.0, spread=0.1).data(SOFTWARE))  # wasm at the threshold: undecided
    assert near.verdict == f.INCONCLUSIVE and "2 of 4 specs keep the renderer below" in near.how
    assert "2 undecided" in near.how
    one_core = f.judge_resources(cpu(99.0, 190.0).data({**SOFTWARE, "cpu_count": 1}))
    assert one_core.verdict == f.NOT_TESTED
    assert_untested(f.judge_resources(empty()), "paper-training")


def memory(measured, gib, oom=False):
    measured.add("tfjs", "webgl", "infer", 1, 224, "gpu_memory_peak_bytes", gib * 2 ** 30, model="keras:ResNet50",
                 unit="bytes")
    if oom:
        measured.failed("tfjs", "webgl", "infer", 1, 224, "Error: GL OUT OF MEMORY", model="keras:VGG16")
    return measured


def test_resources_gpu_memory_from_the_gpu_process():
    roomy = f.judge_resources(memory(cpu(99.0, 102.0), 3.0).data(STANDALONE))
    assert roomy.verdict == f.DIFFERS and "held more than 1 GiB" in roomy.how
    assert any("maxBufferSize" in e.text and "not judged" in e.text for e in roomy.evidence)
    capped = f.judge_resources(memory(cpu(99.0, 102.0), 0.6, oom=True).data(STANDALONE))
    assert capped.verdict == f.HOLDS and "ran out of GPU memory" in capped.how
    assert any("GL OUT OF MEMORY" in e.text and e.link == "outcomes" for e in capped.evidence)
    small = f.judge_resources(memory(cpu(99.0, 102.0), 0.6).data(STANDALONE))
    assert small.verdict == f.PARTLY and "nothing ran out of GPU memory" in small.how
    unmeasured = f.judge_resources(cpu(99.0, 102.0).data(STANDALONE))
    assert unmeasured.verdict == f.PARTLY and "was not measured (gpu_memory_peak_bytes)" in unmeasured.how
    assert "nvidia-smi" in unmeasured.fill


def test_resources_cite_the_memory_pass_where_it_ran():
    measured = cpu(99.0, 102.0)
    for backend, heap in (("cpu", 4e6), ("webgl", 6e6)):
        measured.add("tfjs", backend, "infer", 1, 64, "model_file_bytes", 2e5, unit="bytes", replicates=1)
        measured.add("tfjs", backend, "infer", 1, 64, "memory_js_heap_peak_bytes", heap, unit="bytes", replicates=1)
    measured.add("tfjs", "webgl", "infer", 1, 64, "memory_framework_gpu_bytes", 2 ** 21, unit="bytes", replicates=1)
    found = f.judge_resources(measured.data(SOFTWARE))
    texts = [e.text for e in found.evidence if e.link == "memory"]
    assert texts[0].startswith("memory pass: peak JS heap up to 30× the model file, tfjs/webgl"), texts
    assert "held 2.0 MiB in GPU memory" in texts[1] and "not judged" in texts[1]
    assert found.verdict == f.judge_resources(cpu(99.0, 102.0).data(SOFTWARE)).verdict  # evidence, not a verdict
    assert not [e for e in f.judge_resources(cpu(99.0, 102.0).data(SOFTWARE)).evidence if e.link == "memory"]


def test_resources_gpu_memory_bounded_by_the_cards_when_the_process_is_not_listed():
    def card(measured, gib, oom=False):
        measured.add("tfjs", "webgl", "infer", 1, 224, "gpu_memory_used_peak_bytes", gib * 2 ** 30,
                     model="keras:ResNet50", unit="bytes")
        if oom:
            measured.failed("tfjs", "webgl", "infer", 1, 224, "Error: GL OUT OF MEMORY", model="keras:VGG16")
        return measured

    capped = f.judge_resources(card(cpu(99.0, 102.0), 0.6, oom=True).data(STANDALONE))
    assert capped.verdict == f.HOLDS and "the card had less than 1 GiB in use (an upper bound" in capped.how
    assert any("upper bound" in e.text for e in capped.evidence)
    # More than 1 GiB in use on the card says nothing about the GPU process's own share.
    busy = f.judge_resources(card(cpu(99.0, 102.0), 3.0).data(STANDALONE))
    assert busy.verdict == f.PARTLY and "its own share is unknown" in busy.how
    # The process's own figure, where there is one, is judged instead of the card's.
    both = f.judge_resources(card(memory(cpu(99.0, 102.0), 3.0), 0.5).data(STANDALONE))
    assert both.verdict == f.DIFFERS and "held more than 1 GiB" in both.how
