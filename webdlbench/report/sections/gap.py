"""RQ3's browser/native gap (paper §5.2): Table 5 (the factor grid actually run), Figure 6 (the
decision trees), the ratio tables with the paper's quoted ratios beside ours, and how close each
result came to the machine's single-thread GEMM peak. Computed per environment (a browser and the
native results of its machine) by analysis/gap.py and analysis/peak.py."""
from __future__ import annotations

import pandas as pd

from webdlbench.analysis import gap, paper, peak
from webdlbench.analysis.findings import is_pretrained
from webdlbench.report.data import ReportData, View
from webdlbench.report.document import Cell, Figure, Section, Table, int_cell, num
from webdlbench.report.plots import compact_png, data_uri
from webdlbench.report.sections.common import GAP_HINT, env_cells, env_columns

PEAK_HINT = ("No GEMM peak recorded: native specs record it (run `webdlbench run gap-quick`); achieved GFLOP/s are "
             "shown without it.")


def ratios_of(view: View) -> pd.DataFrame:
    return gap.ratio_frame(view.summary).assign(environment=view.label)


def all_ratios(data: ReportData) -> pd.DataFrame:
    frames = [ratios_of(v) for v in data.views]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*gap.RATIO_COLUMNS, "environment"])


def table5_section(data: ReportData, ratios: pd.DataFrame) -> Section:
    section = Section("table5", "Table 5: factors of the browser/native gap",
                      about="The factor grid actually run: every value of each factor with at least one ok browser/"
                            "native pair (TF.js cpu/webgl over native, the trees' rows), beside the paper's grid "
                            f"({paper.TABLE5_SOURCE}).")
    rows, records = [], []
    run = ratios[(ratios["browser_framework"] == "tfjs") & ~ratios["model"].map(is_pretrained)]
    for network, grid in paper.TABLE5.items():
        mine = run[run["network"] == network] if not run.empty else run
        for env, group in (mine.groupby("environment") if not mine.empty else [("", mine)]):
            ours = {"backend": sorted({c.upper() for c in group.get("backend_class", [])}),
                    "task": sorted({"training" if t == "train" else "inference" for t in group.get("task", [])}),
                    "depth": sorted({int(d) for d in group.get("depth", [])}),
                    "width": sorted({int(w) for w in group.get("width", [])})}
            for factor, values in grid.items():
                text = ", ".join(map(str, ours[factor])) or "not run"
                rows.append([*env_cells(data, env), network, factor.capitalize(), text,
                             ", ".join(map(str, values))])
                records.append({"environment": env, "network": network, "factor": factor, "run_here": text,
                                "paper": ", ".join(map(str, values))})
    others = sorted(set(run["network"]) - set(paper.TABLE5)) if not run.empty else []
    for network in others:
        group = run[run["network"] == network]
        shapes = ", ".join(sorted({f"{d}×{w}" for d, w in zip(group["depth"], group["width"])}))
        rows.append([*env_cells(data, ", ".join(sorted(set(group["environment"])))), network, "Depth × width",
                     shapes, "not in the paper"])
    section.tables.append(Table([*env_columns(data), "Network type", "Factor", "Run here", "Paper 2018"],
                                ["text"] * (len(env_columns(data)) + 4), rows))
    section.files["table5_factors.csv"] = pd.DataFrame(records)
    section.notes += out_of_time_notes(data.results)
    if run.empty:
        section.empty = GAP_HINT
    return section


def out_of_time_notes(results: pd.DataFrame) -> list[str]:
    """Per network type of Table 5: the specs that ran out of their suite's time limit, and how many
    bigger ones were therefore skipped (budget.py), so that a thin grid says why it is thin."""
    from webdlbench.models import kinds

    notes = []
    late = results[results["outcome"].isin(["timeout", "skipped"]) & results["model"].isin(list(kinds.KINDS))]
    late = late.assign(network=late["model"].map(lambda m: kinds.get(m).network))
    for network in [n for n in paper.TABLE5 if n in set(late["network"])]:
        mine = late[late["network"] == network]
        timed_out = mine[mine["outcome"] == "timeout"]
        names = [f"{r.framework}/{r.backend} {r.task} {r.depth}×{r.width}"
                 + (f" ({r.info['time_limit_s']:.0f} s)" if isinstance(r.info, dict) and r.info.get("time_limit_s") else "")
                 for r in timed_out.itertuples()]
        skipped = int((mine["outcome"] == "skipped").sum())
        notes.append(f"{network}: {len(timed_out)} spec(s) ran out of time ({', '.join(names[:8])}"
                     f"{', …' if len(names) > 8 else ''}); {skipped} bigger one(s) of the same series were "
                     "skipped, not measured (see Outcomes other than ok).")
    return notes


def figure6_section(data: ReportData) -> Section:
    section = Section("fig6", "Figure 6: decision trees of the time ratio",
                      about="A DecisionTreeRegressor of the ratio (browser time / native time) on the four factors "
                            "of Table 5 (backend_gpu, task_train, depth, width), max_depth = 4 as in the paper, one "
                            "tree per network type and native framework (TensorFlow first, the paper's reference). "
                            "Factors near the root matter most; the importances say how much each split reduced the "
                            "error.")
    rows, records = [], []
    for view in data.views:
        for tree in gap.fit_trees(ratios_of(view)):
            name = f"fig6_{view.label}_{tree.network}_{tree.native_framework}".lower()
            png = compact_png(gap.tree_png(tree, dpi=80))
            title = f"{tree.title}" + (f" @{view.label}" if data.split else "")
            section.figures.append(Figure(f"Figure 6: {title}", data_uri(png), f"{name}.png"))
            section.files[f"{name}.png"] = png
            section.files[f"{name}.txt"] = tree.text.encode()
            ordered = sorted(tree.importances.items(), key=lambda kv: -kv[1])
            rows.append([*env_cells(data, view.label), tree.network, tree.native_framework, int_cell(tree.rows),
                         ", ".join(f"{k} {v:.2f}" for k, v in ordered), ordered[0][0] if ordered else "–"])
            records.append({"environment": view.label, "network": tree.network, "native": tree.native_framework,
                            "rows": tree.rows, "fallback_rows": tree.fallback_rows, **tree.importances})
    section.files["fig6_importances.csv"] = pd.DataFrame(records)
    if not rows:
        section.empty = GAP_HINT.replace("pairs of the same work", "pairs of the same work for a tree (at least two "
                                         "configurations of TF.js cpu/webgl against one native framework)")
        return section
    section.tables.append(Table([*env_columns(data), "Network", "Native", "Configurations", "Importances",
                                 "Root factor"], ["text"] * (len(env_columns(data)) + 2) + ["num", "text", "text"],
                                rows, caption="The paper: backend is the most important factor, then task type."))
    return section


def ratios_section(data: ReportData, ratios: pd.DataFrame) -> Section:
    section = Section("ratios", "Browser / native time ratios",
                      about="Median browser time over median native time of the same work (same weights, inputs, "
                            "depth, width, batch; training per batch, inference per sample). Interval: "
                            f"{gap.RATIO_CI_METHOD}. A ratio above 1: the browser is slower.")
    section.files["ratios.csv"] = ratios
    if ratios.empty:
        section.empty = GAP_HINT
        return section
    section.tables.append(_quoted_table(data, ratios))
    rows = []
    for r in ratios.to_dict("records"):
        threads = f"{r['native_threads']} thread{'s' * (r['native_threads'] != 1)}"
        native = f"{r['native_framework']}/{r['native_backend']} ({threads})"
        rows.append([*env_cells(data, r["environment"]), r["network"], r["task"],
                     Cell(f"{r['depth']}×{r['width']}", sort=r["depth"] * 1e6 + r["width"]),
                     f"{r['browser_framework']}/{r['browser_backend']}", native,
                     _ms(r, "browser"), _ms(r, "native"), Cell(num(r["ratio"]), sort=r["ratio"]),
                     f"{num(r['ratio_ci_low'])} – {num(r['ratio_ci_high'])}",
                     "browser GPU vs native CPU" if r["pairing"] == gap.PAIRING_FALLBACK else "",
                     "unstable" if r["unstable"] else ""])
    section.tables.append(Table([*env_columns(data), "Network", "Task", "Model", "Browser", "Native", "Browser (ms)",
                                 "Native (ms)", "Ratio", "Ratio interval", "Pairing", "Flag"],
                                [*["text"] * (len(env_columns(data)) + 5), "num", "num", "num", "num", "text", "text"],
                                rows, caption="Every pair (ratios.csv); n and CI of each median in its tooltip"))
    return section


def _ms(r: dict, side: str) -> Cell:
    return Cell(num(r[f"{side}_median"]), sort=r[f"{side}_median"],
                title=f"n = {r[f'{side}_n']}, 95% CI {num(r[f'{side}_ci_low'])}–{num(r[f'{side}_ci_high'])} ms")


def quoted_ratio(ratios: pd.DataFrame, quote: paper.QuotedRatio, native: str) -> tuple[float, int]:
    """Our counterpart of a ratio the paper quoted: its statistic (mean/max) over our same-class
    pairs of TF.js cpu/webgl against `native` that match the quote's conditions; (NaN, 0) if none."""
    rows = ratios[(ratios["network"] == quote.network) & (ratios["backend_class"] == quote.backend_class)
                  & (ratios["native_framework"] == native) & (ratios["browser_framework"] == "tfjs")
                  & ratios["browser_backend"].isin(list(gap.PAPER_BROWSER_BACKENDS))
                  & (ratios["pairing"] == gap.PAIRING_SAME)
                  & (ratios["depth"] > quote.min_depth) & (ratios["depth"] < quote.max_depth)
                  & (ratios["width"] > quote.min_width)]
    if quote.task:
        rows = rows[rows["task"] == quote.task]
    if rows.empty:
        return float("nan"), 0
    value = rows["ratio"].max() if quote.statistic == "max" else rows["ratio"].mean()
    return float(value), len(rows)


def _quoted_table(data: ReportData, ratios: pd.DataFrame) -> Table:
    natives = sorted(ratios["native_framework"].unique(), key=lambda n: (n != "tensorflow", n))
    envs = sorted(ratios["environment"].unique())
    columns, rows = ["Paper (§5.2.3)", "Paper 2018"], []
    for env in envs:
        columns += [f"Ours: over {n}" + (f" @{env}" if data.split else "") for n in natives]
    for quote in paper.QUOTED_RATIOS:
        row = [quote.text, Cell(num(quote.value), sort=quote.value)]
        for env in envs:
            for native in natives:
                value, count = quoted_ratio(ratios[ratios["environment"] == env], quote, native)
                row.append(Cell(num(value), title=f"{quote.statistic} over {count} configuration(s)",
                                sort=None if count == 0 else value))
        rows.append(row)
    return Table(columns, ["text", *["num"] * (len(columns) - 1)], rows,
                 caption="The ratios the paper quoted, beside ours under the same conditions (same-class pairs only: "
                         "browser CPU vs native CPU, browser GPU vs native GPU; '–' where none was run)")


def peak_section(data: ReportData) -> Section:
    section = Section("peak", "Achieved GFLOP/s and fraction of the GEMM peak",
                      about=f"FLOPs of the work one sample times ({peak.FLOP_RULE}) over its median time, against "
                            "this machine's single-thread float32 GEMM peak (numpy BLAS, measured once per "
                            "environment and recorded with the native results).")
    frames, notes = [], []
    for view in data.views:
        figure, failure = _recorded_peak(data, view)
        frame = peak.efficiency_frame(view.summary, figure.get("gflops") if figure else None, data.results)
        where = f" @{view.label}" if data.split else ""
        if figure:
            notes.append(f"GEMM peak{where}: {figure['gflops']:.1f} GFLOP/s "
                         f"({figure.get('method', '')}; {figure.get('cpu_model', '?')}, {figure.get('blas', '?')})")
        elif failure:
            notes.append(f"GEMM peak{where}: the native runs tried to measure it and failed ({failure}); achieved "
                         "GFLOP/s are shown without it.")
        frames.append(frame.assign(environment=view.label))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    section.files["peak_efficiency.csv"] = frame
    if frame.empty:
        section.empty = "No ok training or inference times yet: run `webdlbench run quick` (or any suite)."
        return section
    section.notes += notes or [PEAK_HINT]
    rows = [[*env_cells(data, r["environment"]), f"{data.title(r['framework'], r['runtime'])}/{r['backend']}",
             r["task"], Cell(f"{r['depth']}×{r['width']}", sort=r["depth"] * 1e6 + r["width"]), int_cell(r["batch"]),
             Cell(num(r["median"]), sort=r["median"], title=f"n = {r['n']}"),
             Cell(f"{r['flops'] / 1e6:.3g}", sort=r["flops"]),
             Cell(num(r["achieved_gflops"]), sort=r["achieved_gflops"]),
             Cell("–" if pd.isna(r["fraction_of_peak"]) else f"{r['fraction_of_peak']:.2%}",
                  sort=None if pd.isna(r["fraction_of_peak"]) else r["fraction_of_peak"])]
            for r in frame.to_dict("records")]
    section.tables.append(Table([*env_columns(data), "Result", "Task", "Model", "Batch", "Median (ms)", "MFLOP",
                                 "GFLOP/s", "Of peak"], [*["text"] * (len(env_columns(data)) + 3), *["num"] * 5], rows))
    return section


def _recorded_peak(data: ReportData, view: View) -> tuple[dict | None, str]:
    """(the most recent GEMM peak the native results of this view recorded, else the error its
    measurement recorded, if any)."""
    labels = {n.label for n in view.natives} | ({view.browser.label} if view.browser else set())
    mine = data.results[data.results["environment"].isin(labels)].sort_values("result_id", ascending=False)
    recorded = [info["gemm_peak"] for info in mine["info"]
                if isinstance(info, dict) and isinstance(info.get("gemm_peak"), dict)]
    found = next((r for r in recorded if "gflops" in r), None)
    return found, "" if found else next((str(r["error"]) for r in recorded if r.get("error")), "")
