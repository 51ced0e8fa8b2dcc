"""Experience, operators and memory (beyond the paper; issue 15): from the separate passes
(runners/passes.py) — whether inference freezes the page, on the main thread and in a Web Worker,
and how much memory it takes against the model's size, with the leak check."""
from __future__ import annotations

import pandas as pd

from webdlbench.analysis import experience
from webdlbench.report.data import ReportData
from webdlbench.report.document import Cell, Figure, Part, Section, Table, num
from webdlbench.report.plots import data_uri, scatter_figure
from webdlbench.report.sections import operators

QOE_HINT = ("No responsiveness pass yet: run any suite with `--qoe` (e.g. `webdlbench run quick --qoe`) to fill "
            "this section.")
MEMORY_HINT = ("No memory pass yet: run any suite with `--memory` (e.g. `webdlbench run quick --memory`) to fill "
               "this section.")
MIB = 2 ** 20
# The 'first' phase is the main thread too, while the model loads and runs its first inference.
THREAD_LABELS = {"first": "main: load + 1st inference", "worker_first": "worker: load + 1st inference"}


def part(data: ReportData) -> Part:
    qoe = experience.qoe_table(data.results, data.samples)
    memory = experience.memory_table(data.results, data.samples)
    return Part("experience", "Experience, operators and memory",
                "Beyond the paper: does inference freeze the page, where does its time go per operator, and how "
                "much memory does it take? Each comes from a separate page (or native process) after the timed "
                "replicates (`--qoe`, `--ops`, `--memory`), so none disturbs a timed sample.",
                [responsiveness_section(qoe, data), operators.section(data), memory_section(memory, data),
                 leak_section(memory, data)])


def _config(row: dict, data: ReportData) -> list:
    size = f"{row['depth']}×{row['width']}"
    where = [f"@{row['environment']}"] if data.split else []
    return [*where, data.title(row["framework"]), row["backend"], row["model"], size]


def _thread(row: dict) -> str:
    return THREAD_LABELS.get(row["thread"], row["thread"])


def _config_columns(data: ReportData) -> list[str]:
    return [*(["Environment"] if data.split else []), "Framework", "Backend", "Model", "Size"]


def _n(value, digits: str = "") -> Cell:
    if value is None or pd.isna(value):
        return Cell("–")
    return Cell(f"{value:{digits}}" if digits else num(value), sort=float(value))


def responsiveness_section(table: pd.DataFrame, data: ReportData) -> Section:
    section = Section("qoe", "Responsiveness while inferring: frames, long frames, input delay",
                      "While the model infers in a steady loop for a few seconds, the page runs a fixed "
                      "requestAnimationFrame animation and the harness clicks into it through CDP "
                      "(Input.dispatchMouseEvent) every 100 ms; first on the main thread while the model loads and "
                      "runs its first inference (where a GPU backend compiles its shaders; its inference ms is that "
                      "first inference), then in the steady loop on the main thread, then with the same library "
                      "and adapter in a dedicated Web Worker: its start, load and first inference (the page's "
                      "frames meanwhile), then its steady loop. Dropped frames are counted against the animation's "
                      "own rate with nothing else running (idle fps). Long animation frames and long tasks come from "
                      "PerformanceObserver; blocking time is the long animation frames' blockingDuration, and total "
                      "blocking time the long tasks' time beyond 50 ms. Input delay: from the click's dispatch "
                      "(event.timeStamp) to its handler; to paint: to the next animation frame after the handler "
                      "(medians over the clicks).")
    if table.empty:
        section.empty = QOE_HINT
        return section
    rows, failed = [], []
    for row in table.to_dict("records"):
        if row["outcome"] != "ok":
            failed.append(f"{' '.join(map(str, _config(row, data)))} in a {_thread(row)} thread: {row['outcome']} — "
                          f"{str(row['error']).splitlines()[0][:300]}")
            continue
        rows.append([*_config(row, data), _thread(row), _n(row["idle_fps"], ".1f"), _n(row["fps"], ".1f"),
                     _n(row["dropped_frame_pct"], ".0f"), _n(row["long_frames"], ".0f"),
                     _n(row["long_frame_blocking_ms"]), _n(row["long_tasks"], ".0f"), _n(row["total_blocking_ms"]),
                     _n(row["input_delay_ms"]), _n(row["input_to_paint_ms"]), _n(row["infer_ms"]),
                     Cell(str(row["inputs"]), sort=float(row["inputs"])), _n(row["load_ms"])])
    columns = [*_config_columns(data), "Thread", "Idle fps", "fps", "Dropped %", "Long frames", "LoAF blocking ms",
               "Long tasks", "Total blocking ms", "Input delay ms", "Input → paint ms", "Inference ms", "Inputs",
               "Load ms"]
    section.tables.append(Table(columns, ["text"] * len(_config_columns(data)) + ["text"] + ["num"] * 12, rows,
                                caption="Per thread the inference ran on; higher fps and lower everything else is "
                                        "better."))
    section.notes.extend(f"Not measured: {line}" for line in failed)
    shown = table[table["outcome"] == "ok"].dropna(subset=["infer_ms", "dropped_frame_pct"])
    if not shown.empty:
        sized = shown[["model", "depth", "width"]].drop_duplicates().shape[0] > 1
        points = pd.DataFrame({
            "series": [f"{data.title(r['framework'])} {r['backend']}" + (f" {r['depth']}×{r['width']}" if sized else "")
                       for r in shown.to_dict("records")],
            "x": shown["infer_ms"].clip(lower=1e-3), "y": shown["dropped_frame_pct"],
            "label": [_thread(r) for r in shown.to_dict("records")]})
        png = scatter_figure(points, title="Latency per inference vs frames dropped", xlabel="inference (ms, median)",
                             ylabel="frames dropped (%)")
        section.figures.append(Figure("Latency per inference vs frames dropped (main thread vs worker)",
                                      data_uri(png), "qoe.png"))
        section.files["qoe.png"] = png
    section.files["qoe.csv"] = table
    return section


def memory_section(table: pd.DataFrame, data: ReportData) -> Section:
    section = Section("memory", "Memory against the model's size",
                      "The memory pass loads, runs and disposes the model five times in one page. Peak JS heap: CDP "
                      "Runtime.getHeapUsage sampled every 50 ms through the pass; renderer RSS: the peak of the "
                      "page's renderer process in the timed replicates; wasm: the framework's WebAssembly linear "
                      "memory (it never shrinks): its adapter's count, or the WebAssembly.Memory objects its scripts "
                      "made, watched from before they load (ONNX Runtime Web, …); framework: tf.memory() (bytes, GPU bytes, tensors) with the model "
                      "loaded and run; WebGPU buffers: the bytes of the buffers the page created and had not "
                      "destroyed (nor the garbage collector freed), at their highest. Each peak ÷ the model's file "
                      "size is what the model costs beyond its file.")
    if table.empty:
        section.empty = MEMORY_HINT
        return section
    rows = []
    for row in table.to_dict("records"):
        rows.append([*_config(row, data), _mib(row["model_file_bytes"]), _mib(row["js_heap_peak_bytes"]),
                     _times(row["heap_per_model"]), _mib(row["rss_renderer_peak_bytes"]), _times(row["rss_per_model"]),
                     _mib(row["wasm_bytes"]), _mib(row["framework_bytes"]), _mib(row["framework_gpu_bytes"]),
                     _n(row["framework_tensors"], ".0f"), _mib(row["webgpu_buffer_bytes"])])
    columns = [*_config_columns(data), "Model MiB", "Peak JS heap MiB", "Heap ÷ model", "Renderer RSS MiB",
               "RSS ÷ model", "Wasm MiB", "Framework MiB", "Framework GPU MiB", "Tensors", "WebGPU buffers MiB"]
    section.tables.append(Table(columns, ["text"] * len(_config_columns(data)) + ["num"] * 10, rows,
                                caption="– : not reported by that framework or backend (the reasons below)."))
    absent_by_reason: dict[str, set[str]] = {}
    for absent in table["absent"]:
        for metric, why in (absent or {}).items():
            absent_by_reason.setdefault(why, set()).add(metric)
    section.notes.extend(f"Absent ({', '.join(sorted(metrics))}): {why}."
                         for why, metrics in sorted(absent_by_reason.items()))
    section.files["memory.csv"] = table.drop(columns=["absent"])
    return section


def leak_section(table: pd.DataFrame, data: ReportData) -> Section:
    section = Section("leaks", "Leak check: load → infer → dispose, five times in one page",
                      "After each cycle's dispose the harness forces a garbage collection and reads the JS heap; the "
                      "framework's own counters are read too. A framework leaks when its tensors or bytes after the "
                      f"last cycle exceed those after the first, or its heap grew by more than "
                      f"{experience.HEAP_LEAK_FLOOR_BYTES / MIB:g} MiB and {experience.HEAP_LEAK_SHARE:.0%} of the "
                      "heap after the first cycle (V8's own caches grow it a little with no leak).")
    if table.empty:
        section.empty = MEMORY_HINT
        return section
    rows = [[*_config(row, data), Cell(str(row["cycles"])),
             Cell("leaks" if row["leaks"] else "no leak" if row["leaks"] is not None else "–"),
             Cell(row["leak_reasons"] or "–")] for row in table.to_dict("records")]
    section.tables.append(Table([*_config_columns(data), "Cycles", "Verdict", "Numbers"],
                                ["text"] * (len(_config_columns(data)) + 3), rows))
    leaking = experience.leaking(table)
    if leaking.empty:
        section.notes.append("No framework leaked in the leak check.")
    for row in leaking.to_dict("records"):
        section.notes.append(f"{data.title(row['framework'])} {row['backend']} leaks "
                             f"({row['model']} {row['depth']}×{row['width']}): {row['leak_reasons']}.")
    return section


def _mib(value) -> Cell:
    if value is None or pd.isna(value):
        return Cell("–")
    return Cell(num(value / MIB), title=f"{int(value):,} bytes", sort=float(value))


def _times(value) -> Cell:
    if value is None or pd.isna(value):
        return Cell("–")
    return Cell(f"{num(value)}×", sort=float(value))
