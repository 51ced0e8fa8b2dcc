"""Finding 6 (JSON model files are much bigger than binary ones and load slower): one framework's
JSON and binary encodings of the same weights, side by side.

The measurement this rule reads (named metrics of one browser inference spec, per replicate):
`model_json_bytes` and `model_binary_bytes` (the same model saved both ways by the framework, e.g.
TF.js's weights as a JSON array and as its binary weight file), `load_json_ms` and
`load_binary_ms` (loading each). Without them the finding is not tested here; sizes of different
frameworks' files are shown for reference only (their formats differ in more than the encoding).
"""
from __future__ import annotations

import pandas as pd

from webdlbench.analysis import compare
from webdlbench.analysis.findings.base import (NOT_TESTED, Evidence, Finding, FindingData, Part, counted, finding,
                                               fmt, ok_rows, tally)
from webdlbench.analysis.findings.rules import LOAD_SLOWER_AT_LEAST, SIZE_RATIO_AT_LEAST

SIZE_METRICS = ("model_json_bytes", "model_binary_bytes")
LOAD_METRICS = ("load_json_ms", "load_binary_ms")
MEASUREMENT = ("a browser inference spec that saves the same weights as JSON and as binary and loads both "
               "(metrics model_json_bytes, model_binary_bytes, load_json_ms, load_binary_ms)")


def _wide(rows: pd.DataFrame, metrics: tuple[str, str]) -> pd.DataFrame:
    """Specs that measured both metrics: one row each, the two summary rows side by side."""
    first, second = (rows[rows["metric"] == m].drop_duplicates("spec_hash") for m in metrics)
    return first.merge(second[["spec_hash", "median", "ci_low", "ci_high", "n", "metric"]], on="spec_hash",
                       suffixes=("", "_b"))


def judge_file_encoding(data: FindingData, formats: dict[str, str]) -> Finding:
    """formats: framework -> its model_format text (for the reference lines; JSON formats start with 'JSON')."""
    ok = ok_rows(data.summary)
    ok = ok[(ok["runtime"] == "browser") & (ok["task"] == "infer")]
    evidence = _reference_sizes(ok, formats)
    sizes, loads = _wide(ok, SIZE_METRICS), _wide(ok, LOAD_METRICS)
    if sizes.empty and loads.empty:
        return finding(6, [Part(NOT_TESTED, "No framework's JSON and binary encodings of the same weights were "
                                            "measured.", MEASUREMENT)], evidence)
    return finding(6, [_size_part(sizes, evidence), _load_part(data, loads, evidence)], evidence)


def _size_part(sizes: pd.DataFrame, evidence: list[Evidence]) -> Part:
    if sizes.empty:
        return Part(NOT_TESTED, "Size: no model saved in both encodings.", MEASUREMENT)
    ratios = sizes["median"] / sizes["median_b"]
    bigger = int((ratios >= SIZE_RATIO_AT_LEAST).sum())
    for framework, group in sizes.assign(ratio=ratios).groupby("framework"):
        evidence.append(Evidence(f"{framework}: JSON / binary file of the same weights {fmt(group['ratio'].min())}–"
                                 f"{fmt(group['ratio'].max())}x over {len(group)} models (paper: 7x)", "table3"))
    text = counted(bigger, len(sizes) - bigger, len(sizes), f"models' JSON files are at least {SIZE_RATIO_AT_LEAST:g}x "
                                                            "their binary files", "are not")
    return Part(tally(bigger, len(sizes) - bigger, len(sizes)), f"Size: {text}.")


def _load_part(data: FindingData, loads: pd.DataFrame, evidence: list[Evidence]) -> Part:
    if loads.empty:
        return Part(NOT_TESTED, "Load time: no model loaded in both encodings.", MEASUREMENT)
    estimates = [compare.ratio_test(data.lookup.values(h, LOAD_METRICS[0]), data.lookup.values(h, LOAD_METRICS[1]))
                 for h in loads["spec_hash"]]
    decisions = compare.decide(estimates, LOAD_SLOWER_AT_LEAST)
    slower = sum(d.direction == compare.ABOVE for d in decisions)
    not_slower = sum(d.direction == compare.BELOW for d in decisions)
    for r, decision in zip(loads.to_dict("records"), decisions):
        what = f"{r['framework']} {r['model']} {r['depth']}×{r['width']}: JSON load / binary load"
        evidence.append(Evidence(compare.threshold_wording(decision, what), "fig2"))
    text = counted(slower, not_slower, len(loads), f"models load at least {LOAD_SLOWER_AT_LEAST:g}x slower from JSON",
                   "less")
    return Part(tally(slower, not_slower, len(loads)), f"Load time: {text}.")


def _reference_sizes(ok: pd.DataFrame, formats: dict[str, str]) -> list[Evidence]:
    """For reference (not judged): JSON frameworks' files against TF.js's binary files of the same MLP."""
    sizes = ok[(ok["metric"] == "model_file_bytes") & (ok["model"] == "mlp")].drop_duplicates(
        ["framework", "depth", "width"])
    binary = sizes[sizes["framework"] == "tfjs"]
    found = []
    for fw in sorted(f for f in sizes["framework"].unique() if str(formats.get(f, "")).upper().startswith("JSON")):
        pairs = sizes[sizes["framework"] == fw].merge(binary, on=["depth", "width"], suffixes=("", "_b"))
        if len(pairs):
            ratios = pairs["median"] / pairs["median_b"]
            found.append(Evidence(f"for reference, not judged (another framework's format): {fw} files are "
                                  f"{fmt(ratios.min())}–{fmt(ratios.max())}x TF.js's binary files over {len(pairs)} "
                                  "models", "table3"))
    return found
