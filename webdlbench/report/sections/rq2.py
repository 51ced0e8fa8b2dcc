"""RQ2, how well frameworks perform (paper §4): Figure 1, Table 2, Table 3, Figures 2–4 and the
call-stack depths, with the paper's printed numbers beside ours."""
from __future__ import annotations

import numpy as np
import pandas as pd

from webdlbench.analysis import compare, paper
from webdlbench.frameworks import FRAMEWORKS
from webdlbench.report.data import ReportData
from webdlbench.report.document import Cell, Part, Section, Table, int_cell, num
from webdlbench.report.sections.common import (INFERENCE_HINT, PROFILE_HINT, TRAINING_HINT, FigureSpec, env_cells,
                                               env_columns, figure_section)
from webdlbench.software_gpu import GPU_BACKENDS, backend_is_software

CPU_METRICS = {"cpu_renderer_pct": "Renderer", "cpu_gpu_pct": "GPU process"}
BYTES_PER_MB = 1_000_000  # decimal megabytes, stated in the table

FIGURES = {spec.key: spec for spec in (
    FigureSpec("fig1", "Figure 1: training time per batch", "train_batch_ms", "train",
               "time per training batch (ms)", True, TRAINING_HINT,
               "Median time of one training batch (SGD step, result read back), warm-up batches excluded. "
               "Error bars: 95% CI of the median. Log y axis, as in the paper. The paper (§4.2): ConvNetJS fastest "
               "everywhere, brain.js about 2x and TF.js 2x–3x slower than it on the CPU; synaptic tens to hundreds "
               "of times slower (left out of its figure)."),
    FigureSpec("fig2", "Figure 2: model load time", "load_ms", "infer", "model load time (ms)", True,
               INFERENCE_HINT, "Fetching and parsing the saved model file; one sample per fresh page load. "
               "Error bars: 95% CI of the median. Log y axis, as in the paper. The paper (§4.3): ConvNetJS fastest on "
               "the CPU, synaptic 100x–1000x slower than ConvNetJS, TF.js almost unchanged whatever the model size."),
    FigureSpec("fig3", "Figure 3: warm-up time (first prediction)", "warmup_ms", "infer",
               "first prediction (ms)", True, INFERENCE_HINT,
               "The first prediction after loading (shader compilation, JIT), one sample per page load. "
               "The paper shows GPU backends only; every backend is shown here. Log y axis, as in the paper. The "
               f"paper (§4.3): Keras.js warms up within {paper.KERASJS_WARMUP_MS:g} ms, TF.js next, WebDNN last."),
    FigureSpec("fig4", "Figure 4: inference time per sample", "infer_ms", "infer", "time per prediction (ms)",
               False, INFERENCE_HINT, "Steady-state prediction of one sample, output read back. "
               "Error bars: 95% CI of the median. Linear y axis, as in the paper. The paper (§4.3): almost every "
               f"inference within {paper.INFERENCE_WITHIN_MS:g} ms, except synaptic (its shortest "
               f"{paper.SYNAPTIC_SHORTEST_INFER_MS:g} ms); ConvNetJS fastest."),
)}


def part(data: ReportData) -> Part:
    return Part("rq2", "RQ2: How well do the frameworks perform?",
                "Paper §4: the same fully connected MNIST networks (784 inputs, depth hidden layers of width "
                "neurons, 10 outputs) trained and run by each framework in the browser.",
                [_with_relative(figure_section(FIGURES["fig1"], data), data), cpu_section(data),
                 file_size_section(data),
                 *(figure_section(FIGURES[k], data) for k in ("fig2", "fig3", "fig4")), stack_section(data)])


def _with_relative(section: Section, data: ReportData) -> Section:
    """Figure 1's section plus training time relative to ConvNetJS, the comparison §4.2 quotes."""
    rows = data.summary[(data.summary["runtime"] == "browser") & (data.summary["task"] == "train")
                        & (data.summary["metric"] == "train_batch_ms") & (data.summary["outcome"] == "ok")
                        & (data.summary["n"] > 0) & (data.summary["model"] == "mlp")]
    keys = ["environment", "depth", "width", "batch"]
    reference = rows[rows["framework"] == "convnetjs"][[*keys, "median", "spec_hash"]]
    pairs = rows[rows["framework"] != "convnetjs"].merge(reference, on=keys, suffixes=("", "_ref"))
    if pairs.empty:
        return section
    pairs = pairs.assign(ratio=pairs["median"] / pairs["median_ref"])
    # Each pair tested (Welch's t on log replicate medians), Holm across every pair of the table.
    lookups = {env: compare.Replicates(frame) for env, frame in data.replicates.items()}
    empty = compare.Replicates(None)
    estimates = [compare.ratio_test(lookups.get(r["environment"], empty).values(r["spec_hash"], r["metric"]),
                                    lookups.get(r["environment"], empty).values(r["spec_hash_ref"], r["metric"]))
                 for r in pairs.to_dict("records")]
    pairs = pairs.assign(direction=[d.direction for d in compare.decide(estimates, 1.0)])
    table_rows, records = [], []
    for (env, framework, backend), group in pairs.groupby(["environment", "framework", "backend"]):
        geo = float(np.exp(np.log(group["ratio"]).mean()))
        quoted = paper.TRAINING_VS_CONVNETJS.get(framework) if backend == "cpu" else None
        quoted_text = ("–" if quoted is None else f"{quoted[0]:g}x" if quoted[0] == quoted[1]
                       else f"{quoted[0]:g}x–{quoted[1]:g}x")
        slower = int((group["direction"] == compare.ABOVE).sum())
        faster = int((group["direction"] == compare.BELOW).sum())
        tested = f"slower in {slower}, faster in {faster}, no significant difference in {len(group) - slower - faster}"
        table_rows.append([*env_cells(data, env), data.title(framework), backend, int_cell(len(group)),
                           Cell(f"{geo:.2f}x", sort=geo),
                           f"{group['ratio'].min():.2f}x – {group['ratio'].max():.2f}x", tested, quoted_text])
        records.append({"environment": env, "framework": framework, "backend": backend, "models": len(group),
                        "geometric_mean_ratio": geo, "min_ratio": group["ratio"].min(),
                        "max_ratio": group["ratio"].max(), "slower": slower, "faster": faster, "paper": quoted_text})
    section.tables.append(Table([*env_columns(data), "Framework", "Backend", "Models", "Time / ConvNetJS (geometric "
                                 "mean)", "Range", "Tested against ConvNetJS (models)",
                                 f"Paper 2018 ({paper.TRAINING_VS_CONVNETJS_SOURCE})"],
                                [*["text"] * (len(env_columns(data)) + 2), "num", "num", "num", "text", "text"],
                                table_rows,
                                caption="Training time per batch relative to ConvNetJS on the same model; each model "
                                        f"tested ({compare.METHOD_TWO}, {compare.HOLM} across the table)"))
    section.files["fig1_relative_to_convnetjs.csv"] = pd.DataFrame(records)
    return section


def cpu_section(data: ReportData) -> Section:
    section = Section("table2", "Table 2: CPU utilisation during training",
                      about="CPU% of the page's renderer process and of the browser's GPU process, sampled every "
                            "200 ms while training; every model of the suite pooled. 100% is one core fully busy. "
                            "The paper measured the browser as a whole (its Table 2, beside ours): its 'iGPU' and "
                            "'nGPU' rows are TF.js's WebGL backend on an integrated and a standalone GPU.")
    samples = data.samples
    cpu = samples[(samples["task"] == "train") & samples["metric"].isin(list(CPU_METRICS))]
    keys = ["environment", "runtime", "framework", "backend"]
    stats = cpu.groupby([*keys, "metric"])["value"].agg(["max", "min", "mean", "count"]).reset_index()
    section.files["table2_cpu_utilisation.csv"] = stats
    if stats.empty:
        section.empty = TRAINING_HINT
        return section
    columns = [*env_columns(data), "Framework", "Backend"]
    for name in CPU_METRICS.values():
        columns += [f"{name} max (%)", f"{name} min (%)", f"{name} average (%)", f"{name} samples"]
    columns.append("Paper 2018: max / min / average (%)")
    rows = []
    for (env, runtime, framework, backend), group in stats.groupby(keys):
        row = [*env_cells(data, env), data.title(framework, runtime), backend]
        for metric in CPU_METRICS:
            found = group[group["metric"] == metric]
            row += ([Cell(num(found[c].iloc[0]), sort=float(found[c].iloc[0])) for c in ("max", "min", "mean")]
                    + [int_cell(found["count"].iloc[0])] if len(found) else ["–"] * 4)
        row.append(_paper_cpu(framework, backend) if runtime == "browser" else "")
        rows.append(row)
    notes = []
    software = sorted({e for e, b in zip(stats["environment"], stats["backend"])
                       if b in GPU_BACKENDS and _software_gpu(data, e, b)})
    if software:
        notes.append("WebGL/WebGPU ran on SwiftShader here" + (f" ({', '.join(software)})" if data.split else "")
                     + ": their 'GPU process' CPU% is the software rendering itself, where the paper's GPU rows had "
                     "a GPU doing that work.")
    section.tables.append(Table(columns, [*(["text"] * (len(env_columns(data)) + 2)), *["num"] * 8, "text"], rows,
                                caption=f"Source of the paper's values: {paper.TABLE2_SOURCE}", notes=notes))
    return section


def _software_gpu(data: ReportData, label: str, backend: str) -> bool:
    env = next((e for e in data.environments if e.label == label), None)
    return env is not None and bool(backend_is_software(backend, env.fingerprint))


def _paper_cpu(framework: str, backend: str) -> str:
    texts = [f"{row}: {' / '.join(f'{v:.1f}' for v in paper.TABLE2[(framework, row)])}"
             for row in paper.TABLE2_BACKENDS.get(backend, ()) if (framework, row) in paper.TABLE2]
    return "; ".join(texts)


def file_size_section(data: ReportData) -> Section:
    section = Section("table3", "Table 3: model file size",
                      about=f"Size of the model file(s) each framework's own serializer wrote (what the page "
                            f"fetches); MB = {BYTES_PER_MB:,} bytes, exact bytes in the tooltip. The paper's values "
                            f"({paper.TABLE3_SOURCE}) beside ours; its TF.js column stands for Keras.js and WebDNN "
                            "too (all converted from Keras).")
    samples = data.samples
    sizes = samples[(samples["metric"] == "model_file_bytes") & (samples["model"] == "mlp")]
    per = sizes.groupby(["runtime", "framework", "depth", "width"])["value"].median().reset_index(name="bytes")
    per["mb"] = per["bytes"] / BYTES_PER_MB
    per["paper_mb"] = [paper.table3_mb(f, d, w) for f, d, w in zip(per["framework"], per["depth"], per["width"])]
    section.files["table3_model_file_size.csv"] = per
    if per.empty:
        section.empty = INFERENCE_HINT
        return section
    frameworks = list(dict.fromkeys(zip(per["runtime"], per["framework"])))
    columns = ["Depth", "Width"]
    for runtime, framework in frameworks:
        columns.append(f"{data.title(framework, runtime)} (MB)")
        if framework in paper.TABLE3_FRAMEWORKS:
            columns.append(f"{data.title(framework, runtime)} 2018 (MB)")
    rows = []
    for (depth, width), group in per.groupby(["depth", "width"]):
        row = [int_cell(depth), int_cell(width)]
        for runtime, framework in frameworks:
            found = group[(group["runtime"] == runtime) & (group["framework"] == framework)]
            row.append(Cell(f"{found['mb'].iloc[0]:.2f}", title=f"{found['bytes'].iloc[0]:,.0f} bytes",
                            sort=float(found["bytes"].iloc[0])) if len(found) else "–")
            if framework in paper.TABLE3_FRAMEWORKS:
                mb = paper.table3_mb(framework, int(depth), int(width))
                row.append(Cell(f"{mb:.1f}", sort=mb) if mb is not None else "–")
        rows.append(row)
    section.tables.append(Table(columns, ["num"] * len(columns), rows))
    formats = [f"{FRAMEWORKS[f].title}: {FRAMEWORKS[f].model_format}" for _, f in frameworks if f in FRAMEWORKS]
    if formats:
        section.notes.append("Formats: " + " · ".join(formats))
    return section


def stack_section(data: ReportData) -> Section:
    section = Section("stack", "Call-stack depth while training",
                      about="The deepest JavaScript call stack V8's sampling profiler (200 µs) saw while the page "
                            "trained, in a separate profiled page (never in the measured samples); harness frames "
                            f"included. The paper ({paper.STACK_DEPTH_SOURCE}): ConvNetJS 3, TensorFlow.js 48.")
    rows = data.summary[(data.summary["metric"] == "max_stack_depth") & (data.summary["n"] > 0)]
    keys = ["environment", "runtime", "framework", "backend"]
    stats = rows.groupby(keys).agg(specs=("spec_hash", "nunique"), deepest=("max", "max"),
                                   median=("median", "median"), shallowest=("min", "min")).reset_index()
    stats["paper"] = stats["framework"].map(paper.STACK_DEPTH)
    section.files["stack_depth.csv"] = stats
    if stats.empty:
        section.empty = PROFILE_HINT
        return section
    table_rows = [[*env_cells(data, r["environment"]), data.title(r["framework"], r["runtime"]), r["backend"],
                   int_cell(r["specs"]), int_cell(r["deepest"]), Cell(f"{r['median']:g}", sort=float(r["median"])),
                   int_cell(r["shallowest"]), "–" if pd.isna(r["paper"]) else int_cell(r["paper"])]
                  for r in stats.to_dict("records")]
    section.tables.append(Table([*env_columns(data), "Framework", "Backend", "Profiled specs", "Deepest (frames)",
                                 "Median over specs (frames)", "Shallowest (frames)", "Paper 2018 (frames)"],
                                [*(["text"] * (len(env_columns(data)) + 2)), *["num"] * 5], table_rows,
                                caption="max_stack_depth: one profiled page per spec (paper-training profiles every "
                                        "spec)"))
    return section
