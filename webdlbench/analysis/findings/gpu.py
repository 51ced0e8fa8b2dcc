"""Findings 4 and 5: TF.js on a GPU against native TensorFlow — on a standalone card against the
native GPU (pre-trained models), and on integrated graphics against the native CPU."""
from __future__ import annotations

import pandas as pd

from webdlbench.analysis import compare, paper
from webdlbench.analysis.findings.base import (GPU_BACKENDS, INTEGRATED, NOT_TESTED, STANDALONE, Evidence, Finding,
                                               FindingData, Part, ci_text, counted, finding, gpu_rows, headline,
                                               is_pretrained, native_reference, side, tally)

PAIR_KEYS = ["model", "task", "depth", "width", "batch", "seed"]


def browser_native_pairs(data: FindingData, browser: pd.DataFrame, native: pd.DataFrame,
                         threshold: float) -> pd.DataFrame:
    """Browser rows merged with their native reference, each pair's time ratio tested against
    `threshold` (Welch's t on log replicate medians, Holm across the pairs)."""
    pairs = browser.merge(native_reference(native), on=PAIR_KEYS, suffixes=("", "_n"))
    if pairs.empty:
        return pairs
    estimates = [compare.ratio_test(data.lookup.values(r["spec_hash"], r["metric"]),
                                    data.lookup.values(r["spec_hash_n"], r["metric_n"]))
                 for r in pairs.to_dict("records")]
    decisions = compare.decide(estimates, threshold)
    return pairs.assign(decision=decisions, direction=[d.direction for d in decisions])


def _pair_text(r: dict, native_label: str) -> str:
    decision = r["decision"]
    if decision.tested:
        low, high = decision.interval()
        ratio = f"ratio {decision.estimate.ratio:.3g} (95% CI {low:.3g}–{high:.3g})"
    else:
        ratio = "no test (fewer than 2 replicates on a side)"
    where = r["model"] if is_pretrained(r["model"]) else f"{r['task']} {r['model']} {r['depth']}×{r['width']}"
    return (f"{where}: TF.js {r['backend']} {ci_text(r)} vs {r['framework_n']} {native_label} "
            f"{ci_text(side(r, '_n'))}: {ratio}")


def judge_gpu_vs_native_gpu(data: FindingData) -> Finding:
    rows = headline(data.summary)
    rows = rows[(rows["task"] == "infer") & rows["model"].map(is_pretrained)]
    browser = rows[(rows["runtime"] == "browser") & (rows["framework"] == "tfjs") & rows["backend"].isin(GPU_BACKENDS)]
    native = rows[(rows["runtime"] == "native") & (rows["backend"] == "gpu")]
    if browser.empty:
        return finding(4, [Part(NOT_TESTED, "No pre-trained model ran on TF.js's GPU backends.")], [])
    browser, said = gpu_rows(browser, data.fingerprint, (STANDALONE,))
    if browser.empty:
        return finding(4, [Part(NOT_TESTED, "No standalone graphics card in the browser (" + "; ".join(said) + ").")],
                       [])
    if native.empty:
        return finding(4, [Part(NOT_TESTED, "No native GPU result for the pre-trained models.")], [])
    limit = paper.PRETRAINED_GPU_RATIO[1]
    pairs = browser_native_pairs(data, browser, native, limit)
    if pairs.empty:
        return finding(4, [Part(NOT_TESTED, "No pre-trained model ran both on the browser's GPU and natively.")], [])
    within = int((pairs["direction"] == compare.BELOW).sum())
    beyond = int((pairs["direction"] == compare.ABOVE).sum())
    evidence = [Evidence(_pair_text(r, "GPU"), "fig5") for r in pairs.to_dict("records")]
    text = counted(within, beyond, len(pairs), f"model/backend pairs are within {limit:g}x of native on the GPU "
                                               "(the ratio's CI wholly below it)", "beyond it")
    return finding(4, [Part(tally(within, beyond, len(pairs)), text + ".")], evidence)


def judge_gpu_vs_native_cpu(data: FindingData) -> Finding:
    rows = headline(data.summary)
    browser = rows[(rows["runtime"] == "browser") & (rows["framework"] == "tfjs") & rows["backend"].isin(GPU_BACKENDS)]
    native = rows[(rows["runtime"] == "native") & (rows["backend"] == "cpu")]
    missing = [] if not browser.empty else ["No TF.js GPU-backend results."]
    if not browser.empty:
        browser, said = gpu_rows(browser, data.fingerprint, (INTEGRATED,))
        missing += [] if not browser.empty else ["No integrated graphics in the browser (" + "; ".join(said) + ")."]
    missing += [] if not native.empty else ["No native CPU results."]
    if missing:
        return finding(5, [Part(NOT_TESTED, " ".join(missing))], [])
    pairs = browser_native_pairs(data, browser, native, 1.0)
    if pairs.empty:
        return finding(5, [Part(NOT_TESTED, "No configuration ran both on the integrated GPU and natively on the "
                                            "CPU.")], [])
    faster = int((pairs["direction"] == compare.BELOW).sum())
    slower = int((pairs["direction"] == compare.ABOVE).sum())
    shown = pairs.sort_values(["task", "model", "depth", "width"]).head(12).to_dict("records")
    evidence = [Evidence(_pair_text(r, "CPU"), "fig5" if is_pretrained(r["model"]) else "ratios") for r in shown]
    text = counted(faster, slower, len(pairs), "configurations run faster on the integrated GPU in the browser than "
                                               "natively on the CPU", "slower")
    return finding(5, [Part(tally(faster, slower, len(pairs)), text + ".")], evidence)
