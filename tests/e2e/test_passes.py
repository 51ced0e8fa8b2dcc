"""The separate memory and responsiveness passes (runners/passes.py) in real headless Chromium: a
framework that leaks tensors on purpose is flagged by the leak check and the real TF.js is not; a
page whose inference blocks its main thread drops frames and shows long animation frames, and the
same work in a Web Worker is measured beside it."""
import asyncio
from pathlib import Path

import pytest

from tests.conftest import registered_framework, run_cli
from webdlbench.analysis.experience import leak_check
from webdlbench.browser import find_browser
from webdlbench.frameworks import FRAMEWORKS_DIR, Framework
from webdlbench.runners.browser import BrowserRunner
from webdlbench.spec import Spec
from webdlbench.store import Store

TF = "@tensorflow/tfjs/dist/tf.min.js"
MODES = ("leak", "block", "worker-unread")
MISBEHAVING = Framework(
    name="misbehaving", title="Misbehaving TF.js (tests only)", npm_package="@tensorflow/tfjs",
    adapter=str(FRAMEWORKS_DIR / "tfjs" / "adapter.js"),  # the TF.js adapter, used by misbehaving.js
    backends={mode: ("infer",) for mode in MODES}, scripts={mode: (TF,) for mode in MODES}, user_bundle=True)


@pytest.fixture
def misbehaving():
    with registered_framework(MISBEHAVING, Path(__file__).with_name("misbehaving.js")):
        yield MISBEHAVING


def small(framework: str, backend: str) -> Spec:
    return Spec(framework=framework, backend=backend, task="infer", depth=1, width=32, samples=3,
                sample_time_s=0, warmup=1, replicates=1, max_replicates=1, time_budget_s=2)


def measure(tmp_path, specs, passes):
    async def main():
        runner = BrowserRunner(find_browser(), tmp_path / "cache")
        await runner.start()
        try:
            return [await runner.measure(spec, passes=passes) for spec in specs]
        finally:
            await runner.stop()
    return asyncio.run(main())


def per_cycle(result):
    return {k: v for k, v in result.metrics.items() if k.startswith("leak_")}


def test_the_leak_check_flags_a_leaking_adapter_and_not_tfjs(tmp_path, misbehaving):
    leaky, tfjs = measure(tmp_path, [small("misbehaving", "leak"), small("tfjs", "cpu")], ("memory",))
    for result in (leaky, tfjs):
        assert result.outcome == "ok", result.error
        assert result.info["passes"]["memory"]["outcome"] == "ok", result.info["passes"]
        assert len(result.metrics["leak_framework_tensors"]) == 5
        assert len(result.metrics["leak_js_heap_bytes"]) == 5
        assert result.metrics["memory_js_heap_peak_bytes"][0] > 0
        assert result.metrics["memory_framework_bytes"][0] > 0
    # Five predictions a cycle, each leaving one tensor: four cycles more leave 20 more tensors.
    tensors = leaky.metrics["leak_framework_tensors"]
    assert tensors[-1] - tensors[0] == 20, tensors
    verdict = leak_check(per_cycle(leaky))
    assert verdict.leaks and "tensors after cycle 1" in verdict.reasons[0], verdict
    assert not leak_check(per_cycle(tfjs)).leaks, per_cycle(tfjs)
    # The cpu backend has neither GPU bytes nor wasm memory: absent, with the reason.
    absent = tfjs.info["passes"]["memory"]["absent"]
    assert "memory_framework_gpu_bytes" in absent and "memory_wasm_bytes" in absent
    assert "memory_wasm_bytes" not in tfjs.metrics


def test_a_blocking_loop_drops_frames_on_the_main_thread(tmp_path, misbehaving):
    (result,) = measure(tmp_path, [small("misbehaving", "block")], ("qoe",))
    assert result.outcome == "ok", result.error
    qoe = result.info["passes"]["qoe"]
    assert qoe["outcome"] == "ok", qoe
    assert result.metrics["qoe_idle_fps"][0] > 0
    # Every 60 ms block is a long task inside a long animation frame, and frames are missed.
    assert result.metrics["qoe_main_long_frames"][0] >= 1
    assert result.metrics["qoe_main_long_tasks"][0] >= 1
    assert result.metrics["qoe_main_long_frame_blocking_ms"][0] > 0
    assert result.metrics["qoe_main_dropped_frame_pct"][0] > 0
    assert result.metrics["qoe_main_input_delay_ms"], "the dispatched clicks reached the page"
    assert qoe["inputs_dispatched"] > 0
    # The load and the first inference, measured under the same animation before the loop.
    assert len(result.metrics["qoe_first_infer_ms"]) == 1 and len(result.metrics["qoe_first_load_ms"]) == 1
    assert "qoe_first_fps" in result.metrics and qoe["phases"]["first"]["inferences"] == 1
    # The same adapter in a Web Worker: measured beside it (or unsupported with its words).
    assert qoe["worker"]["outcome"] == "ok", qoe["worker"]
    # The worker's own load and first inference, with the page's frames counted meanwhile.
    assert len(result.metrics["qoe_worker_first_infer_ms"]) == 1 and len(result.metrics["qoe_worker_first_load_ms"]) == 1
    assert "qoe_worker_first_fps" in result.metrics and qoe["phases"]["worker_first"]["inferences"] == 1
    assert len(result.metrics["qoe_worker_infer_ms"]) >= 1
    assert "qoe_worker_fps" in result.metrics


def test_a_worker_output_never_read_back_is_an_error_not_a_time(tmp_path, misbehaving):
    (result,) = measure(tmp_path, [small("misbehaving", "worker-unread")], ("qoe",))
    qoe = result.info["passes"]["qoe"]
    assert qoe["outcome"] == "ok" and "qoe_main_infer_ms" in result.metrics, qoe  # the page's own loop is fine
    assert qoe["worker"]["outcome"] == "error", qoe["worker"]
    assert "returned no numbers" in qoe["worker"]["error"], qoe["worker"]
    assert "qoe_worker_first_infer_ms" not in result.metrics and "qoe_worker_infer_ms" not in result.metrics


# One replicate of 3 samples: the passes, not the timings, are under test.
SMALL = """
[defaults]
samples = 3
sample_time_s = 0
warmup = 1
replicates = 1
max_replicates = 1
time_budget_s = 2
"""
BROWSER_GRID = """[[grid]]
framework = ["tfjs", "convnetjs"]
backend = "cpu"
task = "infer"
depth = 1
width = 32
"""
PASSES_SUITE = 'name = "passes-e2e"' + SMALL + BROWSER_GRID


def run_suite(tmp_path, text: str, *flags: str):
    """`webdlbench run` of the suite `text` with the pass flags: (store path, results, samples)."""
    suite = tmp_path / "suite.toml"
    suite.write_text(text)
    store = tmp_path / "store.db"
    done = run_cli("run", suite, "--store", store, *flags, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    with Store.open(store) as opened:
        results, samples, _ = opened.frames()
    return store, results, samples


def report_of(tmp_path, store):
    """`webdlbench report` of the store: (its folder, report.md's text)."""
    report = tmp_path / "report"
    done = run_cli("report", "--store", store, "--out", report)
    assert done.returncode == 0, done.stderr[-3000:]
    return report, (report / "report.md").read_text()


def test_run_memory_qoe_fills_the_report_part(tmp_path):
    store, results, samples = run_suite(tmp_path, PASSES_SUITE, "--memory", "--qoe")
    assert set(results["outcome"]) == {"ok"}
    for info in results["info"]:
        assert info["passes"]["memory"]["outcome"] == "ok" and info["passes"]["qoe"]["outcome"] == "ok"
    metrics = set(samples["metric"])
    per_result = samples[samples["metric"] == "qoe_main_infer_ms"].groupby("result_id").size()
    assert (per_result <= 300).all(), per_result  # thousands of fast calls, kept as block means
    assert {"qoe_main_fps", "qoe_worker_fps", "leak_js_heap_bytes", "memory_js_heap_peak_bytes"} <= metrics
    assert {"qoe_first_fps", "qoe_first_infer_ms", "qoe_first_load_ms"} <= metrics
    report, text = report_of(tmp_path, store)
    part = text[text.index("Experience, operators and memory"):]
    assert "| TensorFlow.js | cpu | mlp | 1×32 | main |" in part and "| ConvNetJS | cpu | mlp | 1×32 | worker |" in part
    assert "| TensorFlow.js | cpu | mlp | 1×32 | main: load + 1st inference |" in part
    assert "no leak" in part and (report / "qoe.csv").is_file() and (report / "memory.csv").is_file()


def grid(framework: str, backend: str, runtime: str = "") -> str:
    """One [[grid]] of a suite here: inference of the 1×32 MLP."""
    where = f'runtime = "{runtime}"\n' if runtime else ""
    return f'[[grid]]\n{where}framework = "{framework}"\nbackend = "{backend}"\ntask = "infer"\ndepth = 1\nwidth = 32\n'


OPS_SUITE = 'name = "ops-e2e"' + SMALL + BROWSER_GRID + grid("pytorch", "cpu", "native")


@pytest.mark.native
def test_run_ops_gives_the_ratio_per_operator_and_a_chrome_trace(tmp_path):
    import json

    store, results, _ = run_suite(tmp_path, OPS_SUITE, "--ops")
    ops = {row["framework"]: row["info"]["passes"]["ops"] for row in results.to_dict("records")}
    assert ops["tfjs"]["outcome"] == "ok" and ops["pytorch"]["outcome"] == "ok", ops
    assert len(ops["tfjs"]["kernels"]) == len(ops["pytorch"]["kernels"]) == 10
    assert "_FusedMatMul" in {k["name"] for k in ops["tfjs"]["kernels"][0]}
    assert "aten::addmm" in {k["name"] for k in ops["pytorch"]["kernels"][0]}
    assert ops["convnetjs"]["outcome"] == "unsupported" and "no profile()" in ops["convnetjs"]["error"]
    report, text = report_of(tmp_path, store)
    part = text[text.index("### Operators"):]
    assert "| mlp | 1×32 | tfjs/cpu | pytorch/cpu | MatMul/Dense |" in part
    trace = json.loads((report / "ops-trace.json").read_text())
    assert {e["name"] for e in trace["traceEvents"] if e["ph"] == "X"} >= {"_FusedMatMul", "aten::addmm"}


ORT_SUITE = 'name = "ort-ops-e2e"' + SMALL + grid("onnxruntime_web", "wasm") + grid("onnxruntime", "cpu", "native")


@pytest.mark.native
def test_onnx_runtime_web_against_native_onnx_runtime_per_operator_and_its_wasm_memory(tmp_path):
    store, results, samples = run_suite(tmp_path, ORT_SUITE, "--ops", "--memory")
    rows = {row["framework"]: row for row in results.to_dict("records")}
    web, native = (rows[name]["info"]["passes"]["ops"] for name in ("onnxruntime_web", "onnxruntime"))
    assert web["outcome"] == "ok" and native["outcome"] == "ok", (web, native)
    assert len(web["kernels"]) == len(native["kernels"]) == 10
    assert web["timer"]["trusted"] and "session profiler" in web["profiler"]
    # The same graph on both sides (ONNX Runtime Web's file): the same nodes, in the same order.
    assert [k["node"] for k in web["kernels"][0]] == [k["node"] for k in native["kernels"][0]]
    assert all(isinstance(k["ms"], float) for run in web["kernels"] for k in run)
    # ONNX Runtime Web has no memory counters of its own; its wasm memory is read from the page.
    memory = rows["onnxruntime_web"]["info"]["passes"]["memory"]
    assert memory["outcome"] == "ok" and memory["wasm_memories"] >= 1, memory
    wasm = samples[(samples["metric"] == "memory_wasm_bytes") & (samples["result_id"] == rows["onnxruntime_web"]["result_id"])]
    assert len(wasm) == 1 and wasm["value"].iloc[0] >= 16 * 2**20  # ORT's initial 256 pages of 64 KiB
    assert "no memory()" in memory["absent"]["memory_framework_tensors"]
    _, text = report_of(tmp_path, store)
    part = text[text.index("### Operators"):]
    assert "| mlp | 1×32 | onnxruntime_web/wasm | onnxruntime/cpu | MatMul/Dense |" in part


def test_onnx_runtime_web_on_webgpu_gives_gpu_kernel_times_only_with_timestamps(tmp_path):
    """Whichever this browser's WebGPU device is: with timestamp-query every WebGPU kernel has its GPU
    time; without it none has a number and the pass says why (never a CPU-side time as the kernel's).
    Its memory: the WebGPU buffers it holds, at their peak and after each dispose."""
    (result,) = measure(tmp_path, [small("onnxruntime_web", "webgpu")], ("ops", "memory"))
    if result.outcome == "unsupported":
        pytest.skip(f"no WebGPU here: {result.error}")
    assert result.outcome == "ok", result.error
    ops = result.info["passes"]["ops"]
    assert ops["outcome"] == "ok", ops
    gpu_kernels = [k for run in ops["kernels"] for k in run if k["provider"] != "CPUExecutionProvider"]
    assert gpu_kernels, ops["kernels"][0]
    if ops["timer"]["trusted"]:
        assert "timestamp-query" in ops["timer"]["words"]
        assert all(isinstance(k["ms"], float) for k in gpu_kernels)
    else:
        assert "timestamp-query" in ops["timer"]["words"]
        assert all(k["ms"] is None for k in gpu_kernels)
    assert result.info["passes"]["memory"]["outcome"] == "ok", result.info["passes"]["memory"]
    assert result.metrics["memory_webgpu_buffer_bytes"][0] > 0
    assert len(result.metrics["leak_webgpu_buffer_bytes"]) == 5
    assert result.metrics["memory_wasm_bytes"][0] >= 16 * 2**20  # the WebGPU EP runs inside ORT's wasm too
