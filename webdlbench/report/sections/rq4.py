"""RQ4, today's web-AI stack (beyond the paper; models/webai/): the same weights on transformers.js,
ONNX Runtime Web (wasm, WebGPU, WebNN), LiteRT.js and TF.js and natively on ONNX Runtime, PyTorch,
TFLite and TensorFlow — steady-state time with the native bars beside, "% of native", the wasm/WebGPU crossover,
cold against warm start, and what each runtime actually ran on. Computed per environment by
analysis/today.py; filled by `webdlbench run web-ai` (or web-ai-quick)."""
from __future__ import annotations

import math
import re

import pandas as pd

from webdlbench.analysis import today
from webdlbench.analysis.findings import fmt as num
from webdlbench.models.webai.kinds import KINDS as WEBAI_KINDS
from webdlbench.report.data import ReportData
from webdlbench.report.document import Cell, Figure, Part, Section, Table, ci_cell, int_cell, median_cell
from webdlbench.report.plots import data_uri, series_figure
from webdlbench.report.sections import rq4_llm
from webdlbench.report.sections.common import env_cells, env_columns, series_labels
from webdlbench.software_gpu import backend_is_software

HINT = "Not measured yet: run `webdlbench run web-ai-quick` (minutes) or `webdlbench run web-ai` to fill this part."
SOFTWARE_NOTE = ("WebGPU ran on a software device here (SwiftShader: the page's adapter says so): its times measure "
                 "the CPU rendering the GPU's work, never a GPU, and are not compared as one.")
LOAD_METRICS = ("cold_load_ms", "warm_load_ms", "first_infer_ms", "warmup_ms", "infer_ms")
MAX_MESSAGE_CHARS = 200
# The tasks whose steady state is one inference (infer_ms), each with its own crossover.
CROSSOVER_TASKS = {"embed": "embedding", "classify": "image classification"}
ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")  # terminal colours in ONNX Runtime's log lines


def part(data: ReportData) -> Part:
    return Part("rq4", "RQ4: today's stack",
                "Beyond the paper: a web developer choosing today between transformers.js, ONNX Runtime Web, "
                "LiteRT.js, TF.js and wllama, on wasm or WebGPU (or WebNN), for a sentence-embedding model, an "
                "image classifier or a small LLM — how long "
                "the first visit and a warm visit take, how fast steady-state inference or generation is, and how "
                "far that is from native on the same machine, weights and token ids. Models are made here with the "
                "real architectures, a tokenizer trained on a local corpus and the official exporters (optimum's "
                "ONNX, tf2onnx, TensorFlow's TFLite converter, the TF.js converter, llama.cpp's GGUF; weights "
                "random: no hub exists offline); every embedding is checked against PyTorch's (cosine ≥ 0.999; "
                "a q8 or fp16 file's must be nearer its own input's than any two inputs' are, its cosine reported), "
                "every image classification against native's outputs (within the model's tolerance), every "
                "generation against PyTorch's greedy tokens (all equal; a quantised GGUF file's by its top-1 "
                "agreement under forced decoding, reported in Table R4).",
                [latency_section(data), native_section(data), crossover_section(data),
                 rq4_llm.speed_section(data), rq4_llm.native_section(data), load_section(data),
                 backend_section(data)])


def _rq4(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["model"].isin(list(WEBAI_KINDS))]


def _config(model: str, width) -> str:
    return f"{_short(model)} · {_size(model, width)}"


def _short(model: str) -> str:
    return model.split(":", 1)[-1]


def _size(model: str, width) -> str:
    return f"{int(width)} {'px' if WEBAI_KINDS[model].family == 'image' else 'tokens'}"


def _software(data: ReportData, rows: pd.DataFrame) -> bool:
    results = data.results.set_index("spec_hash")
    for r in rows[rows["backend"] == "webgpu"].itertuples():
        if r.spec_hash in results.index:
            env = data.envs.get(results.loc[[r.spec_hash]].iloc[-1]["env_id"]) or {}
            if backend_is_software("webgpu", env):
                return True
    return False


def _output_cell(checks: dict) -> str:
    """How near a result's outputs came to the reference's: the worst embedding's cosine with
    PyTorch's fp32 one, or an image's largest class-output difference."""
    if checks.get("min_cosine") is not None:
        return f"cosine {checks['min_cosine']:.6f}"
    if checks.get("max_abs_error") is not None:
        return f"max |Δ| {checks['max_abs_error']:.2g}"
    return "–"


def latency_section(data: ReportData) -> Section:
    section = Section("rq4_latency", "Figure R1: steady-state inference time (embedding, image classification), "
                                     "browser runtimes and native",
                      about="Median time of one inference with its 95% CI over replicates, per runtime × backend × "
                            "threads, against model and input size (ordered by work): one embedding (batch 1, token "
                            "ids in, mean-pooled vector read back) or one image classification (batch 1, one "
                            "preprocessed image in, 1,000 class outputs read back); the native runtimes on the same "
                            "files beside them (ONNX Runtime, PyTorch, TFLite, TensorFlow). The table's last column: "
                            "how near the outputs came to the reference — an embedding's worst cosine with PyTorch's "
                            "fp32 one (the q8 and fp16 files' is the quantisation's cost), an image's largest "
                            "class-output difference.")
    rows = today.headline(_rq4(data.summary))
    everything = _rq4(data.summary).drop_duplicates(["spec_hash", "environment"])
    section.files["rq4_latency.csv"] = rows
    if rows.empty:
        section.empty = HINT
        return section
    shown = rows.assign(series=series_labels(rows, data, extra_keys=("threads",)),
                        x=[_config(m, w) for m, w in zip(rows["model"], rows["width"])],
                        x_order=[today.work(m, w) for m, w in zip(rows["model"], rows["width"])],
                        group=rows["model"])
    # A panel per model names it, so its ticks need only the size; browser and native series
    # take rows of their own (a whole grid has ~20 series: more than one row's colours).
    drawn = shown.assign(panel=[_short(m) for m in shown["model"]],
                         tick=[_size(m, w) for m, w in zip(shown["model"], shown["width"])],
                         facet=["native" if r == "native" else "in the browser" for r in shown["runtime"]])
    png = series_figure(drawn, title="Figure R1: one inference, median with 95% CI", ylabel="ms per inference (log)",
                        log_y=bool((shown["ci_low"] > 0).all()), xlabel="model · input size")
    section.figures.append(Figure("Figure R1", data_uri(png), "rq4_latency.png"))
    section.files["rq4_latency.png"] = png
    checks = {r.spec_hash: r.checks for r in data.results.itertuples()}  # the latest result's, per spec
    table_rows = [[*env_cells(data, r.environment), r.series, Cell(r.x, sort=r.x_order), int_cell(r.replicates),
                   median_cell(r._asdict(), "ms"), ci_cell(r._asdict()), _output_cell(checks.get(r.spec_hash) or {})]
                  for r in shown.sort_values(["x_order", "median"]).itertuples()]
    failed = everything[everything["outcome"] != "ok"]
    table_rows += [[*env_cells(data, r.environment), " ".join([data.title(r.framework, r.runtime), r.backend]),
                    _config(r.model, r.width), "0", "–", "–", "–"] for r in failed.itertuples()]
    section.tables.append(Table([*env_columns(data), "Series", "Model", "Replicates", "median (ms)", "95% CI (ms)",
                                 "Output vs reference"],
                                [*(["text"] * len(env_columns(data))), "text", "text", "num", "num", "num", "text"], table_rows,
                                caption="Data behind Figure R1 (rq4_latency.csv); rows without a time are runs that "
                                        "did not end ok (Table R3 gives their words)"))
    if _software(data, rows):
        section.notes.append(SOFTWARE_NOTE)
    return section


def _per_view(data: ReportData, compute) -> pd.DataFrame:
    frames = [compute(view).assign(environment=view.label) for view in data.views]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def native_section(data: ReportData) -> Section:
    section = Section("rq4_native", "Table R1: how far from native (× time, % of native throughput)",
                      about="Browser median time over native median time of the same work (× ; above 1 the browser is "
                            "slower), its 95% CI from Welch's t on the log replicate medians with Holm's correction "
                            "across the table, and the same as a throughput: % of native = 100 / ×. wasm pairs with "
                            "native at the same thread count; WebGPU and WebNN with native at every thread count.")
    ratios = _per_view(data, lambda v: today.native_ratios(v.summary, v.replicates))
    section.files["rq4_native.csv"] = ratios
    if ratios.empty:
        section.empty = HINT
        return section
    rows = [[*env_cells(data, r.environment), _config(r.model, r.width),
             f"{data.title(r.browser_framework)} {r.browser_backend}" + (f" ×{r.browser_threads}" if r.browser_threads > 1 else ""),
             f"{data.title(r.native_framework, 'native')} ×{r.native_threads}", num(r.browser_median), num(r.native_median),
             Cell(num(r.ratio), sort=r.ratio), f"{num(r.ratio_ci_low)} – {num(r.ratio_ci_high)}",
             Cell(f"{num(r.pct_of_native)}%", sort=r.pct_of_native), r.comparison] for r in ratios.itertuples()]
    section.tables.append(Table([*env_columns(data), "Model", "Browser", "Native (threads)", "browser ms", "native ms",
                                 "×", "95% CI of ×", "% of native", "Comparison"],
                                [*(["text"] * len(env_columns(data))), "text", "text", "text", "num", "num", "num",
                                 "num", "num", "text"], rows, caption="Every browser/native pair (rq4_native.csv)"))
    if (ratios["browser_backend"] == "webgpu").any() and _software(data, today.rq4_rows(data.summary)):
        section.notes.append(SOFTWARE_NOTE)
    return section


def crossover_section(data: ReportData) -> Section:
    section = Section("rq4_crossover", "The wasm/WebGPU crossover",
                      about="Per browser runtime and task (embedding, image classification), WebGPU against that "
                            "runtime's fastest wasm result at each model and input size, in order of work: the "
                            "crossover is the smallest configuration where WebGPU is significantly faster (Welch on "
                            "log replicate medians, Holm across the runtime's configurations of that task).")
    frames, sentences = [], []
    for view in data.views:
        for task, noun in CROSSOVER_TASKS.items():
            table, verdicts = today.crossover(view.summary, view.replicates, task=task)
            frames.append(table.assign(environment=view.label))
            for framework, verdict in verdicts.items():
                where = f"{data.title(framework)} ({noun}" + (f", {view.label})" if data.split else ")")
                if verdict["crossover"]:
                    found = _config(verdict["crossover"]["model"], verdict["crossover"]["width"])
                    sentences.append(f"{where}: WebGPU wins from {found} on.")
                else:
                    largest = _config(verdict["largest"]["model"], verdict["largest"]["width"])
                    count = verdict["configurations"]
                    sentences.append(f"{where}: not within the sizes tried "
                                     f"({count} configuration{'s' if count != 1 else ''}, up to {largest}).")
    table = pd.concat([f for f in frames if not f.empty], ignore_index=True) if any(not f.empty for f in frames) \
        else pd.DataFrame(columns=[*today.CROSSOVER_COLUMNS, "environment"])
    section.files["rq4_crossover.csv"] = table
    if table.empty:
        section.empty = "No runtime has both a wasm and a WebGPU result of one configuration yet. " + HINT
        return section
    section.notes += sentences
    if _software(data, today.rq4_rows(data.summary)):
        section.notes.append(SOFTWARE_NOTE + " The crossover here is SwiftShader's against wasm's, not a GPU's.")
    rows = [[*env_cells(data, r.environment), data.title(r.browser_framework), _config(r.model, r.width),
             f"{num(r.wasm_median)} (×{r.wasm_threads})", num(r.webgpu_median), Cell(num(r.webgpu_over_wasm),
             sort=r.webgpu_over_wasm), r.comparison] for r in table.itertuples()]
    section.tables.append(Table([*env_columns(data), "Runtime", "Model", "fastest wasm ms (threads)", "WebGPU ms",
                                 "WebGPU / wasm", "Comparison"],
                                [*(["text"] * len(env_columns(data))), "text", "text", "num", "num", "num", "text"],
                                rows, caption="rq4_crossover.csv"))
    return section


def load_section(data: ReportData) -> Section:
    section = Section("rq4_load", "Table R2: first visit against second visit",
                      about="Browser: a replicate is two visits in a browser context of its own. cold_load_ms: the first "
                            "visit, every cache empty — the runtime's module and wasm fetched and compiled, the model "
                            "fetched, the session made; first_infer_ms: its first inference (WebGPU compiles its "
                            "shaders here). warm_load_ms: the second visit, with the HTTP cache for the bundles and the "
                            "runtime's own cache for the model (transformers.js: Cache Storage; TF.js: its IndexedDB model "
                            "store; ONNX Runtime Web and LiteRT.js have none, so their adapters keep the model in "
                            "Cache Storage, as an app does); warm first "
                            "inference: its first inference. Native: one process, the first load includes importing "
                            "the library; the warm load is the second in the same process.")
    summary = _rq4(data.summary)
    wide = summary[summary["metric"].isin(LOAD_METRICS) & (summary["n"] > 0) & (summary["outcome"] == "ok")]
    section.files["rq4_load.csv"] = wide
    if wide.empty:
        section.empty = HINT
        return section
    keys = ["environment", "runtime", "framework", "backend", "threads", "model", "width"]
    rows = []
    for key, group in wide.groupby(keys, sort=False):
        by = {r["metric"]: r for r in group.to_dict("records")}
        values = [by.get(m) for m in LOAD_METRICS]
        cold, warm = values[0], values[1]
        speedup = cold["median"] / warm["median"] if cold and warm and warm["median"] > 0 else math.nan
        rows.append([*env_cells(data, key[0]), f"{data.title(key[2], key[1])} {key[3]}" + (f" ×{key[4]}" if key[4] > 1 else ""),
                     _config(key[5], key[6]), *[median_cell(v, "ms") if v else "–" for v in values],
                     Cell(num(speedup), sort=speedup)])
    section.tables.append(Table([*env_columns(data), "Runtime", "Model", "cold load ms", "warm load ms",
                                 "first inference ms (cold)", "first inference ms (warm)", "steady ms", "cold / warm load"],
                                [*(["text"] * len(env_columns(data))), "text", "text", *["num"] * 6], rows,
                                caption="Medians (n and 95% CI in the tooltip); rq4_load.csv"))
    return section


def _backend_cells(info: dict) -> tuple[str, str, str]:
    used = info.get("backend_used") or {}
    providers = (used.get("session_options") or {}).get("executionProviders") or used.get("execution_providers")
    sessions = used.get("sessions") or {}
    devices = sorted({str((s.get("config") or {}).get("device")) for s in sessions.values()})
    wasm = used.get("wasm") or {}
    threads = next((v for v in (wasm.get("numThreads"), wasm.get("threads"), wasm.get("wasm_threads"),
                                used.get("torch_threads"), used.get("intra_op_threads"), used.get("num_threads"))
                    if v is not None), None)
    # LiteRT.js: the accelerator it compiled for (it falls back to wasm by itself); TF.js: its backend.
    placed = (f"accelerator {used['accelerator']}" + ("" if used.get("fully_accelerated", True) else " (partly)")
              if used.get("accelerator") else f"backend {used['backend']}" if used.get("backend") else "")
    ran = ", ".join(filter(None, [used.get("runtime") or used.get("device"), placed,
                                  f"EP {providers}" if providers else "", f"device {'/'.join(devices)}" if devices else "",
                                  f"threads {threads}" if threads is not None else ""]))
    adapter = used.get("webgpu_adapter") or {}
    gpu = f"{adapter.get('vendor')} / {adapter.get('architecture')}" + (" (fallback)" if adapter.get("is_fallback") else "") \
        if adapter else ""
    messages = list(info.get("runtime_messages") or []) + list((info.get("cold_visit") or {}).get("runtime_messages") or [])
    return ran, gpu, (ANSI_CODES.sub("", messages[0])[:MAX_MESSAGE_CHARS] if messages else "")


def backend_section(data: ReportData) -> Section:
    section = Section("rq4_backends", "Table R3: what actually ran",
                      about="Per result: the backend asked for, what the runtime says it ran (execution providers, "
                            "device, threads), the WebGPU adapter the page saw (software when SwiftShader), the first "
                            "message the runtime printed while making its session (e.g. ONNX Runtime placing nodes on "
                            "another execution provider), and the outcome with its own words when not ok.")
    results = _rq4(data.results)
    if results.empty:
        section.empty = HINT
        return section
    rows, records = [], []
    for r in results.itertuples():
        ran, gpu, message = _backend_cells(r.info or {})
        env = data.envs.get(r.env_id) or {}
        software = backend_is_software(r.backend, env) if r.backend == "webgpu" else None
        page_gpu = env.get("webgpu_adapter") or {}
        gpu = gpu or (f"{page_gpu.get('vendor')} / {page_gpu.get('architecture')} (page)" if page_gpu and r.backend == "webgpu" else "")
        rows.append([*env_cells(data, r.environment), f"{data.title(r.framework, r.runtime)} {r.backend}",
                     _config(r.model, r.width), r.outcome, ran, gpu + (" — software" if software else ""), message,
                     str(r.error)[:MAX_MESSAGE_CHARS]])
        records.append({"environment": r.environment, "runtime": r.runtime, "framework": r.framework,
                        "backend": r.backend, "model": r.model, "width": r.width, "threads": r.threads,
                        "outcome": r.outcome, "ran": ran, "webgpu_adapter": gpu, "software_gpu": software,
                        "runtime_message": message, "error": r.error})
    section.files["rq4_backends.csv"] = pd.DataFrame(records)
    section.tables.append(Table([*env_columns(data), "Asked for", "Model", "Outcome", "Ran", "WebGPU adapter",
                                 "Runtime's message", "Error (verbatim)"],
                                [*(["text"] * len(env_columns(data))), *["text"] * 7], rows, caption="rq4_backends.csv"))
    return section
