"""The answer a run ends with: per task and model, the options ranked by their headline time, with
the CI over replicates, how many replicates, how far each is from the fastest and from native, a
one-line recommendation, and a warning whenever a GPU backend ran on a software device.

Pure over the store's frames (stats.summary_frame does the statistics); `render` lays it out for a
terminal of any width down to 80 columns, one line per option, nothing truncated.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from webdlbench.analysis import compare
from webdlbench.analysis.stats import summary_frame
from webdlbench.software_gpu import GPU_BACKENDS, backend_is_software
from webdlbench.spec import HEADLINE, HIGHER_IS_BETTER, METRIC_UNITS


@dataclass
class Option:
    label: str          # "tfjs/wasm", "native pytorch/cpu"
    runtime: str
    outcome: str
    median: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    replicates: int = 0
    precision_met: bool = False
    software_gpu: bool = False
    error: str = ""
    vs_fastest: float = math.nan
    vs_native: float = math.nan
    replicate_medians: list = field(default_factory=list)  # what the comparisons are tested on
    framework: str = ""
    backend: str = ""


@dataclass
class Group:
    title: str                      # "train, mlp 1x64, batch 64"
    options: list[Option] = field(default_factory=list)
    recommendation: str = ""
    unit: str = "ms"                # the headline's unit (METRIC_UNITS)
    higher_is_better: bool = False  # a throughput (tok/s): options rank from the largest


def verdict(results: pd.DataFrame, samples: pd.DataFrame, environments: dict) -> list[Group]:
    """Groups (task x model x batch) of ranked options from one run's results and samples."""
    if results.empty:
        return []
    table = summary_frame(samples, results)
    headline = table[(table["metric"] == table["task"].map(HEADLINE)) | (table["metric"] == "")]
    replicates = compare.Replicates(compare.replicate_medians(samples))
    fingerprints = {r.spec_hash: environments.get(r.env_id) or {} for r in results.itertuples()}
    groups: dict[tuple, Group] = {}
    for row in headline.itertuples():
        key = (row.task, row.model, row.depth, row.width, row.batch)
        title = f"{row.task}, {_model(row)}" + (f", batch {row.batch}" if row.task == "train" else "")
        metric = HEADLINE[row.task]
        group = groups.setdefault(key, Group(title, unit=METRIC_UNITS[metric], higher_is_better=metric in HIGHER_IS_BETTER))
        label = f"{row.framework}/{row.backend}" if row.runtime == "browser" else f"native {row.framework}/{row.backend}"
        label += f" {row.threads}t" if row.threads != 1 else ""  # RQ4 measures 1 thread and every core
        software = row.backend in GPU_BACKENDS and bool(backend_is_software(row.backend, fingerprints.get(row.spec_hash, {})))
        ok = row.outcome == "ok" and row.n > 0
        option = Option(label, row.runtime, row.outcome, row.median if ok else math.nan,
                        row.ci_low if ok else math.nan, row.ci_high if ok else math.nan,
                        int(row.replicates) if ok else 0, bool(row.precision_met) if ok else False,
                        software, "" if ok else str(row.error), framework=row.framework, backend=row.backend)
        if ok:
            option.replicate_medians = list(replicates.values(row.spec_hash, HEADLINE[row.task]))
        group.options.append(option)
    for group in groups.values():
        _rank(group)
    return list(groups.values())


def _model(row) -> str:
    if str(row.model).startswith("file:"):  # a user's own file: its name (models/user_models.py)
        from webdlbench.models.user_ids import display_name
        return display_name(str(row.model))
    if str(row.model).startswith("keras:"):
        return str(row.model)[len("keras:"):]
    return f"{row.model} {row.depth}x{row.width}"


def _rank(group: Group) -> None:
    # A throughput ranks as its inverse, a time per token: the order, "x fast" and "x nat" (how many
    # times slower) read the same for both.
    def cost(o: Option) -> float:
        return 1 / o.median if group.higher_is_better else o.median
    group.options.sort(key=lambda o: (math.isnan(o.median), cost(o) if not math.isnan(o.median) else 0, o.label))
    measured = [o for o in group.options if not math.isnan(o.median)]
    if not measured:
        group.recommendation = "nothing here was measured ok"
        return
    fastest = min(cost(o) for o in measured)
    natives = [o for o in measured if o.runtime == "native"]
    native = min(natives, key=cost) if natives else None
    for option in measured:
        option.vs_fastest = cost(option) / fastest
        if native and option.runtime == "browser":
            option.vs_native = cost(option) / cost(native)
    browsers = [o for o in measured if o.runtime == "browser"]
    if not browsers:
        group.recommendation = f"native only: {measured[0].label}"
        return
    # The recommendation is the fastest browser option; one on a software GPU is named with that
    # said. Its distance to the next option and to native rests on tests over replicates (Welch on
    # log replicate medians, Holm across this group's comparisons: analysis/compare.py).
    best = browsers[0]
    others = browsers[1:2] + ([native] if native else [])
    # Tested as times: for a throughput, other/best is best's time over other's.
    pairs = [(o.replicate_medians, best.replicate_medians) if group.higher_is_better
             else (best.replicate_medians, o.replicate_medians) for o in others]
    decisions = compare.decide([compare.ratio_test(a, b) for a, b in pairs])
    text = f"in this browser: {best.label}" + (" (on a software GPU here)" if best.software_gpu else "")
    for other, decision in zip(others, decisions):
        text += "; " + compare.faster_wording(decision, best.label, other.label)
    group.recommendation = text


def render(groups: list[Group], width: int = 80) -> list[str]:
    """The verdict as lines no wider than `width` (>= 80), one per option."""
    label_width = max([24, *[len(o.label) + 2 for g in groups for o in g.options]])
    label_width = min(label_width, max(24, width - 56))
    lines: list[str] = []
    software = False
    for group in groups:
        head = f"{'':{label_width}}{'median ' + group.unit:>10} {'95% CI':>17} {'R':>3} {'x fast':>7} {'x nat':>7}"
        lines += ["", group.title, head]
        for o in group.options:
            software |= o.software_gpu and not math.isnan(o.median)
            name = f"  {o.label}" + ("*" if o.software_gpu else "")
            if math.isnan(o.median):
                lines.append(f"{name:{label_width}}{o.outcome:>10}  {_short(o.error, width - label_width - 12)}")
                continue
            ci = f"{_num(o.ci_low)}-{_num(o.ci_high)}"
            mark = "" if o.precision_met else "~"
            lines.append(f"{name:{label_width}}{_num(o.median):>10} {ci:>17} {o.replicates:>3}{mark:1}"
                         f"{_ratio(o.vs_fastest):>6} {_ratio(o.vs_native):>7}")
        lines.append(f"  -> {group.recommendation}")
    if groups:
        lines += ["", "R: replicates (fresh pages or processes) the CI is computed over; ~: its CI is wider than the "
                      "spec's precision target."]
    if software:
        lines.append("*: WebGL/WebGPU ran on a software GPU (SwiftShader) here: those timings measure the CPU, "
                     "not a GPU.")
    return [line if len(line) <= width else _wrap(line, width) for line in lines]


def _num(value: float) -> str:
    if math.isnan(value):
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _ratio(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}" if value < 10 else f"{value:.0f}"


def _short(text: str, room: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= room else text[:max(room - 1, 0)] + "…"


def _wrap(line: str, width: int) -> str:
    """Notes longer than the terminal: wrapped at spaces, continuation lines indented."""
    words, out, current = line.split(" "), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            out.append(current)
            current = "   " + word
        else:
            current = f"{current} {word}" if current else word
    out.append(current)
    return "\n".join(out)
