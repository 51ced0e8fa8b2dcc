"""The answer a reader came for, before the paper: per environment, task and model, every option
the store measured, ranked with its median, CI over replicates, distance to the fastest and to
native, each tested against the fastest and against native, and a one-line recommendation per task
and model. The ranking and the recommendation are verdict.py's, the same the terminal prints at the
end of `webdlbench run`; this module only lays them out and tests each row against the fastest.
"""
from __future__ import annotations

import math

from webdlbench.analysis import compare
from webdlbench.report.data import ReportData, View
from webdlbench.report.document import Cell, Part, Section, Table, num
from webdlbench.report.sections.common import ANY_HINT
from webdlbench.software_gpu import GPU_BACKENDS
from webdlbench.verdict import Group, Option, verdict

TITLE = "The answer: what runs fastest here"
METRIC_WORDS = {"train": "time per training batch (ms)", "infer": "time per prediction of one sample (ms)"}
COLUMNS = ["#", "Option", "Median (ms)", "95% CI (ms)", "Replicates", "× vs fastest", "× vs native",
           "Tested (95% CI of the ratio)", "Note"]
KINDS = ["num", "text", "num", "num", "num", "num", "num", "text", "text"]
IMPRECISE = "CI wider than its target"
EXPLAIN = ("Medians in ms; the 95% CI is over replicates (fresh pages or processes); '× vs fastest' and '× vs native' "
           f"are ratios of medians; 'Tested' says whether a difference is real ({compare.METHOD_TWO}, "
           f"{compare.HOLM} across each table), with the 95% CI of the ratio of this option's time to the other's.")


def view_groups(data: ReportData, view: View) -> list[Group]:
    """verdict.py's groups over one view's results: a browser with the native results of its
    machine (never pooled with another browser)."""
    labels = [e.label for e in ([view.browser] if view.browser else []) + view.natives]
    results = data.results[data.results["environment"].isin(labels)]
    samples = data.samples[data.samples["result_id"].isin(results["result_id"])]
    return verdict(results, samples, data.envs)


def software_backends(groups: list[Group]) -> list[str]:
    """The GPU backends that ran (were measured) on a software GPU in these groups."""
    return sorted({o.backend for g in groups for o in g.options if o.software_gpu and not math.isnan(o.median)})


def banners(data: ReportData, grouped: dict[str, list[Group]]) -> list[str]:
    """One line per environment where WebGL or WebGPU ran on a software GPU: shown above everything."""
    lines = []
    for label, groups in grouped.items():
        backends = software_backends(groups)
        if not backends:
            continue
        where = f" in {label}" if len(data.views) > 1 else ""
        names = " and ".join(_backend_title(b) for b in backends)
        lines.append(f"{names} ran on a software GPU (SwiftShader){where}: "
                     f"{'their' if len(backends) > 1 else 'its'} times measure the CPU, not a graphics card, and a "
                     "machine with a GPU may rank them very differently.")
    return lines


def part(data: ReportData, grouped: dict[str, list[Group]]) -> Part:
    """The answer part: one section per environment (browser plus the native results of its machine)."""
    sections = [_section(data, view, grouped[view.label]) for view in data.views]
    if not sections:
        sections = [Section("answer", "Ranked options", empty=ANY_HINT)]
    return Part("answer", TITLE, "Per task and model: the fastest option in the browser, tested against the next "
                "one and against native — the verdict `webdlbench run` ends with — then every option ranked.",
                sections, group="Your results")


def _section(data: ReportData, view: View, groups: list[Group]) -> Section:
    key = "answer" if len(data.views) == 1 else f"answer-{view.label.lower()}"
    title = "Ranked options" + (f" @{view.label}" if len(data.views) > 1 else "")
    section = Section(key, title, about=f"Measured on: {view.description}.")
    if not groups:
        section.empty = ANY_HINT
        return section
    # The recommended option first and in bold, then what the tests say about it.
    lines = [recommendation(g).split("; ", 1) for g in groups]
    section.blocks.append({"recommendations": [{"title": g.title, "lead": line[0], "rest": line[1:]}
                                               for g, line in zip(groups, lines)], "explain": EXPLAIN})
    section.tables += [_table(g) for g in groups]
    return section


def recommendation(group: Group) -> str:
    """verdict.py's recommendation, plus which GPU backends ran on a software GPU when the
    recommended option does not already say so."""
    text = group.recommendation
    software = software_backends([group])
    if software and "software GPU" not in text:
        text += f"; {' and '.join(_backend_title(b) for b in software)} ran on a software GPU here"
    return text


def _table(group: Group) -> Table:
    measured = [o for o in group.options if not math.isnan(o.median)]
    tested = _tests(measured, group.higher_is_better)
    rows = []
    for rank, option in enumerate(group.options, start=1):
        if math.isnan(option.median):
            rows.append(["–", option.label, "–", "–", "–", "–", "–", option.outcome, _note(option)])
            continue
        rows.append([Cell(str(rank), sort=rank), option.label,
                     Cell(num(option.median), sort=option.median),
                     Cell(f"{num(option.ci_low)} – {num(option.ci_high)}", sort=option.ci_low),
                     Cell(str(option.replicates), sort=option.replicates),
                     _ratio(option.vs_fastest), _ratio(option.vs_native),
                     "; ".join(tested.get(option.label, [])) or "fastest", _note(option)])
    task = group.title.split(",")[0]
    notes = [f"{IMPRECISE}: {compare.REMEDY} for a tighter one."] if any(IMPRECISE in r[-1] for r in rows) else []
    columns = [c.replace("(ms)", f"({group.unit})") for c in COLUMNS]  # RQ4's generate: tok/s, larger first
    words = METRIC_WORDS.get(task, "time (ms)" if group.unit == "ms" else f"{group.unit}, larger is faster")
    return Table(columns, KINDS, rows, notes=notes, caption=f"{group.title}: {words}, ranked by median")


def _tests(measured: list[Option], higher_is_better: bool = False) -> dict[str, list[str]]:
    """Each option against the fastest, and each browser option against the fastest native one
    (when that is not the fastest already); Holm across every comparison of the table. A throughput
    (tok/s) is tested as a time: the other's rate over this option's."""
    if not measured:
        return {}
    fastest = measured[0]
    natives = [o for o in measured if o.runtime == "native"]
    native = natives[0] if natives else None
    pairs = [(o, fastest) for o in measured[1:]]
    if native is not None and native is not fastest:
        pairs += [(o, native) for o in measured if o.runtime == "browser" and o is not fastest]
    decisions = compare.decide([compare.ratio_test(*((b.replicate_medians, a.replicate_medians) if higher_is_better
                                                     else (a.replicate_medians, b.replicate_medians)))
                                for a, b in pairs])
    said: dict[str, list[str]] = {}
    for (option, reference), decision in zip(pairs, decisions):
        said.setdefault(option.label, []).append(_against(decision, reference.label))
    return said


def _against(decision: compare.Decision, reference: str) -> str:
    """A row's comparison, its option implied: 'slower than X by 1.2–1.6×', 'faster than X by …',
    or 'no significant difference from X (0.95–1.1×)' (the 95% CI of this option's time over X's)."""
    if not decision.tested:
        return f"vs {reference}: not tested (fewer than 2 replicates)"
    low, high = decision.interval()
    if decision.direction == compare.BELOW:
        return f"faster than {reference} by {_x(1 / high)}–{_x(1 / low)}×"
    if decision.direction == compare.ABOVE:
        return f"slower than {reference} by {_x(low)}–{_x(high)}×"
    return f"no significant difference from {reference} ({_x(low)}–{_x(high)}×)"


def _x(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:,.0f}"


def _note(option: Option) -> str:
    notes = []
    if option.software_gpu:
        notes.append("on a software GPU (SwiftShader)")
    if math.isnan(option.median):
        notes.append(" ".join(str(option.error).split())[:200] or "no samples")
    elif not option.precision_met:
        notes.append(IMPRECISE)
    return "; ".join(notes)


def _ratio(value: float) -> Cell:
    if math.isnan(value):
        return Cell("–")
    return Cell(f"{value:.2f}×" if value < 10 else f"{value:,.0f}×", sort=value)


def _backend_title(backend: str) -> str:
    return {"webgl": "WebGL", "webgpu": "WebGPU"}.get(backend, backend) if backend in GPU_BACKENDS else backend
