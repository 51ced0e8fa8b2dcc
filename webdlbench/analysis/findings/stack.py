"""Finding 7 (TF.js's call stack is much deeper than ConvNetJS's, pulling its performance down):
the deepest profiled stacks, and training time of every TF.js backend against ConvNetJS."""
from __future__ import annotations

import math

from webdlbench.analysis import compare, paper
from webdlbench.analysis.findings.base import (DIFFERS, HOLDS, NOT_TESTED, Evidence, Finding, FindingData, Part,
                                               counted, finding, fmt, ok_rows, tally)
from webdlbench.analysis.findings.rules import DEEPER_AT_LEAST


def judge_call_stack(data: FindingData) -> Finding:
    ok = ok_rows(data.summary)
    ok = ok[(ok["runtime"] == "browser") & (ok["task"] == "train")]
    stack, evidence = _stack_part(ok)
    return finding(7, [stack, *_performance_parts(data, ok, evidence)], evidence)


def _stack_part(ok) -> tuple[Part, list[Evidence]]:
    stacks = ok[ok["metric"] == "max_stack_depth"]
    evidence = []
    for (fw, backend), group in stacks.groupby(["framework", "backend"]):
        evidence.append(Evidence(f"deepest stack, {fw}/{backend}: {int(group['max'].max())} frames over {len(group)} "
                                 f"profiled specs (paper, {fw}: {paper.STACK_DEPTH.get(fw, '–')})", "stack"))
    depth = {fw: stacks[stacks["framework"] == fw]["max"].max() for fw in ("tfjs", "convnetjs")}
    if any(math.isnan(v) for v in depth.values()):
        return Part(NOT_TESTED, "No call-stack depth for both TF.js and ConvNetJS."), evidence
    factor = depth["tfjs"] / depth["convnetjs"]
    if factor >= DEEPER_AT_LEAST:
        return Part(HOLDS, f"TF.js's deepest stack is {fmt(factor)}x ConvNetJS's."), evidence
    return Part(DIFFERS, f"TF.js's deepest stack is only {fmt(factor)}x ConvNetJS's."), evidence


def _performance_parts(data: FindingData, ok, evidence: list[Evidence]) -> list[Part]:
    times = ok[(ok["metric"] == "train_batch_ms") & (ok["model"] == "mlp")]
    pairs = times[times["framework"] == "tfjs"].merge(times[times["framework"] == "convnetjs"],
                                                      on=["depth", "width", "batch", "seed"], suffixes=("", "_c"))
    if pairs.empty:
        return [Part(NOT_TESTED, "No training of the same model by ConvNetJS and TF.js.")]
    estimates = [compare.ratio_test(data.lookup.values(r["spec_hash"], r["metric"]),
                                    data.lookup.values(r["spec_hash_c"], r["metric_c"]))
                 for r in pairs.to_dict("records")]
    pairs = pairs.assign(decision=compare.decide(estimates, 1.0))  # one family: every backend's pairs
    parts = []
    for backend, group in pairs.groupby("backend"):
        slower = sum(d.direction == compare.ABOVE for d in group["decision"])
        faster = sum(d.direction == compare.BELOW for d in group["decision"])
        text = counted(slower, faster, len(group), "models train slower on TF.js than on ConvNetJS", "faster")
        parts.append(Part(tally(slower, faster, len(group)), f"Performance, TF.js {backend}: {text}."))
        for r in group.sort_values(["depth", "width"]).iloc[[0, -1]].drop_duplicates("spec_hash").to_dict("records"):
            evidence.append(Evidence(f"training {r['depth']}×{r['width']}: " + compare.faster_wording(
                r["decision"], f"TF.js {backend}", "ConvNetJS"), "fig1"))
    return parts
