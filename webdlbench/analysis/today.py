"""RQ4, today's web-AI stack: pure functions over the summary frame (stats.summary_frame) for the
questions people argue over — how far from native, wasm or WebGPU, first visit or second. No I/O.

Ratios to native (`native_ratios`): every ok browser result against every ok native result of the
same work (model, task, sequence length, seed). wasm pairs with native at the same thread count;
WebGPU and WebNN, which do not run on the CPU's threads, pair with native at every thread count.
Each ratio (browser median time / native median time, "×") and its 95% CI come from Welch's t on
the log replicate medians, Holm-corrected across the table (analysis/compare.py); `pct_of_native`
is its inverse as a throughput, 100 / ratio. A throughput metric (tok/s, spec.HIGHER_IS_BETTER) is
paired the same way and read as a time per token: "×" is native's rate over the browser's, so above
1 the browser is slower for both kinds of metric, and `pct_of_native` is the browser's rate as a
share of native's.

The wasm/WebGPU crossover (`crossover`): per browser runtime, the configurations in order of work
(model parameters × tokens); WebGPU "wins" at one when it is significantly faster than that
runtime's fastest wasm result there (Welch on log replicate medians, Holm across the runtime's
configurations). The crossover is the first such configuration, or none within the sizes tried.
"""
from __future__ import annotations

import math

import pandas as pd

from webdlbench.analysis import compare
from webdlbench.models.webai.kinds import KINDS as WEBAI_KINDS
from webdlbench.spec import HIGHER_IS_BETTER

# Browser backends that do not run on the CPU's wasm threads.
ACCELERATOR_BACKENDS = ("webgpu", "webnn")
MATCH_KEYS = ["model", "task", "depth", "width", "seed"]
RATIO_COLUMNS = ["model", "task", "width", "browser_framework", "browser_backend", "browser_threads",
                 "native_framework", "native_threads", "metric", "browser_median", "native_median",
                 "browser_replicates", "native_replicates", "ratio", "ratio_ci_low", "ratio_ci_high",
                 "pct_of_native", "comparison", "browser_spec", "native_spec"]
CROSSOVER_COLUMNS = ["browser_framework", "model", "width", "work", "wasm_threads", "wasm_median",
                     "webgpu_median", "webgpu_over_wasm", "ci_low", "ci_high", "comparison", "webgpu_wins"]


def rq4_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary rows of RQ4's model kinds."""
    return summary[summary["model"].isin(list(WEBAI_KINDS))]


def headline(summary: pd.DataFrame, metric: str = "infer_ms") -> pd.DataFrame:
    """Ok rows of one metric with samples."""
    return summary[(summary["metric"] == metric) & (summary["outcome"] == "ok") & (summary["n"] > 0)]


def work(model: str, width: int) -> float:
    """How much a configuration computes, to order sizes: a transformer's layer parameters (its
    geometry) times its tokens; an image classifier's multiply-adds per image (WebAIKind.work)."""
    return WEBAI_KINDS[model].work(int(width))


def native_ratios(summary: pd.DataFrame, replicates: pd.DataFrame | None, metric: str = "infer_ms") -> pd.DataFrame:
    """Browser/native time ratios of RQ4's results (module docstring), one row per pair."""
    rows = headline(rq4_rows(summary), metric)
    browser, native = rows[rows["runtime"] == "browser"], rows[rows["runtime"] == "native"]
    merged = browser.merge(native, on=[*MATCH_KEYS, "metric"], suffixes=("_b", "_n"))
    merged = merged[merged["backend_b"].isin(ACCELERATOR_BACKENDS) | (merged["threads_b"] == merged["threads_n"])]
    if merged.empty:
        return pd.DataFrame(columns=RATIO_COLUMNS)
    lookup = compare.Replicates(replicates)
    rate = metric in HIGHER_IS_BETTER  # tested as times: native's rate over the browser's

    def ordered(browser, native):
        return (native, browser) if rate else (browser, native)

    estimates = [compare.ratio_test(*ordered(lookup.values(r.spec_hash_b, metric), lookup.values(r.spec_hash_n, metric)))
                 for r in merged.itertuples()]
    out = []
    for r, decision in zip(merged.itertuples(), compare.decide(estimates, 1.0)):
        over, under = ordered(r.median_b, r.median_n)
        ratio = over / under if under > 0 else math.nan
        low, high = decision.interval() if decision.tested else (math.nan, math.nan)
        out.append({"model": r.model, "task": r.task, "width": r.width, "browser_framework": r.framework_b,
                    "browser_backend": r.backend_b, "browser_threads": r.threads_b, "native_framework": r.framework_n,
                    "native_threads": r.threads_n, "metric": metric, "browser_median": r.median_b,
                    "native_median": r.median_n, "browser_replicates": lookup.count(r.spec_hash_b, metric),
                    "native_replicates": lookup.count(r.spec_hash_n, metric), "ratio": ratio,
                    "ratio_ci_low": low, "ratio_ci_high": high,
                    "pct_of_native": 100.0 / ratio if ratio and ratio > 0 else math.nan,
                    "comparison": compare.faster_wording(decision, "browser", "native"),
                    "browser_spec": r.spec_hash_b, "native_spec": r.spec_hash_n})
    frame = pd.DataFrame(out, columns=RATIO_COLUMNS)
    return frame.sort_values(["model", "width", "browser_framework", "browser_backend", "browser_threads",
                              "native_framework", "native_threads"], kind="stable").reset_index(drop=True)


def crossover(summary: pd.DataFrame, replicates: pd.DataFrame | None,
              metric: str = "infer_ms", task: str | None = None) -> tuple[pd.DataFrame, dict[str, dict]]:
    """Per browser runtime: WebGPU against its fastest wasm result at each configuration in order of
    work, and the crossover (the first configuration where WebGPU is significantly faster), or None.
    `task` keeps one task's configurations (an encoder's sizes and an image classifier's are not one
    scale); None keeps all."""
    rows = headline(rq4_rows(summary[summary["runtime"] == "browser"]), metric)
    if task is not None:
        rows = rows[rows["task"] == task]
    lookup = compare.Replicates(replicates)
    table, verdicts = [], {}
    for framework, mine in rows.groupby("framework"):
        pairs, estimates = [], []
        for (model, width), config in mine.groupby(["model", "width"]):
            wasm, gpu = config[config["backend"] == "wasm"], config[config["backend"] == "webgpu"]
            if wasm.empty or gpu.empty:
                continue
            fastest = wasm.loc[wasm["median"].idxmin()]
            gpu_row = gpu.iloc[0]
            pairs.append((model, width, fastest, gpu_row))
            estimates.append(compare.ratio_test(lookup.values(gpu_row["spec_hash"], metric),
                                                lookup.values(fastest["spec_hash"], metric)))
        found = None
        ordered = sorted(zip(pairs, compare.decide(estimates, 1.0)), key=lambda p: work(p[0][0], p[0][1]))
        for (model, width, wasm_row, gpu_row), decision in ordered:
            wins = decision.direction == compare.BELOW
            low, high = decision.interval() if decision.tested else (math.nan, math.nan)
            table.append({"browser_framework": framework, "model": model, "width": width, "work": work(model, width),
                          "wasm_threads": int(wasm_row["threads"]), "wasm_median": wasm_row["median"],
                          "webgpu_median": gpu_row["median"], "webgpu_over_wasm": gpu_row["median"] / wasm_row["median"],
                          "ci_low": low, "ci_high": high,
                          "comparison": compare.faster_wording(decision, "WebGPU", "wasm"), "webgpu_wins": wins})
            if wins and found is None:
                found = {"model": model, "width": width}
        if ordered:
            largest = ordered[-1][0]
            verdicts[framework] = {"crossover": found, "largest": {"model": largest[0], "width": largest[1]},
                                   "configurations": len(ordered)}
    return pd.DataFrame(table, columns=CROSSOVER_COLUMNS), verdicts
