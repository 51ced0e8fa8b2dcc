"""Environment and method: where every result ran (browser, GPU renderer and WebGPU adapter said
plainly, cross-origin isolation, wasm threads, CPU, library versions), how it was measured, the
runs with their suites and sample counts, and every outcome that was not ok."""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd

from webdlbench.analysis import compare
from webdlbench.analysis.stats import CI_LEVEL, SPEC_KEYS
from webdlbench.report.data import ReportData
from webdlbench.report.document import Cell, Part, Section, Table, int_cell
from webdlbench.analysis.machine_load import run_load
from webdlbench.report.environments import environment_warnings
from webdlbench.report.sections.common import ANY_HINT

# Environment properties in the order a reader looks for them; any other key follows, by name.
ENV_LABELS = {
    "browser_version": "Browser", "user_agent": "User agent", "driver": "Driver",
    "webgl_renderer": "WebGL renderer", "webgpu_adapter": "WebGPU adapter",
    "cross_origin_isolated": "Cross-origin isolated", "wasm_simd": "WebAssembly SIMD",
    "wasm_threads": "WebAssembly threads", "hardware_concurrency": "navigator.hardwareConcurrency",
    "cpu_model": "CPU", "cpu_count": "CPU count", "gpu_name": "GPU (native)", "platform": "Platform",
    "python_version": "Python", "library_versions": "Library versions", "browser_flags": "Browser flags",
}
METHOD = [
    "Timed regions hold only the work: one framework call and the read-back of its result (loss value, or the output "
    "vector), so a GPU backend that has only queued work is never counted as finished.",
    "Phases apart: training warm-up batches (train_warmup_ms) before the train_batch_ms samples; inference: model "
    "load (fetch + parse of the file the framework saved itself), warm-up (first prediction), then steady-state "
    "single-sample predictions.",
    "Same work everywhere: weights generated once per (depth, width, seed) and given to every framework and native "
    "runner; real MNIST digits as inputs.",
    "Checked: training must lower the loss; inference outputs must equal a float64 numpy forward pass within 1e-4. "
    "A failed check is recorded as check_failed: its timings are listed, never plotted or used in a verdict.",
    "Resources: CPU% and RSS of the page's renderer and of the browser's GPU process, sampled every 200 ms while the "
    "page measures; call-stack depth from a separate profiled page.",
    f"Statistics: a replicate is one fresh page (or one fresh native process); samples of one page are not "
    f"independent, so each spec's centre and {CI_LEVEL:.0%} CI are computed over its replicate medians (summary.csv's "
    "ci_method says how, row by row). Where a CI is wider than the spec's precision target, or rests on fewer than "
    f"{compare.FEW_REPLICATES} replicates, the table's note says so and names the remedy ({compare.REMEDY}). Results "
    "are summarised per environment: results from different browsers or machines are never pooled.",
    f"Comparisons: 'A is faster than B' rests on a test between the two sets of replicate medians "
    f"({compare.METHOD_TWO}: the ratio's {CI_LEVEL:.0%} CI and a p-value), with {compare.HOLM} across the comparisons "
    "of one table or one finding; otherwise the report says 'no significant difference'. Fitted slopes and tree "
    "importances carry bootstrap intervals.",
]


def part(data: ReportData) -> Part:
    return Part("method", "Environment and method", "",
                [environments_section(data), method_section(), runs_section(data), outcomes_section(data)])


def environments_section(data: ReportData) -> Section:
    section = Section("environment", "Environments",
                      about="Where every result ran. Browser environments (B1, …) are a browser on a machine with "
                            "its WebGL renderer and WebGPU adapter; native environments (N1, …) a machine. With more "
                            "than one, every figure and table says which environment each value comes from.")
    overview, long_rows = [], []
    for env in data.environments:
        fp = env.fingerprint
        warnings = environment_warnings(fp)
        overview.append([env.label, env.runtime, env.description, int_cell(len(env.result_ids)),
                         " ".join(warnings) or "–"])
        keys = [k for k in ENV_LABELS if k in fp] + sorted(k for k in fp if k not in ENV_LABELS)
        rows = [[ENV_LABELS.get(k, k), _value(fp[k])] for k in keys]
        long_rows += [{"environment": env.label, "property": k, "value": _value(fp[k])} for k in keys]
        fell_back = _fallbacks(data, env.label)
        notes = warnings + ([f"Backend fallback: {fell_back}"] if fell_back else [])
        if len(env.env_ids) > 1:
            notes.append(f"{len(env.env_ids)} fingerprints differing only in details (e.g. library versions) are "
                         "grouped here; the first is shown.")
        section.tables.append(Table(["Property", "Value"], ["text", "text"], rows, notes=notes,
                                    caption=f"{env.label}: {env.description} ({len(env.result_ids)} results)"))
    if overview:
        section.tables.insert(0, Table(["Environment", "Runtime", "Description", "Results", "Plainly"],
                                       ["text", "text", "text", "num", "text"], overview))
    section.files["environments.csv"] = pd.DataFrame(long_rows, columns=["environment", "property", "value"])
    if not data.environments:
        section.empty = ANY_HINT
    return section


def _fallbacks(data: ReportData, label: str) -> str:
    """Specs whose framework reported running on another backend than the one asked for."""
    mine = data.results[(data.results["environment"] == label) & (data.results["runtime"] == "browser")]
    said = {}
    for r in mine.to_dict("records"):
        used = r["info"].get("backend") if isinstance(r["info"], dict) else None
        if used and str(used) != str(r["backend"]):
            said.setdefault((r["framework"], r["backend"], str(used)), 0)
            said[(r["framework"], r["backend"], str(used))] += 1
    return "; ".join(f"{fw} asked for {asked}, ran on {used} ({n} specs)" for (fw, asked, used), n in said.items())


def _value(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list):
        return " ".join(map(str, value)) or "none"
    return str(value)


def method_section() -> Section:
    return Section("method-notes", "How it was measured", blocks=[{"list": METHOD}])


def runs_section(data: ReportData) -> Section:
    section = Section("runs", "Runs, suites and sample counts",
                      about="Every run in the store. A spec measured in several runs of one environment counts its "
                            "latest run only (`report --pool-runs` pools them) "
                            "(summary.csv: one row per environment, spec and metric with n, median, 95% CI, mean, "
                            "stdev, outcome). Machine load: the 1-minute load average at each spec's start and "
                            "end, median (range) over the run, this tool's own processes included; runs made "
                            "under different load are not comparable.",
                      files={"summary.csv": data.summary})
    if data.runs.empty:
        section.empty = ANY_HINT
        return section
    counts = data.samples.groupby("run_id").size()
    rows = []
    for run in data.runs.itertuples():
        mine = data.results[data.results["run_id"] == run.run_id]
        ok = int((mine["outcome"] == "ok").sum())
        envs = ", ".join(sorted({e for e in mine["environment"] if e}))
        load = run_load(mine)
        rows.append([run.run_id, run.suite, run.status, _time(run.started_at),
                     _time(run.finished_at) if pd.notna(run.finished_at) else "–", envs or "–",
                     load.short() if load else "–",
                     int_cell(len(mine)), int_cell(ok), int_cell(len(mine) - ok), int_cell(counts.get(run.run_id, 0))])
    section.tables.append(Table(["Run", "Suite", "Status", "Started", "Finished", "Environments", "Machine load",
                                 "Results", "ok", "not ok", "Samples"], ["text"] * 7 + ["num"] * 4, rows))
    return section


def outcomes_section(data: ReportData) -> Section:
    section = Section("outcomes", "Outcomes other than ok",
                      about="Every stored result whose outcome is not ok, with its error verbatim.")
    results = data.results
    failed = results[results["outcome"] != "ok"]
    section.files["outcomes.csv"] = failed[["result_id", "run_id", "environment", "spec_hash", *SPEC_KEYS, "outcome",
                                            "error"]]
    if results.empty:
        section.empty = ANY_HINT
    elif failed.empty:
        section.notes.append(f"All {len(results)} results are ok.")
    else:
        rows = [[*( [Cell(r.environment, link="environment")] if data.split else []), _spec_label(r, data),
                 r.runtime, r.run_id, r.outcome, r.error] for r in failed.itertuples()]
        first = ["Environment"] if data.split else []
        section.tables.append(Table([*first, "Spec", "Runtime", "Run", "Outcome", "Error"],
                                    [*["text"] * (len(first) + 4), "pre"], rows))
    return section


def _spec_label(r, data: ReportData) -> str:
    batch = f" batch {r.batch}" if r.task == "train" else ""
    return f"{data.title(r.framework)}/{r.backend} {r.task} {r.model} {r.depth}×{r.width}{batch}"


def _time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
