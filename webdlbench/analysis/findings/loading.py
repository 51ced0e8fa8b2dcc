"""Finding 3 (loading and warming up take much longer than the inference itself), per model class."""
from __future__ import annotations

import pandas as pd

from webdlbench.analysis import compare
from webdlbench.analysis.findings.base import (CLASS_NAMES, NOT_TESTED, Evidence, Finding, FindingData, Part,
                                               ci_text, counted, finding, fmt, model_class, ok_rows, tally)
from webdlbench.analysis.findings.rules import MUCH_LONGER

PHASES = ["load_ms", "warmup_ms", "infer_ms"]


def spec_ratios(data: FindingData) -> pd.DataFrame:
    """Per browser inference spec with all three phases: (load + warm-up) / inference, tested per
    replicate (one page: its load, its warm-up, the median of its inferences) against MUCH_LONGER."""
    ok = ok_rows(data.summary)
    ok = ok[(ok["runtime"] == "browser") & (ok["task"] == "infer")]
    wide = {m: ok[ok["metric"] == m].drop_duplicates("spec_hash").set_index("spec_hash") for m in PHASES}
    hashes = wide["load_ms"].index.intersection(wide["warmup_ms"].index).intersection(wide["infer_ms"].index)
    records, estimates = [], []
    for spec_hash in hashes:
        load, warm, infer = (wide[m].loc[spec_hash] for m in PHASES)
        joint = data.lookup.joint(spec_hash, PHASES)
        per_page = (joint["load_ms"] + joint["warmup_ms"]) / joint["infer_ms"]
        estimates.append(compare.level_test(per_page))
        records.append({"spec_hash": spec_hash, "class": model_class(load["model"]),
                        "series": f"{load['framework']}/{load['backend']}", "pages": len(per_page),
                        "ratio": (load["median"] + warm["median"]) / infer["median"] if infer["median"] > 0 else
                        float("inf"),
                        "example": f"{load['model']} {load['depth']}×{load['width']}: load {ci_text(load)} + warm-up "
                                   f"{ci_text(warm)} vs inference {ci_text(infer)}"})
    decisions = compare.decide(estimates, MUCH_LONGER)
    frame = pd.DataFrame(records, columns=["spec_hash", "class", "series", "pages", "ratio", "example"])
    frame["direction"] = [d.direction for d in decisions]
    frame["interval"] = [d.interval() for d in decisions]
    return frame


def judge_model_loading(data: FindingData) -> Finding:
    frame = spec_ratios(data)
    if frame.empty:
        return finding(3, [Part(NOT_TESTED, "No browser inference spec has load, warm-up and inference times."),
                           _gpu_kinds_part()], [])
    parts, evidence = [], []
    for cls in [c for c in CLASS_NAMES if c in set(frame["class"])]:
        mine = frame[frame["class"] == cls]
        longer = int((mine["direction"] == compare.ABOVE).sum())
        shorter = int((mine["direction"] == compare.BELOW).sum())
        verdict = tally(longer, shorter, len(mine))
        text = counted(longer, shorter, len(mine), f"specs take at least {MUCH_LONGER:g}x as long to load and warm "
                                                   "up as to infer", "less")
        parts.append(Part(verdict, f"{CLASS_NAMES[cls]}: {text}."))
        for series, group in mine.groupby("series"):
            middle = group.sort_values("ratio").iloc[len(group) // 2]
            low, high = middle["interval"]
            evidence.append(Evidence(
                f"{CLASS_NAMES[cls]}, {series}: load + warm-up is {fmt(group['ratio'].min())}–"
                f"{fmt(group['ratio'].max())}x the inference over {len(group)} specs; e.g. {middle['example']}: "
                f"{fmt(middle['ratio'])}x (95% CI over {middle['pages']} pages {fmt(low)}–{fmt(high)}x)", "fig2"))
    return finding(3, [*parts, _gpu_kinds_part()], evidence)


def _gpu_kinds_part() -> Part:
    return Part(NOT_TESTED, "Integrated vs standalone GPU warm-up needs both kinds of GPU, in two environments.",
                "paper-inference in two environments, one with an integrated and one with a standalone GPU")
