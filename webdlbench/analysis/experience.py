"""Experience and memory, per stored result of the separate passes (runners/passes.py): the leak
check's verdict, peak memory against the model's size, and the responsiveness per thread.

Pure: frames in (the store's results and samples), frames and verdicts out. Rules are data below.
"""
from __future__ import annotations

from dataclasses import dataclass
from statistics import median

import pandas as pd

from webdlbench.pass_metrics import THREADS

# The leak check (load -> infer -> dispose, N cycles in one page; values after each dispose).
# The framework's own counters are exact: any growth from cycle 1 to cycle N is a leak. The JS heap
# is read after a forced garbage collection but still grows a little as V8 compiles and caches
# (about 0.1 MiB a cycle here with no leak at all): it counts as leaking only past both of these.
HEAP_LEAK_FLOOR_BYTES = 1 << 20
HEAP_LEAK_SHARE = 0.25          # of the heap after cycle 1
LEAK_COUNTERS = {"leak_framework_tensors": "tensors", "leak_framework_bytes": "framework bytes",
                 "leak_webgpu_buffer_bytes": "WebGPU buffer bytes"}
MEMORY_COLUMNS = ["environment", "framework", "backend", "model", "depth", "width", "spec_hash", "result_id",
                  "model_file_bytes", "js_heap_peak_bytes", "wasm_bytes", "framework_bytes", "framework_gpu_bytes",
                  "framework_tensors", "webgpu_buffer_bytes", "rss_renderer_peak_bytes", "heap_per_model", "rss_per_model", "cycles",
                  "leaks", "leak_reasons", "absent"]
QOE_COLUMNS = ["environment", "framework", "backend", "model", "depth", "width", "spec_hash", "result_id", "thread",
               "outcome", "error", "idle_fps", "fps", "dropped_frame_pct", "long_frames", "long_frame_blocking_ms",
               "long_tasks", "total_blocking_ms", "input_delay_ms", "input_to_paint_ms", "infer_ms", "inputs",
               "load_ms"]


@dataclass(frozen=True)
class LeakCheck:
    """The leak check of one result: whether it leaks, why (with the numbers), over how many cycles."""

    leaks: bool
    reasons: tuple[str, ...]
    cycles: int


def leak_check(per_cycle: dict[str, list[float]]) -> LeakCheck | None:
    """Judge one result's per-cycle values (metric -> values after each dispose, in cycle order);
    None when it has fewer than two cycles of anything."""
    reasons = []
    cycles = max((len(v) for v in per_cycle.values()), default=0)
    if cycles < 2:
        return None
    for metric, what in LEAK_COUNTERS.items():
        values = per_cycle.get(metric) or []
        if len(values) >= 2 and values[-1] > values[0]:
            reasons.append(f"{what} after cycle 1: {values[0]:,.0f}, after cycle {len(values)}: {values[-1]:,.0f}")
    heap = per_cycle.get("leak_js_heap_bytes") or []
    if len(heap) >= 2:
        grown = heap[-1] - heap[0]
        if grown > max(HEAP_LEAK_FLOOR_BYTES, HEAP_LEAK_SHARE * heap[0]):
            reasons.append(f"JS heap after cycle 1: {heap[0] / 2**20:.1f} MiB, after cycle {len(heap)}: "
                           f"{heap[-1] / 2**20:.1f} MiB")
    return LeakCheck(bool(reasons), tuple(reasons), cycles)


def _per_result(samples: pd.DataFrame) -> dict[int, dict[str, list[float]]]:
    """result id -> metric -> values in their stored order."""
    found: dict[int, dict[str, list[float]]] = {}
    ordered = samples.sort_values(["result_id", "metric", "replicate", "idx"])
    for (result_id, metric), group in ordered.groupby(["result_id", "metric"], sort=False):
        found.setdefault(int(result_id), {})[metric] = [float(v) for v in group["value"]]
    return found


def _identity(row: dict) -> dict:
    return {k: row.get(k) for k in ("environment", "framework", "backend", "model", "depth", "width", "spec_hash",
                                    "result_id")}


def _one(values: list[float] | None) -> float | None:
    return max(values) if values else None


def _med(values: list[float] | None) -> float | None:
    return median(values) if values else None


def memory_table(results: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """One row per browser result that has a memory pass: its peaks, peak ÷ model size (JS heap and
    renderer RSS), and the leak check."""
    rows = []
    metrics = _per_result(samples)
    for row in results.to_dict("records"):
        info = row.get("info") or {}
        found = metrics.get(int(row["result_id"]), {})
        memory_pass = (info.get("passes") or {}).get("memory")
        if row.get("runtime") != "browser" or not memory_pass or memory_pass.get("outcome") != "ok":
            continue
        model = _one(found.get("model_file_bytes"))
        heap = _one(found.get("memory_js_heap_peak_bytes"))
        rss = _one(found.get("rss_renderer_peak_bytes"))
        check = leak_check({k: v for k, v in found.items() if k.startswith("leak_")})
        rows.append({**_identity(row), "model_file_bytes": model, "js_heap_peak_bytes": heap,
                     "wasm_bytes": _one(found.get("memory_wasm_bytes")),
                     "framework_bytes": _one(found.get("memory_framework_bytes")),
                     "framework_gpu_bytes": _one(found.get("memory_framework_gpu_bytes")),
                     "framework_tensors": _one(found.get("memory_framework_tensors")),
                     "webgpu_buffer_bytes": _one(found.get("memory_webgpu_buffer_bytes")),
                     "rss_renderer_peak_bytes": rss,
                     "heap_per_model": heap / model if heap and model else None,
                     "rss_per_model": rss / model if rss and model else None,
                     "cycles": check.cycles if check else 0, "leaks": check.leaks if check else None,
                     "leak_reasons": "; ".join(check.reasons) if check else "",
                     "absent": memory_pass.get("absent") or {}})
    return pd.DataFrame(rows, columns=MEMORY_COLUMNS)


def qoe_table(results: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """One row per browser result with a responsiveness pass and per thread (main, worker): frames,
    long frames, blocking time, input delay (medians over the inputs) and inference time (median).
    A thread that could not run has its outcome and words and no numbers."""
    rows = []
    metrics = _per_result(samples)
    for row in results.to_dict("records"):
        qoe = ((row.get("info") or {}).get("passes") or {}).get("qoe")
        if row.get("runtime") != "browser" or not qoe or qoe.get("outcome") != "ok":
            continue
        found = metrics.get(int(row["result_id"]), {})
        for thread in THREADS:
            if thread not in (qoe.get("settings") or {}).get("threads", THREADS):
                continue
            get = lambda name: found.get(f"qoe_{thread}_{name}")  # noqa: E731
            state = (qoe.get("worker") or {}) if thread.startswith("worker") else {"outcome": "ok", "error": ""}
            if state.get("outcome", "ok") == "ok" and get("fps") is None:
                state = {"outcome": "error", "error": "no frames were recorded for this thread"}
            rows.append({**_identity(row), "thread": thread, "outcome": state.get("outcome", "ok"),
                         "error": state.get("error", ""), "idle_fps": _one(found.get("qoe_idle_fps")),
                         "fps": _one(get("fps")), "dropped_frame_pct": _one(get("dropped_frame_pct")),
                         "long_frames": _one(get("long_frames")),
                         "long_frame_blocking_ms": _one(get("long_frame_blocking_ms")),
                         "long_tasks": _one(get("long_tasks")), "total_blocking_ms": _one(get("total_blocking_ms")),
                         "input_delay_ms": _med(get("input_delay_ms")), "input_to_paint_ms": _med(get("input_to_paint_ms")),
                         "infer_ms": _med(get("infer_ms")), "inputs": len(get("input_delay_ms") or []),
                         "load_ms": _one(get("load_ms"))})  # the 'first' phases' only
    return pd.DataFrame(rows, columns=QOE_COLUMNS)


def leaking(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a memory table whose leak check failed."""
    return table[table["leaks"].fillna(False).astype(bool)] if not table.empty else table
