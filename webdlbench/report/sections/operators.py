"""The operators section of "Experience, operators and memory": where one inference's time goes per
operator (the `--ops` pass), in the browser and natively, the browser/native ratio per operator, and
the profiled predictions as a Chrome trace beside the report."""
from __future__ import annotations

import json

import pandas as pd

from webdlbench.analysis import operators
from webdlbench.report.data import ReportData
from webdlbench.report.document import Cell, Figure, Section, Table, num
from webdlbench.report.plots import bar_figure, data_uri

OPS_HINT = ("No operators pass yet: run an inference suite with `--ops` (e.g. `webdlbench run quick --ops`; native "
            "PyTorch or ONNX Runtime specs of the same models give the browser/native ratio per operator) to fill "
            "this section.")
TRACE_FILE = "ops-trace.json"
SHOWN_PER_RESULT = 6  # the operators that take most time, per result; the CSV has them all


def section(data: ReportData) -> Section:
    found = Section("operators", "Operators: where the time goes, browser against native",
                    "The operators pass runs 10 predictions under the library's own profiler after warming up: "
                    "TF.js's tf.profile() in the page (each kernel's time; on WebGL the GPU time from the timer "
                    "query), ONNX Runtime Web's session profiler (enableProfiling: each node's kernel time on wasm; "
                    "on WebGPU each kernel's GPU time from timestamp queries, where the adapter has "
                    "`timestamp-query`); natively PyTorch's torch.profiler (each operator's self CPU time) and "
                    "ONNX Runtime's session profiler on the very .onnx file the page ran. Kernel names are "
                    "mapped to one vocabulary (MatMul/Dense, Conv2D, Add, Relu, Softmax, …; TF.js fuses a dense "
                    "layer's bias and activation into _FusedMatMul, ONNX Runtime's optimiser MatMul + Add into "
                    "Gemm or FusedGemm, which then count as MatMul/Dense); an "
                    "operator's time is the median over the predictions of its kernels' summed time. Where a profiler's timer cannot be "
                    "trusted the table says so instead of printing a number.")
    table = operators.ops_table(data.results)
    if table.empty:
        found.empty = OPS_HINT
        return found
    rows, untrusted = [], set()
    for _, group in table.groupby("result_id", sort=False):
        for row in group.head(SHOWN_PER_RESULT).to_dict("records"):
            if not row["trusted"]:
                untrusted.add(f"{row['framework']}/{row['backend']}: {row['timer_words']}")
            rows.append([data.title(row["framework"], row["runtime"]), row["backend"], row["model"],
                         f"{row['depth']}×{row['width']}", row["operator"],
                         _number(row["ms"], "not trusted"), _number(None if row["share"] is None else 100 * row["share"],
                                                                     "–", ".0f"), row["kernels"]])
    found.tables.append(Table(["Framework", "Backend", "Model", "Size", "Operator", "ms per prediction", "Share %",
                               "Kernels"], ["text"] * 5 + ["num", "num", "text"], rows,
                              caption=f"The {SHOWN_PER_RESULT} operators that take most time per profiled result."))
    found.notes.extend(f"Timer not trusted — {line}" for line in sorted(untrusted))
    ratios = operators.operator_ratios(table)
    if not ratios.empty:
        found.tables.append(Table(
            ["Model", "Size", "Browser", "Native", "Operator", "Browser ms", "Native ms", "Browser/native", "Note"],
            ["text"] * 5 + ["num"] * 3 + ["text"],
            [[r["model"], f"{r['depth']}×{r['width']}", r["browser"], r["native"], r["operator"],
              _number(r["browser_ms"], "–"), _number(r["native_ms"], "–"),
              Cell(f"{num(r['ratio'])}×", sort=float(r["ratio"])) if pd.notna(r["ratio"]) else Cell("–"), r["note"]]
             for r in ratios.to_dict("records")],
            caption="Which operators explain the gap: each operator's time in the browser over its time natively."))
        shown = ratios.dropna(subset=["ratio"])
        if not shown.empty:
            points = pd.DataFrame({"series": shown["browser"] + " / " + shown["native"], "x": shown["operator"],
                                   "median": shown["ratio"], "ci_low": shown["ratio"], "ci_high": shown["ratio"]})
            png = bar_figure(points, title="Browser/native time ratio per operator", ylabel="browser ÷ native",
                             log_y=True, xlabel="operator")
            found.figures.append(Figure("Browser/native time ratio per operator", data_uri(png), "ops-ratio.png"))
            found.files["ops-ratio.png"] = png
        found.files["ops-ratios.csv"] = ratios
    found.notes.append(f"Chrome trace of the first profiled prediction of every result: {TRACE_FILE} beside this "
                       "report (open it in ui.perfetto.dev or chrome://tracing; kernels are laid end to end in "
                       "execution order, as the profilers give durations, not start times).")
    found.files[TRACE_FILE] = json.dumps(operators.chrome_trace(data.results)).encode()
    found.files["ops.csv"] = table
    return found


def _number(value, missing: str, digits: str = "") -> Cell:
    if value is None or pd.isna(value):
        return Cell(missing)
    return Cell(f"{value:{digits}}" if digits else num(value), sort=float(value))
