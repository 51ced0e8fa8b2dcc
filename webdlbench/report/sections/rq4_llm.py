"""RQ4's decoder LLMs (task `generate`, models/webai/): per runtime, the time to the first token,
prefill and decode tokens/s with their CIs over replicates, and each browser runtime as a share of
native on the same prompt and weights (analysis/today.py). Every row's generations equal PyTorch's
greedy tokens, or the row is not `ok` (Table R3 gives the words); a quantised model's row says instead
how often its tokens are fp32's top-1 under forced decoding (models/webai/checks.py)."""
from __future__ import annotations

import pandas as pd

from webdlbench.analysis import today
from webdlbench.analysis.stats import fmt as num
from webdlbench.report.data import ReportData
from webdlbench.report.document import Cell, Section, Table, int_cell, median_cell
from webdlbench.report.sections.common import env_cells, env_columns, series_labels

GENERATE_METRICS = (("ttft_ms", "ms"), ("prefill_tok_s", "tok/s"), ("decode_tok_s", "tok/s"))
RATIO_METRICS = (("decode_tok_s", "decode"), ("ttft_ms", "time to first token"))
HINT = "No decoder LLM measured yet: run `webdlbench run web-ai-quick` (minutes) or `webdlbench run web-ai`."


def _generations(summary: pd.DataFrame) -> pd.DataFrame:
    rows = today.rq4_rows(summary)
    return rows[rows["task"] == "generate"]


def _config(model: str, width) -> str:
    return f"{model.split(':', 1)[-1]} · {int(width)}-token prompt"


def _agreement(checks: dict) -> str:
    """What a result's check says of its tokens against PyTorch's fp32 greedy ones."""
    if "top1_agreement" in checks:
        return (f"top-1 {checks['top1_agreement']:.0%} under forced decoding; greedy equal for the first "
                f"{checks.get('greedy_tokens_equal', 0)}")
    if checks.get("passed") and checks.get("tokens_each"):
        return f"all {checks['tokens_each']} greedy tokens equal"
    return "–"


def speed_section(data: ReportData) -> Section:
    section = Section("rq4_generate", "Table R4: decoder LLMs — time to first token, prefill and decode speed",
                      about="Greedy generation of 128 new tokens (EOS ignored) after a prompt of the given length, "
                            "batch 1, in the warm visit: ttft is the call to the first new token (the prompt's "
                            "prefill and one step), prefill the prompt's tokens over ttft, decode the tokens after "
                            "the first over their time. Medians with the 95% CI over replicates. The last column: "
                            "the tokens against PyTorch's fp32 ones — all equal, or for a quantised file (Q8_0) the "
                            "share of its generated tokens that are fp32's own top-1 when fp32 is fed the same "
                            "prompt and generation (forced decoding; random weights make the logits nearly flat, "
                            "so rounding flips many).")
    rows = _generations(data.summary)
    ok = rows[(rows["outcome"] == "ok") & (rows["n"] > 0)]
    ok = ok[ok["metric"].isin([m for m, _ in GENERATE_METRICS])]
    section.files["rq4_generate.csv"] = ok
    if ok.empty:
        section.empty = HINT
        return section
    ok = ok.assign(series=series_labels(ok, data, extra_keys=("threads",)))
    table_rows = []
    checks = {r.spec_hash: r.checks for r in data.results.itertuples()}  # the latest result's, per spec
    for (environment, series, model, width), one in ok.groupby(["environment", "series", "model", "width"], sort=True):
        by_metric = {r["metric"]: r for _, r in one.iterrows()}
        cells = [median_cell(by_metric[m], unit) if m in by_metric else "–" for m, unit in GENERATE_METRICS]
        decode = by_metric.get("decode_tok_s")
        ci = f"{num(decode['ci_low'])} – {num(decode['ci_high'])}" if decode is not None else "–"
        replicates = int(decode["replicates"]) if decode is not None and "replicates" in decode else 0
        table_rows.append([*env_cells(data, environment), series, _config(model, width), int_cell(replicates),
                           *cells, ci, _agreement(checks.get(one["spec_hash"].iloc[0]) or {})])
    section.tables.append(Table(
        [*env_columns(data), "Runtime", "Model", "Replicates", "ttft (ms)", "prefill (tok/s)", "decode (tok/s)",
         "95% CI of decode", "Tokens vs fp32"],
        [*(["text"] * len(env_columns(data))), "text", "text", "num", "num", "num", "num", "num", "text"], table_rows,
        caption="Data: rq4_generate.csv (every metric's median and CI)"))
    return section


def native_section(data: ReportData) -> Section:
    section = Section("rq4_generate_native", "Table R5: decoder LLMs against native",
                      about="Each browser runtime against each native runtime on the same prompt and weights: × "
                            "(above 1 the browser is slower: native's decode rate over the browser's, or the "
                            "browser's time to first token over native's) with its 95% CI (Welch on log replicate "
                            "medians, Holm across the table), and % of native (decode: the browser's rate as a "
                            "share of native's).")
    frames = []
    for view in data.views:
        for metric, label in RATIO_METRICS:
            ratios = today.native_ratios(_generations(view.summary), view.replicates, metric)
            if not ratios.empty:
                frames.append(ratios.assign(environment=view.label, what=label))
    ratios = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    section.files["rq4_generate_native.csv"] = ratios
    if ratios.empty:
        section.empty = HINT
        return section
    rows = [[*env_cells(data, r.environment), _config(r.model, r.width), r.what,
             f"{data.title(r.browser_framework)} {r.browser_backend}" + (f" ×{r.browser_threads}" if r.browser_threads > 1 else ""),
             f"{data.title(r.native_framework, 'native')} ×{r.native_threads}", num(r.browser_median),
             num(r.native_median), Cell(num(r.ratio), sort=r.ratio), f"{num(r.ratio_ci_low)} – {num(r.ratio_ci_high)}",
             Cell(f"{num(r.pct_of_native)}%", sort=r.pct_of_native), r.comparison] for r in ratios.itertuples()]
    section.tables.append(Table(
        [*env_columns(data), "Model", "Metric", "Browser", "Native (threads)", "browser", "native", "×",
         "95% CI of ×", "% of native", "Comparison"],
        [*(["text"] * len(env_columns(data))), "text", "text", "text", "text", "num", "num", "num", "num", "num",
         "text"], rows, caption="Every browser/native pair (rq4_generate_native.csv)"))
    return section
