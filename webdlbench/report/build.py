"""`webdlbench report`: the paper's figures and tables regenerated from a store.

Gathers each section's data, draws its figure, renders index.html (self-contained: figures are
data: URIs, CSS is inline) and report.md, and writes the data behind every figure and table as CSV.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import pandas as pd

from webdlbench.analysis.stats import SPEC_KEYS, summary_frame
from webdlbench.errors import UserError
from webdlbench.frameworks import FRAMEWORKS
from webdlbench.report.plots import data_uri, series_figure
from webdlbench.store import Store

# What fills an empty section: the suites that measure it.
TRAINING_HINT = "No data yet: run `webdlbench run quick` or `webdlbench run paper-training` to fill this section."
INFERENCE_HINT = "No data yet: run `webdlbench run quick` or `webdlbench run paper-inference` to fill this section."
ANY_HINT = "No results yet: run `webdlbench run quick` (or any suite) to fill this section."
# Spec fields that split a figure's series only when they vary, so labels stay short.
SERIES_EXTRA_KEYS = ("model", "batch", "threads", "seed")
CPU_METRICS = {"cpu_renderer_pct": "Renderer", "cpu_gpu_pct": "GPU process"}
BYTES_PER_MB = 1_000_000  # decimal megabytes, stated in the table
TEMPLATES = Path(__file__).parent / "templates"
POINT_COLUMNS = ["series", "config", "framework", "backend", "runtime", "model", "depth", "width", "batch",
                 "threads", "seed", "metric", "unit", "n", "median", "ci_low", "ci_high", "mean", "stdev",
                 "unstable", "unstable_reason", "ci_method", "outcome", "error", "spec_hash"]
# Environment properties in the order a reader looks for them; any other key follows, by name.
ENV_LABELS = {
    "browser_version": "Browser", "user_agent": "User agent", "webgl_renderer": "WebGL renderer",
    "webgpu_adapter": "WebGPU adapter", "cross_origin_isolated": "Cross-origin isolated",
    "wasm_simd": "WebAssembly SIMD", "wasm_threads": "WebAssembly threads",
    "hardware_concurrency": "navigator.hardwareConcurrency", "cpu_model": "CPU", "cpu_count": "CPU count",
    "platform": "Platform", "python_version": "Python", "library_versions": "Library versions",
    "flags": "Browser flags",
}


@dataclass(frozen=True)
class FigureSpec:
    key: str
    title: str
    metric: str
    task: str
    ylabel: str
    log_y: bool
    hint: str
    about: str


FIGURES = {spec.key: spec for spec in (
    FigureSpec("fig1", "Figure 1: training time per batch", "train_batch_ms", "train",
               "time per training batch (ms)", True, TRAINING_HINT,
               "Median time of one training batch (SGD step, result read back), warm-up batches excluded. "
               "Error bars: 95% CI of the median. Log y axis, as in the paper."),
    FigureSpec("fig2", "Figure 2: model load time", "load_ms", "infer", "model load time (ms)", True,
               INFERENCE_HINT, "Fetching and parsing the saved model file; one sample per fresh page load. "
               "Error bars: 95% CI of the median. Log y axis, as in the paper."),
    FigureSpec("fig3", "Figure 3: warm-up time (first prediction)", "warmup_ms", "infer",
               "first prediction (ms)", True, INFERENCE_HINT,
               "The first prediction after loading (shader compilation, JIT), one sample per page load. "
               "The paper shows GPU backends only; every backend is shown here. Log y axis, as in the paper."),
    FigureSpec("fig4", "Figure 4: inference time per sample", "infer_ms", "infer", "time per prediction (ms)",
               False, INFERENCE_HINT, "Steady-state prediction of one sample, output read back. "
               "Error bars: 95% CI of the median. Linear y axis, as in the paper."),
)}


@dataclass
class Table:
    columns: list[str]
    kinds: list[str]   # per column: "text", "num" (right-aligned) or "pre" (verbatim text)
    rows: list[list[str]]
    caption: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Section:
    key: str
    title: str
    about: str = ""
    empty: str = ""      # set when there is no data: which suite fills the section
    notes: list[str] = field(default_factory=list)
    image: str = ""      # data: URI of the figure (HTML)
    image_file: str = "" # the same figure as a PNG beside the report (Markdown)
    tables: list[Table] = field(default_factory=list)
    files: dict[str, pd.DataFrame | bytes] = field(default_factory=dict)  # written beside the report


def build_report(store_path: Path | str, out_dir: Path | str) -> Path:
    """Write out_dir/index.html, report.md, figure PNGs and the CSV behind each; returns index.html."""
    out_dir = Path(out_dir)
    with Store.open(store_path, create=False) as store:
        results, samples, envs = store.frames()
        runs = store.runs()
    summary = summary_frame(samples, results)
    titles = {name: fw.title for name, fw in FRAMEWORKS.items()}  # native runners keep their id
    sections = [
        _overview_section(runs, results, summary),
        _figure_section(FIGURES["fig1"], summary, titles),
        _cpu_section(samples, titles),
        _file_size_section(samples, titles),
        *(_figure_section(FIGURES[key], summary, titles) for key in ("fig2", "fig3", "fig4")),
        _environment_section(envs, results, titles),
        _outcomes_section(results, titles),
    ]
    context = {"sections": sections, "store": str(store_path),
               "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for section in sections:
            for name, data in section.files.items():
                target = out_dir / name
                target.write_bytes(data) if isinstance(data, bytes) else data.to_csv(target, index=False)
        env = _jinja()
        (out_dir / "report.md").write_text(env.get_template("report.md.j2").render(context))
        index = out_dir / "index.html"
        index.write_text(env.get_template("index.html.j2").render(context))
    except OSError as exc:
        raise UserError(f"cannot write the report to {out_dir} ({exc.strerror or exc}): "
                        "give a writable output directory") from None
    return index


# -- sections -----------------------------------------------------------------------------------
def _overview_section(runs: pd.DataFrame, results: pd.DataFrame, summary: pd.DataFrame) -> Section:
    section = Section("overview", "Runs", files={"summary.csv": summary})
    if runs.empty:
        section.empty = ANY_HINT
        return section
    rows = []
    for run in runs.itertuples():
        mine = results[results["run_id"] == run.run_id]
        ok = int((mine["outcome"] == "ok").sum())
        rows.append([run.run_id, run.suite, run.status, _time(run.started_at), str(len(mine)), str(ok),
                     str(len(mine) - ok)])
    section.about = ("Every spec result in the store is pooled per spec (all runs). summary.csv holds one row "
                     "per spec and metric: n, median, 95% CI, mean, stdev, outcome.")
    section.tables.append(Table(["Run", "Suite", "Status", "Started", "Results", "ok", "not ok"],
                                ["text"] * 4 + ["num"] * 3, rows))
    return section


def _figure_section(spec: FigureSpec, summary: pd.DataFrame, titles: dict[str, str]) -> Section:
    section = Section(spec.key, spec.title, about=spec.about)
    csv_name = f"{spec.key}_{spec.metric}.csv"
    section.files[csv_name] = pd.DataFrame(columns=POINT_COLUMNS)
    of_task = summary[summary["task"] == spec.task]
    measured = of_task[(of_task["metric"] == spec.metric) & (of_task["n"] > 0)]
    # Specs of this task without this metric (failed, or stopped early) have no point: list them instead.
    missing = of_task[~of_task["spec_hash"].isin(measured["spec_hash"])].drop_duplicates("spec_hash")
    if measured.empty:
        section.empty = spec.hint
    if of_task.empty:
        return section
    shown = pd.concat([measured, missing])
    shown = shown.assign(series=_series_labels(shown, titles), group=shown["depth"],
                         config=[f"{d}×{w}" for d, w in zip(shown["depth"], shown["width"])],
                         x_order=shown["depth"] * 1_000_000 + shown["width"])
    points = shown[shown["metric"] == spec.metric]
    table_rows = [[p.series, p.config, str(p.n), _num(p.median), f"{_num(p.ci_low)} – {_num(p.ci_high)}",
                   p.outcome, _point_note(p)] for p in points.sort_values(["series", "x_order"]).itertuples()]
    table_rows += [[r.series, r.config, "0", "–", "–", r.outcome, f"no {spec.metric} samples"]
                   for r in shown[shown["metric"] != spec.metric].itertuples()]
    section.tables.append(Table(["Series", "Model", "n", "median (ms)", "95% CI of median (ms)", "Outcome",
                                 "Note"], ["text", "text", "num", "num", "num", "text", "text"], table_rows,
                                caption=f"Data behind {spec.title.split(':')[0]} ({csv_name})"))
    if points.empty:
        return section
    log_y = spec.log_y and bool((points[["median", "ci_low"]] > 0).all().all())
    if spec.log_y and not log_y:
        section.notes.append("The y axis is linear, not log as in the paper: some values or CI bounds are "
                             "≤ 0 ms (the browser's timer resolution).")
    png = series_figure(points.rename(columns={"config": "x"}), title=spec.title, ylabel=spec.ylabel, log_y=log_y)
    section.image, section.image_file = data_uri(png), f"{spec.key}.png"
    section.files[section.image_file] = png
    section.files[csv_name] = points[POINT_COLUMNS]
    return section


def _cpu_section(samples: pd.DataFrame, titles: dict[str, str]) -> Section:
    section = Section("table2", "Table 2: CPU utilisation during training",
                      about="CPU% of the page's renderer process and of the browser's GPU process, sampled "
                            "while training; every model of the suite pooled. 100% is one core fully busy.")
    cpu = samples[(samples["task"] == "train") & samples["metric"].isin(list(CPU_METRICS))]
    stats = cpu.groupby(["runtime", "framework", "backend", "metric"])["value"].agg(
        ["max", "min", "mean", "count"]).reset_index()
    section.files["table2_cpu_utilisation.csv"] = stats
    if stats.empty:
        section.empty = TRAINING_HINT
        return section
    columns, rows = ["Framework", "Backend"], []
    for name in CPU_METRICS.values():
        columns += [f"{name} max (%)", f"{name} min (%)", f"{name} average (%)", f"{name} n"]
    for (runtime, framework, backend), group in stats.groupby(["runtime", "framework", "backend"]):
        row = [_framework_label(framework, runtime, titles), backend]
        for metric in CPU_METRICS:
            found = group[group["metric"] == metric]
            row += ([_num(found[c].iloc[0]) for c in ("max", "min", "mean")] + [str(found["count"].iloc[0])]
                    if len(found) else ["–"] * 4)
        rows.append(row)
    section.tables.append(Table(columns, ["text", "text"] + ["num"] * (len(columns) - 2), rows))
    return section


def _file_size_section(samples: pd.DataFrame, titles: dict[str, str]) -> Section:
    section = Section("table3", "Table 3: model file size",
                      about=f"Size of the model file(s) each framework's own serializer wrote; "
                            f"MB = {BYTES_PER_MB:,} bytes.")
    sizes = samples[samples["metric"] == "model_file_bytes"]
    per = sizes.groupby(["runtime", "framework", "depth", "width"])["value"].median().reset_index(name="bytes")
    per["mb"] = per["bytes"] / BYTES_PER_MB
    section.files["table3_model_file_size.csv"] = per
    if per.empty:
        section.empty = INFERENCE_HINT
        return section
    frameworks = list(dict.fromkeys(zip(per["runtime"], per["framework"])))
    columns = ["Depth", "Width"]
    for runtime, framework in frameworks:
        label = _framework_label(framework, runtime, titles)
        columns += [f"{label} (MB)", f"{label} (bytes)"]
    rows = []
    for (depth, width), group in per.groupby(["depth", "width"]):
        row = [str(depth), str(width)]
        for runtime, framework in frameworks:
            found = group[(group["runtime"] == runtime) & (group["framework"] == framework)]
            row += [f"{found['mb'].iloc[0]:.2f}", f"{found['bytes'].iloc[0]:,.0f}"] if len(found) else ["–", "–"]
        rows.append(row)
    section.tables.append(Table(columns, ["num"] * len(columns), rows))
    return section


def _environment_section(envs: dict[str, dict], results: pd.DataFrame, titles: dict[str, str]) -> Section:
    section = Section("environment", "Environment",
                      about="Every environment fingerprint in the store, as the page and the harness saw it.")
    long_rows = []
    for env_id, fingerprint in envs.items():
        used = results[results["env_id"] == env_id]
        configs = sorted({f"{_framework_label(f, r, titles)}/{b}" for f, r, b in
                          zip(used["framework"], used["runtime"], used["backend"])})
        keys = [k for k in ENV_LABELS if k in fingerprint] + sorted(k for k in fingerprint if k not in ENV_LABELS)
        rows = [[ENV_LABELS.get(k, k), _env_value(fingerprint[k])] for k in keys]
        long_rows += [{"env_id": env_id, "property": k, "value": _env_value(fingerprint[k])} for k in keys]
        section.tables.append(Table(["Property", "Value"], ["text", "text"], rows,
                                    caption=f"Environment {env_id}: {len(used)} results ({', '.join(configs)})",
                                    notes=_env_warnings(fingerprint)))
    section.files["environments.csv"] = pd.DataFrame(long_rows, columns=["env_id", "property", "value"])
    if not envs:
        section.empty = ANY_HINT
    return section


def _outcomes_section(results: pd.DataFrame, titles: dict[str, str]) -> Section:
    section = Section("outcomes", "Outcomes other than ok",
                      about="Every stored result whose outcome is not ok, with its error verbatim.")
    failed = results[results["outcome"] != "ok"]
    section.files["outcomes.csv"] = failed[["result_id", "run_id", "spec_hash", *SPEC_KEYS, "outcome", "error"]]
    if results.empty:
        section.empty = ANY_HINT
    elif failed.empty:
        section.notes.append(f"All {len(results)} results are ok.")
    else:
        rows = [[_spec_label(r, titles), r.runtime, r.run_id, r.outcome, r.error] for r in failed.itertuples()]
        section.tables.append(Table(["Spec", "Runtime", "Run", "Outcome", "Error"],
                                    ["text", "text", "text", "text", "pre"], rows))
    return section


# -- helpers ------------------------------------------------------------------------------------
def _series_labels(rows: pd.DataFrame, titles: dict[str, str]) -> list[str]:
    varying = [k for k in SERIES_EXTRA_KEYS if rows[k].nunique() > 1]
    return [" ".join([_framework_label(r["framework"], r["runtime"], titles), r["backend"],
                      *(f"{k} {r[k]}" for k in varying)]) for r in rows.to_dict("records")]


def _framework_label(framework: str, runtime: str, titles: dict[str, str]) -> str:
    title = titles.get(framework, framework)
    return title if runtime == "browser" else f"{title} ({runtime})"


def _spec_label(r, titles: dict[str, str]) -> str:
    batch = f" batch {r.batch}" if r.task == "train" else ""
    return f"{titles.get(r.framework, r.framework)}/{r.backend} {r.task} {r.model} {r.depth}×{r.width}{batch}"


def _point_note(p) -> str:
    notes = [f"unstable: {p.unstable_reason}"] if p.unstable else []
    if p.ci_method.startswith("min-max"):
        notes.append("CI is min–max (n < 6 gives no 95% order-statistic interval)")
    return "; ".join(notes)


def _env_value(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_env_value(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list):
        return " ".join(map(str, value)) or "none"
    return str(value)


def _env_warnings(fingerprint: dict) -> list[str]:
    """Plain statements about what the fingerprint means for GPU and threading results."""
    warnings = []
    if "swiftshader" in str(fingerprint.get("webgl_renderer", "")).lower():
        warnings.append("WebGL renderer is SwiftShader: software rendering on the CPU. WebGL backend timings "
                        "from this environment measure no GPU.")
    if "webgpu_adapter" in fingerprint:
        adapter = fingerprint["webgpu_adapter"]
        if not adapter:
            warnings.append("No WebGPU adapter: WebGPU specs are unsupported here.")
        elif adapter.get("is_fallback") or "swiftshader" in str(adapter).lower():
            warnings.append("The WebGPU adapter is a software fallback adapter: WebGPU timings measure the CPU.")
    if fingerprint.get("cross_origin_isolated") is False:
        warnings.append("Not cross-origin isolated: SharedArrayBuffer, and so multi-threaded WebAssembly, "
                        "is unavailable.")
    return warnings


def _num(value: float) -> str:
    """A number with about three significant digits, thousands separated."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1 or magnitude == 0:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _md_cell(text) -> str:
    # Markdown renders inline HTML (an error's "<anonymous>" would vanish), a table row is one line,
    # and a pipe ends a cell.
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", "<br>")


def _jinja() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             autoescape=jinja2.select_autoescape(["html.j2"]), trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md"] = _md_cell
    return env
