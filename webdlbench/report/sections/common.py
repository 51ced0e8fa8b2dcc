"""What every section shares: which suite fills an empty section, series labels (split by
environment when the store holds several), and the median-with-CI figure and its table."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from webdlbench.analysis.compare import precision_note
from webdlbench.report.data import ReportData
from webdlbench.report.document import Cell, Figure, Section, Table, ci_cell, int_cell, median_cell
from webdlbench.report.plots import data_uri, series_figure
from webdlbench.software_gpu import GPU_BACKENDS

TRAINING_HINT = "No data yet: run `webdlbench run quick` or `webdlbench run paper-training` to fill this section."
INFERENCE_HINT = "No data yet: run `webdlbench run quick` or `webdlbench run paper-inference` to fill this section."
ANY_HINT = "No results yet: run `webdlbench run quick` (or any suite) to fill this section."
PROFILE_HINT = ("No call-stack depths yet: run `webdlbench run paper-training` (it profiles every spec) or any suite "
                "with `--profile`.")
PRETRAINED_HINT = "Not tested here: run `webdlbench run paper-pretrained` to fill this section."
GAP_HINT = ("No browser/native pairs of the same work yet: run `webdlbench run gap-quick` (minutes) or "
            "`webdlbench run paper-gap-dnn` (the paper's Table 5 grid) to fill this section.")
# A linear-axis figure whose medians span more than this factor is drawn on a log axis (and says so).
WIDE_RANGE = 100.0
# Spec fields that split a figure's series only when they vary, so labels stay short.
SERIES_EXTRA_KEYS = ("model", "batch", "threads", "seed")
POINT_COLUMNS = ["series", "config", "environment", "framework", "backend", "runtime", "model", "depth", "width",
                 "batch", "threads", "seed", "metric", "unit", "n", "replicates", "median", "ci_low", "ci_high", "mean",
                 "stdev", "half_width_pct", "precision_target_pct", "precision_met", "precision", "ci_method",
                 "outcome", "error", "spec_hash"]


def series_labels(rows: pd.DataFrame, data: ReportData, extra_keys=SERIES_EXTRA_KEYS) -> list[str]:
    """'TensorFlow.js webgl', plus varying extras, plus '@B2' when the report holds several environments."""
    varying = [k for k in extra_keys if k in rows and rows[k].nunique() > 1]
    return [" ".join([data.title(r["framework"], r["runtime"]), str(r["backend"]),
                      *(f"{k} {r[k]}" for k in varying)]) + (f" @{r['environment']}" if data.split else "")
            for r in rows.to_dict("records")]


# Figure rows, in this order, when a figure has more series than one panel holds.
FAMILIES = ("In the browser: CPU backends", "In the browser: GPU backends", "Native")


def series_family(runtime: str, backend: str) -> str:
    if runtime == "native":
        return FAMILIES[2]
    return FAMILIES[1] if backend in GPU_BACKENDS else FAMILIES[0]


def _figure_order(column: pd.Series) -> pd.Series:
    """Sort keys of a figure's points: families in FAMILIES' order, series by name whatever its case."""
    if column.name == "facet":
        return column.map(FAMILIES.index)
    return column.str.lower() if column.name == "series" else column


def env_columns(data: ReportData) -> list[str]:
    return ["Environment"] if data.split else []


def env_cells(data: ReportData, label: str) -> list[Cell]:
    return [Cell(label, link="environment")] if data.split else []


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


def point_note(p) -> str:
    why = str(p.error).splitlines()[0][:160] if p.error else p.outcome
    notes = [] if p.outcome == "ok" else [f"not plotted: {why}"]
    notes += [p.precision] if p.precision else []
    if "min-max" in str(p.ci_method):
        notes.append("CI is min–max (n < 6 gives no 95% order-statistic interval)")
    return "; ".join(notes)


def with_precision(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with a `precision` column: what their replicates say about the CI (compare.precision_note)."""
    return rows.assign(precision=[precision_note(r) for r in rows.to_dict("records")])


def figure_section(spec: FigureSpec, data: ReportData, rows: pd.DataFrame | None = None) -> Section:
    """Median with 95% CI per model (depth × width), one series per framework/backend(/environment),
    and the table of every point with n and CI; specs without the metric are listed, not dropped."""
    section = Section(spec.key, spec.title, about=spec.about)
    csv_name = f"{spec.key}_{spec.metric}.csv"
    section.files[csv_name] = pd.DataFrame(columns=POINT_COLUMNS)
    summary = data.summary if rows is None else rows
    of_task = summary[(summary["task"] == spec.task) & (summary["model"] == "mlp")]
    measured = of_task[(of_task["metric"] == spec.metric) & (of_task["n"] > 0)]
    measured_keys = set(zip(measured["spec_hash"], measured["environment"]))
    missing = of_task[[k not in measured_keys for k in zip(of_task["spec_hash"], of_task["environment"])]]
    missing = missing.drop_duplicates(["spec_hash", "environment"])
    if measured.empty:
        section.empty = spec.hint
    if of_task.empty:
        return section
    shown = with_precision(pd.concat([measured, missing]))
    shown = shown.assign(series=series_labels(shown, data), group=shown["depth"],
                         config=[f"{d}×{w}" for d, w in zip(shown["depth"], shown["width"])],
                         x_order=shown["depth"] * 1_000_000 + shown["width"], tick=shown["width"].map(str),
                         panel=[f"{d} hidden layer{'s' if d != 1 else ''}" for d in shown["depth"]],
                         facet=[series_family(r, b) for r, b in zip(shown["runtime"], shown["backend"])])
    shown = shown.sort_values(["facet", "series", "x_order"], key=_figure_order, kind="stable")
    points = shown[(shown["metric"] == spec.metric) & (shown["n"] > 0)]
    unit = "ms"
    rows_out = [[p.series, Cell(p.config, sort=float(p.x_order)), int_cell(p.n), median_cell(p._asdict(), unit),
                 ci_cell(p._asdict()), p.outcome, point_note(p)]
                for p in points.sort_values(["series", "x_order"]).itertuples()]
    # A result whose check failed (or that ended early) is listed with its numbers, never plotted.
    listed, points = points, points[points["outcome"] == "ok"]
    if len(listed) > len(points):
        section.notes.append(f"{len(listed) - len(points)} result(s) with samples but an outcome other than ok "
                             "(e.g. check_failed: the loss did not fall) are listed in the table, not plotted.")
    rows_out += [[r.series, Cell(r.config, sort=float(r.x_order)), int_cell(0), "–", "–", r.outcome,
                  f"no {spec.metric} samples" + (f": {str(r.error).splitlines()[0][:160]}" if r.error else "")]
                 for r in shown[~shown.index.isin(points.index)].itertuples()]
    section.tables.append(Table(["Series", "Model", "n", f"median ({unit})", f"95% CI of median ({unit})", "Outcome",
                                 "Note"], ["text", "text", "num", "num", "num", "text", "text"], rows_out,
                                caption=f"Data behind {spec.title.split(':')[0]} ({csv_name})"))
    if points.empty:
        section.files[csv_name] = listed.reindex(columns=POINT_COLUMNS)
        return section
    positive = bool((points[["median", "ci_low"]] > 0).all().all())
    log_y = spec.log_y and positive
    if spec.log_y and not log_y:
        section.notes.append("The y axis is linear, not log as in the paper: some values or CI bounds are "
                             "≤ 0 ms (the browser's timer resolution).")
    elif not spec.log_y and positive and points["median"].max() > WIDE_RANGE * points["median"].min():
        log_y = True
        section.notes.append(f"The y axis is log, not linear as in the paper: the medians span more than "
                             f"{WIDE_RANGE:g}x, and a linear axis would flatten all but the slowest series.")
    png = series_figure(points.rename(columns={"config": "x"}), title=spec.title, ylabel=spec.ylabel, log_y=log_y,
                        xlabel="neurons per hidden layer (one panel per number of hidden layers)")
    section.figures.append(Figure(spec.title, data_uri(png), f"{spec.key}.png"))
    section.files[f"{spec.key}.png"] = png
    section.files[csv_name] = listed.reindex(columns=POINT_COLUMNS)
    return section
