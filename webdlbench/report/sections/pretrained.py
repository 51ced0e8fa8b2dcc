"""RQ3 with pre-trained models (paper §5.1): Table 4 (the models, their sizes, what failed and the
browser's words) and Figure 5 (inference time, browser vs native). A pre-trained model is any
`model` that is no network type of the factor analysis (findings.is_pretrained)."""
from __future__ import annotations

import pandas as pd

from webdlbench.analysis import paper
from webdlbench.analysis.findings import is_pretrained
from webdlbench.report.data import ReportData
from webdlbench.report.document import Cell, Figure, Section, Table, ci_cell, int_cell, median_cell, num
from webdlbench.report.plots import bar_figure, data_uri
from webdlbench.report.sections.common import PRETRAINED_HINT, env_cells, env_columns, series_labels

PARAM_KEYS = ("params_trainable", "params", "parameters")
FLOP_KEYS = ("flops",)
BYTES_PER_MB = 1_000_000
FIG5_COLUMNS = ["series", "model", "width", "environment", "runtime", "framework", "backend", "n", "replicates",
                "median", "ci_low", "ci_high", "ci_method", "outcome", "error", "spec_hash"]


def _models(data: ReportData) -> pd.DataFrame:
    return data.results[data.results["model"].map(is_pretrained)]


def table4_section(data: ReportData) -> Section:
    section = Section("table4", "Table 4: pre-trained models",
                      about="Every model other than the paper's MLP that was run: its file size (what was fetched), "
                            "its parameters and FLOPs where the run recorded them, the paper's Table 4 values beside "
                            f"({paper.TABLE4_SOURCE}), and every run that failed with its error verbatim.")
    results = _models(data)
    paper_rows = [[m.name, num(m.size_mb), num(m.params_m), num(m.flops_m)] for m in paper.TABLE4]
    paper_table = Table(["Model", "Size (MB)", "Trainable parameters (M)", "Computation (M FLOPs)"],
                        ["text", "num", "num", "num"], paper_rows,
                        caption=f"As printed in the paper ({paper.TABLE4_SOURCE})")
    failures_2018 = Table(["Model", "Error in the browser (2018)"], ["text", "pre"],
                          list(map(list, paper.TABLE4_FAILURES)),
                          caption="The models that failed in the paper's browser (§5.1.1)")
    if results.empty:
        section.empty = PRETRAINED_HINT
        section.tables += [paper_table, failures_2018]
        section.files["table4_paper.csv"] = pd.DataFrame([vars(m) for m in paper.TABLE4])
        return section
    rows, records = [], []
    sizes = data.samples[(data.samples["metric"] == "model_file_bytes") & data.samples["model"].map(is_pretrained)]
    for (model, width), group in results.groupby(["model", "width"], sort=True):
        size = sizes[(sizes["model"] == model) & (sizes["width"] == width)]["value"].median()
        facts = _facts(group)
        params, flops = _number(facts, PARAM_KEYS), _number(facts, FLOP_KEYS)
        keras_bytes = _number(facts, ("keras_model_bytes",))
        ran = group.groupby(["runtime", "framework", "backend"])["outcome"].agg(
            lambda o: "ok" if (o == "ok").all() else o[o != "ok"].iloc[-1])
        known = paper.table4_model(model)
        record = {"model": model, "input": width, "file_bytes": size, "keras_file_bytes": keras_bytes,
                  "params": params, "flops": flops, "flops_method": facts.get("flops_method", ""),
                  "paper_size_mb": known.size_mb if known else None,
                  "paper_params_m": known.params_m if known else None,
                  "paper_flops_m": known.flops_m if known else None,
                  "runs": "; ".join(f"{data.title(f, r)}/{b}: {o}" for (r, f, b), o in ran.items())}
        records.append(record)
        rows.append([model_label(model, width), _mb(size), _mb(keras_bytes), _count(params), _count(flops),
                     num(known.size_mb) if known else "–", num(known.params_m) if known else "–",
                     num(known.flops_m) if known else "–", record["runs"]])
    section.tables.append(Table(["Model", "TF.js files (MB)", "Keras file (MB)", "Parameters (M)", "FLOPs (M)",
                                 "Paper: size (MB)", "Paper: parameters (M)", "Paper: FLOPs (M)",
                                 "Runs (runtime/backend: outcome)"],
                                ["text", *["num"] * 7, "text"], rows,
                                caption="Parameters: trainable, as Keras's summary() counts them; FLOPs: batch-1 "
                                        "inference, a multiply-add counts 2 (method in table4_models.csv); the paper's "
                                        "size is its Keras file."))
    failed = results[results["outcome"] != "ok"]
    if len(failed):
        # One row per distinct error: a model that fails to load fails alike on every backend, and a
        # runtime without a GPU refuses every model alike.
        failed = failed.assign(label=[model_label(m, w) for m, w in zip(failed["model"], failed["width"])])
        keys = ["environment", "label", "runtime", "framework", "outcome", "error"]
        per_model = failed.groupby(keys, sort=False)["backend"].agg(lambda b: ", ".join(dict.fromkeys(b)))
        per_model = per_model.rename("backends").reset_index()
        keys = ["environment", "runtime", "framework", "backends", "outcome", "error"]
        grouped = per_model.groupby(keys, sort=False)["label"].agg(lambda m: "; ".join(m))
        section.tables.append(Table([*env_columns(data), "Models", "Framework", "Backends", "Outcome", "Error"],
                                    [*["text"] * (len(env_columns(data)) + 4), "pre"],
                                    [[*env_cells(data, env), models, data.title(framework, runtime), backends,
                                      outcome, error]
                                     for (env, runtime, framework, backends, outcome, error), models
                                     in grouped.items()],
                                    caption="Failures, with the framework's or browser's own words (one row per "
                                            "distinct error)"))
    section.tables += [paper_table, failures_2018]
    section.files["table4_models.csv"] = pd.DataFrame(records)
    return section


def _facts(results: pd.DataFrame) -> dict:
    """What the runs recorded about the model (info.model_facts, else info itself), first found."""
    for info in results["info"]:
        if isinstance(info, dict) and isinstance(info.get("model_facts"), dict):
            return info["model_facts"]
    for info in results["info"]:
        if isinstance(info, dict) and any(k in info for k in PARAM_KEYS + FLOP_KEYS):
            return info
    return {}


def _number(facts: dict, keys) -> float | None:
    return next((float(facts[k]) for k in keys if isinstance(facts.get(k), (int, float))), None)


def _mb(size) -> Cell:
    if size is None or pd.isna(size):
        return Cell("–")
    return Cell(num(size / BYTES_PER_MB), title=f"{size:,.0f} bytes", sort=float(size))


def model_label(model: str, width) -> str:
    """'MobileNetV2, 96 px input' for a Keras application run at another input side; the name alone otherwise."""
    from webdlbench.models import kinds

    name = str(model).rsplit(":", 1)[-1]
    own = kinds.KINDS[model].default_width if model in kinds.KINDS else None
    return f"{name}, {int(width)} px input" if width and int(width) > 1 and int(width) != own else name


def _count(value: float | None) -> Cell:
    return Cell("–") if value is None else Cell(num(value / 1e6), title=f"{value:,.0f}", sort=value)


def figure5_section(data: ReportData) -> Section:
    section = Section("fig5", "Figure 5: inference time of pre-trained models",
                      about="Median time of one single-sample prediction per model, browser and native side by side; "
                            "error bars: 95% CI of the median. Log y axis, as in the paper. The paper "
                            f"({paper.PRETRAINED_SOURCE}): TF.js on a standalone GPU 1x–2x slower than native "
                            "TensorFlow; on an integrated GPU faster than native TensorFlow on the CPU.")
    section.files["fig5_infer_ms.csv"] = pd.DataFrame(columns=FIG5_COLUMNS)
    summary = data.summary[data.summary["model"].map(is_pretrained) & (data.summary["task"] == "infer")]
    rows = summary[(summary["metric"] == "infer_ms") & (summary["n"] > 0) & (summary["outcome"] == "ok")]
    plotted = set(zip(rows["spec_hash"], rows["environment"]))
    unplotted = pd.Series([k not in plotted for k in zip(summary["spec_hash"], summary["environment"])],
                          index=summary.index, dtype=bool)
    failed = summary[unplotted]
    failed = failed[failed["outcome"] != "ok"].drop_duplicates(["spec_hash", "environment"])
    if rows.empty and failed.empty:
        section.empty = PRETRAINED_HINT
        return section
    # One labelling over both frames: labelled apart, a failed run's series would drop the extras its
    # plotted twin shows ("threads 1") and be drawn as a series of its own.
    labelled = pd.concat([rows.assign(plotted=True), failed.assign(plotted=False)])
    labelled = labelled.assign(series=series_labels(labelled, data, ("batch", "threads", "seed")),
                               label=[model_label(m, w) for m, w in zip(labelled["model"], labelled["width"])])
    rows, failed = (labelled[labelled["plotted"] == side].drop(columns="plotted") for side in (True, False))
    # A spec this machine cannot run (a GPU backend without a GPU) is listed, not drawn as a failure.
    crossed = failed[failed["outcome"] != "unsupported"]
    rows = rows.sort_values(["model", "width", "runtime", "framework", "backend"])
    table_rows = [[r["series"], r["label"], int_cell(r["n"]), median_cell(r, "ms"), ci_cell(r), r["outcome"], ""]
                  for r in rows.to_dict("records")]
    table_rows += [[r["series"], r["label"], int_cell(0), "–", "–", r["outcome"],
                    str(r["error"]).splitlines()[0][:160] if r["error"] else ""]
                   for r in failed.sort_values(["model", "width", "runtime", "framework", "backend"])
                   .to_dict("records")]
    section.tables.append(Table(["Series", "Model", "n", "median (ms)", "95% CI of median (ms)", "Outcome", "Error"],
                                ["text", "text", "num", "num", "num", "text", "text"], table_rows,
                                caption="Data behind Figure 5 (fig5_infer_ms.csv); failed runs are marked in the "
                                        "figure with a cross; runs this machine cannot make (outcome unsupported, "
                                        "e.g. a GPU backend without a GPU) are listed here only"))
    section.files["fig5_infer_ms.csv"] = pd.concat([rows, failed]).reindex(columns=FIG5_COLUMNS)
    if rows.empty and crossed.empty:  # nothing ran that could be drawn: the table says why
        return section
    log_y = bool((rows[["median", "ci_low"]] > 0).all().all())
    png = bar_figure(rows.rename(columns={"label": "x"}), title="Figure 5: inference time of pre-trained models",
                     ylabel="time per prediction (ms)", log_y=log_y, xlabel="pre-trained model",
                     failed=crossed.rename(columns={"label": "x"})[["series", "x"]])
    section.figures.append(Figure("Figure 5", data_uri(png), "fig5.png"))
    section.files["fig5.png"] = png
    return section
