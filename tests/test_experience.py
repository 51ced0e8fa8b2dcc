"""The passes' pure parts: which specs get which pass, how a pass's reply becomes metrics and facts,
the leak check's rule, and the memory / responsiveness tables the report reads."""
import pandas as pd

from webdlbench.analysis.experience import (HEAP_LEAK_FLOOR_BYTES, leak_check, leaking, memory_table,
                                            qoe_table)
from webdlbench.runners.passes import MemoryProbe, not_measured, pass_result, passes_for
from webdlbench.spec import METRIC_RANGES, METRIC_SENSE, METRIC_UNITS, Spec


def spec(**fields):
    return Spec(**{"framework": "tfjs", "backend": "cpu", "task": "infer", "depth": 1, "width": 8, **fields})


def test_passes_are_for_inference_asked_by_the_run_or_the_suite():
    assert passes_for(spec(), ("qoe", "memory")) == ["memory", "qoe"]
    assert passes_for(spec(qoe=True)) == ["qoe"]
    assert passes_for(spec(task="train"), ("memory",)) == []
    assert not_measured(spec(task="train"), ("memory",))["passes"]["memory"]["outcome"] == "unsupported"
    assert not_measured(spec(), ("memory",)) == {}


def test_pass_metrics_have_units_ranges_and_a_sense():
    for name in ("qoe_main_fps", "qoe_worker_dropped_frame_pct", "leak_framework_tensors", "memory_wasm_bytes"):
        assert name in METRIC_UNITS and name in METRIC_RANGES and name in METRIC_SENSE
    assert METRIC_SENSE["qoe_main_fps"] == "higher" and METRIC_SENSE["qoe_main_input_delay_ms"] == "lower"
    assert METRIC_RANGES["qoe_main_input_delay_ms"].low_allowed  # an input handled within one tick reads 0


def test_a_pass_reply_keeps_only_pass_metrics_and_says_what_is_absent():
    probe = MemoryProbe()
    probe.after_cycles, probe.peak = [10.0, 11.0], 20.0
    reply = {"outcome": "ok", "error": "", "metrics": {"leak_framework_tensors": [4, 4], "cpu_renderer_pct": [50],
                                                        "memory_wasm_bytes": []},
             "info": {"memory_pass": {"absent": {"memory_wasm_bytes": "no wasm here"}}}}
    metrics, info = pass_result("memory", reply, probe)
    assert metrics == {"leak_framework_tensors": [4, 4], "leak_js_heap_bytes": [10.0, 11.0],
                       "memory_js_heap_peak_bytes": [20.0]}
    assert info["passes"]["memory"]["absent"] == {"memory_wasm_bytes": "no wasm here"}
    failed = pass_result("memory", {"outcome": "error", "error": "TypeError: x", "metrics": {}, "info": {}}, probe)
    assert failed == ({}, {"passes": {"memory": {"outcome": "error", "error": "TypeError: x"}}})


def test_a_driver_without_cdp_leaves_the_heap_absent_with_its_reason():
    probe = MemoryProbe()
    probe.unavailable = "this driver cannot read the page's heap"
    metrics, info = probe.metrics()
    assert metrics == {} and "leak_js_heap_bytes" in info["absent"]


def test_the_leak_check_rule():
    assert leak_check({"leak_framework_tensors": [3]}) is None  # one cycle: nothing to compare
    assert not leak_check({"leak_framework_tensors": [3, 3, 3], "leak_js_heap_bytes": [3e6, 3.2e6, 3.3e6]}).leaks
    grown = leak_check({"leak_framework_tensors": [3, 5, 7]})
    assert grown.leaks and grown.reasons == ("tensors after cycle 1: 3, after cycle 3: 7",)
    heap = leak_check({"leak_js_heap_bytes": [8e6, 8e6 + HEAP_LEAK_FLOOR_BYTES + 1]})
    assert not heap.leaks  # past the floor but not past a quarter of the heap
    assert leak_check({"leak_js_heap_bytes": [3e6, 5e6]}).leaks


def frames(info, metrics):
    results = pd.DataFrame([{"result_id": 1, "runtime": "browser", "environment": "", "framework": "tfjs",
                             "backend": "cpu", "model": "mlp", "depth": 1, "width": 8, "spec_hash": "h",
                             "info": info}])
    samples = pd.DataFrame([{"result_id": 1, "metric": m, "idx": i, "replicate": 0, "value": v}
                            for m, values in metrics.items() for i, v in enumerate(values)])
    return results, samples


def test_the_memory_table_divides_peaks_by_the_model_size_and_names_leaks():
    results, samples = frames({"passes": {"memory": {"outcome": "ok"}}},
                              {"model_file_bytes": [1000], "memory_js_heap_peak_bytes": [50_000],
                               "rss_renderer_peak_bytes": [2e6, 3e6], "leak_framework_tensors": [4, 9]})
    table = memory_table(results, samples)
    row = table.iloc[0]
    assert row["heap_per_model"] == 50 and row["rss_per_model"] == 3000
    assert list(leaking(table)["framework"]) == ["tfjs"] and "after cycle 2: 9" in row["leak_reasons"]


def test_the_qoe_table_has_a_row_per_thread_and_keeps_a_worker_s_words():
    info = {"passes": {"qoe": {"outcome": "ok", "settings": {"threads": ["main", "worker"]},
                               "worker": {"outcome": "unsupported", "error": "ReferenceError: document"}}}}
    results, samples = frames(info, {"qoe_idle_fps": [60], "qoe_main_fps": [12], "qoe_main_input_delay_ms": [1, 3, 90],
                                     "qoe_main_infer_ms": [5, 6, 7]})
    table = qoe_table(results, samples).set_index("thread")
    assert table.loc["main", "fps"] == 12 and table.loc["main", "input_delay_ms"] == 3
    assert table.loc["main", "inputs"] == 3 and table.loc["main", "infer_ms"] == 6
    assert table.loc["worker", "outcome"] == "unsupported" and "document" in table.loc["worker", "error"]


def test_webgpu_buffers_held_after_each_dispose_are_a_leak_and_their_peak_is_shown():
    grown = leak_check({"leak_webgpu_buffer_bytes": [4096, 8192, 12288]})
    assert grown.leaks and grown.reasons == ("WebGPU buffer bytes after cycle 1: 4,096, after cycle 3: 12,288",)
    assert not leak_check({"leak_webgpu_buffer_bytes": [4096, 4096, 4096]}).leaks
    results, samples = frames({"passes": {"memory": {"outcome": "ok"}}},
                              {"memory_webgpu_buffer_bytes": [3 * 2**20], "memory_wasm_bytes": [16 * 2**20]})
    row = memory_table(results, samples).iloc[0]
    assert row["webgpu_buffer_bytes"] == 3 * 2**20 and row["wasm_bytes"] == 16 * 2**20


def test_the_load_and_first_inference_are_a_row_before_the_steady_loop():
    info = {"passes": {"qoe": {"outcome": "ok", "settings": {"threads": ["first", "main", "worker"]},
                               "worker": {"outcome": "ok", "error": ""}}}}
    results, samples = frames(info, {"qoe_idle_fps": [60], "qoe_first_fps": [20], "qoe_first_infer_ms": [180],
                                     "qoe_first_long_frames": [2], "qoe_first_load_ms": [40], "qoe_main_fps": [58],
                                     "qoe_main_infer_ms": [1, 2, 3], "qoe_worker_fps": [60],
                                     "qoe_worker_infer_ms": [2, 3]})
    table = qoe_table(results, samples)
    assert list(table["thread"]) == ["first", "main", "worker"]
    first = table.set_index("thread").loc["first"]
    assert first["infer_ms"] == 180 and first["long_frames"] == 2 and first["fps"] == 20 and first["load_ms"] == 40
    assert pd.isna(table.set_index("thread").loc["main", "load_ms"])
    # Results stored before the first phase existed keep their two rows.
    info["passes"]["qoe"]["settings"]["threads"] = ["main", "worker"]
    assert list(qoe_table(results, samples)["thread"]) == ["main", "worker"]


def test_the_workers_load_and_first_inference_are_a_row_with_the_workers_outcome():
    info = {"passes": {"qoe": {"outcome": "ok", "settings": {"threads": ["first", "main", "worker_first", "worker"]},
                               "worker": {"outcome": "ok", "error": ""}}}}
    results, samples = frames(info, {"qoe_idle_fps": [60], "qoe_first_fps": [20], "qoe_first_infer_ms": [180],
                                     "qoe_main_fps": [58], "qoe_worker_first_fps": [59],
                                     "qoe_worker_first_infer_ms": [150], "qoe_worker_first_load_ms": [70],
                                     "qoe_worker_fps": [60], "qoe_worker_infer_ms": [2, 3]})
    table = qoe_table(results, samples)
    assert list(table["thread"]) == ["first", "main", "worker_first", "worker"]
    started = table.set_index("thread").loc["worker_first"]
    assert started["fps"] == 59 and started["infer_ms"] == 150 and started["load_ms"] == 70
    # A worker that could not start: both of its rows carry its words, neither has numbers.
    info["passes"]["qoe"]["worker"] = {"outcome": "unsupported", "error": "ReferenceError: document is not defined"}
    results, samples = frames(info, {"qoe_idle_fps": [60], "qoe_first_fps": [20], "qoe_main_fps": [58]})
    rows = qoe_table(results, samples).set_index("thread")
    assert set(rows.loc[["worker_first", "worker"], "outcome"]) == {"unsupported"}
    assert rows.loc["worker_first", "error"].startswith("ReferenceError") and pd.isna(rows.loc["worker_first", "fps"])
