"""RQ3's browser/native gap (paper §5.2): Table 5 (the factor grid actually run), Figure 6 (the
decision trees), the ratio tables with the paper's quoted ratios beside ours, and how close each
result came to the machine's single-thread GEMM peak. Computed per environment (a browser and the
native results of its machine) by analysis/gap.py and analysis/peak.py."""
from __future__ import annotations

import pandas as pd

from webdlbench.analysis import coverage, gap, paper, peak
from webdlbench.report.data import ReportData, View
from webdlbench.report.document import Cell, Figure, Section, Table, int_cell, num
from webdlbench.report.plots import compact_png, data_uri
from webdlbench.report.sections.common import GAP_HINT, env_cells, env_columns
from webdlbench.report.trees import leaf_rules, tree_png

PEAK_HINT = ("No GEMM peak recorded: native specs record it (run `webdlbench run gap-quick`); achieved GFLOP/s are "
             "shown without it.")


def ratios_of(view: View) -> pd.DataFrame:
    return gap.ratio_frame(view.summary, view.replicates).assign(environment=view.label)


def all_ratios(data: ReportData) -> pd.DataFrame:
    frames = [ratios_of(v) for v in data.views]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*gap.RATIO_COLUMNS, "environment"])


def table5_section(data: ReportData, ratios: pd.DataFrame) -> Section:
    section = Section("table5", "Table 5: factors of the browser/native gap",
                      about="The paper's factor grid (backend × task × depth × width per network type, "
                            f"{paper.TABLE5_SOURCE}), cell by cell: ran (an ok TF.js cpu/webgl result paired with an "
                            "ok native one: the trees' rows), or why not — failed, timed out, skipped (a smaller "
                            "model of the series ran out of time), one side only, or not run.")
    section.tables.append(Table(["Network type", "Backend", "Task", "Depth", "Width"], ["text"] * 5,
                                [[network, ", ".join(grid["backend"]), ", ".join(grid["task"]),
                                  ", ".join(map(str, grid["depth"])), ", ".join(map(str, grid["width"]))]
                                 for network, grid in paper.TABLE5.items()],
                                caption=f"The paper's grid ({paper.TABLE5_SOURCE})"))
    records = []
    for view in data.views:
        mine = ratios[ratios["environment"] == view.label] if not ratios.empty else ratios
        labels = {e.label for e in ([view.browser] if view.browser else []) + view.natives}
        results = data.results[data.results["environment"].isin(labels)]
        for network, grid in paper.TABLE5.items():
            cells = coverage.coverage_frame(results, mine, network)
            if (cells["status"] == coverage.NOT_RUN).all():
                continue
            records += cells.assign(environment=view.label).to_dict("records")
            section.tables.append(_coverage_table(data, view.label, network, grid, cells, mine))
    section.files["table5_cells.csv"] = pd.DataFrame(records, columns=["environment", *coverage.CELL_COLUMNS])
    section.notes += out_of_time_notes(data.results)
    if not records:
        section.empty = GAP_HINT
    return section


def _coverage_table(data: ReportData, label: str, network: str, grid: dict, cells: pd.DataFrame,
                    ratios: pd.DataFrame) -> Table:
    rows = []
    for (backend, task, depth), group in cells.groupby(["backend", "task", "depth"], sort=False):
        by_width = group.set_index("width")
        rows.append([backend, task, int_cell(depth),
                     *(Cell("–" if by_width.loc[w, "status"] == coverage.NOT_RUN else by_width.loc[w, "status"],
                            title=by_width.loc[w, "detail"]) for w in grid["width"])])
    where = f" @{label}" if data.split else ""
    outside = coverage.outside_grid(ratios, network)
    notes = [f"Also run, outside the paper's grid: {', '.join(outside)}."] if outside else []
    return Table(["Backend", "Task", "Depth", *(f"width {w}" for w in grid["width"])],
                 ["text", "text", "num", *["text"] * len(grid["width"])], rows, notes=notes,
                 caption=f"{network}{where}: {coverage.coverage_counts(cells)} (– not run; a cell's tooltip says "
                         "which side failed, timed out or was skipped)")


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
                            "of Table 5 (backend_gpu, task_train, depth, width), max_depth = 4 as in the paper, leaves "
                            f"of at least {gap.MIN_LEAF} configurations (a leaf of one configuration fits its noise), "
                            "one tree per network type and native framework (TensorFlow first, the paper's reference), "
                            "drawn left to right: each box says the condition that leads to it, how many "
                            "configurations it holds and their mean ratio (darker: a larger ratio). "
                            "The table gives each tree's actual root split — the factor the paper reads as the most "
                            "important — and the importances (how much each factor's splits reduced the error) with "
                            f"95% bootstrap intervals ({gap.TREE_RESAMPLES} trees refitted on resampled "
                            "configurations).")
    rows, records, leaves = [], [], []
    for view in data.views:
        for tree in gap.fit_trees(ratios_of(view)):
            name = f"fig6_{view.label}_{tree.network}_{tree.native_framework}".lower()
            png = compact_png(tree_png(tree))
            which = f"{tree.network} over {tree.native_framework}" + (f" @{view.label}" if data.split else "")
            leaves += [{"tree": which, **rule} for rule in leaf_rules(tree)]
            title = f"{tree.title}" + (f" @{view.label}" if data.split else "")
            section.figures.append(Figure(f"Figure 6: {title}", data_uri(png), f"{name}.png"))
            section.files[f"{name}.png"] = png
            section.files[f"{name}.txt"] = tree.text.encode()
            ordered = sorted(tree.importances.items(), key=lambda kv: -kv[1])
            root = tree.root_text + (f" (same root factor in {tree.root_share:.0%} of bootstrap trees)"
                                     if tree.root and tree.resamples else "")
            rows.append([*env_cells(data, view.label), tree.network, tree.native_framework,
                         int_cell(tree.rows), root, "; ".join(_importance(tree, k, v) for k, v in ordered)])
            records.append({"environment": view.label, "network": tree.network, "native": tree.native_framework,
                            "rows": tree.rows, "fallback_rows": tree.fallback_rows, "min_leaf": tree.min_leaf,
                            "root": tree.root_text, "root_share": tree.root_share, **tree.importances,
                            **{f"{k}_ci_low": v[0] for k, v in tree.importance_intervals.items()},
                            **{f"{k}_ci_high": v[1] for k, v in tree.importance_intervals.items()}})
    section.files["fig6_importances.csv"] = pd.DataFrame(records)
    section.files["fig6_leaves.csv"] = pd.DataFrame(leaves, columns=["tree", "path", "samples", "ratio"])
    if not rows:
        section.empty = GAP_HINT.replace("pairs of the same work", "pairs of the same work for a tree (at least two "
                                         "configurations of TF.js cpu/webgl against one native framework)")
        return section
    section.tables.append(Table([*env_columns(data), "Network", "Native", "Configurations fitted", "Root split",
                                 "Importances (95% bootstrap interval)"],
                                ["text"] * (len(env_columns(data)) + 2) + ["num", "text", "text"], rows,
                                caption="The paper: backend is the most important factor, then task type."))
    section.tables.append(Table(["Tree", "Leaf: the configurations where", "Configurations", "Mean time ratio"],
                                ["text", "text", "num", "num"],
                                [[r["tree"], r["path"], int_cell(r["samples"]),
                                  Cell(f"{r['ratio']:.3g}×", sort=r["ratio"])] for r in leaves],
                                caption="Every tree as a table: one row per leaf, top to bottom as drawn "
                                        "(fig6_leaves.csv)"))
    return section


def _importance(tree, factor: str, value: float) -> str:
    low, high = tree.importance_intervals.get(factor, (float("nan"), float("nan")))
    return f"{factor} {value:.2f}" + ("" if pd.isna(low) else f" ({low:.2f}–{high:.2f})")


def ratios_section(data: ReportData, ratios: pd.DataFrame) -> Section:
    section = Section("ratios", "Browser / native time ratios",
                      about="Browser time over native time of the same work (same weights, inputs, depth, width, "
                            "batch; training per batch, inference per sample). Interval and test: "
                            f"{gap.RATIO_TEST_METHOD}; the Test column says whether the browser is faster or slower "
                            "and by how much, or that the difference is not significant. A pair with fewer than two "
                            f"replicates on a side has no test; its interval is {gap.RATIO_CI_METHOD}. A ratio above "
                            "1: the browser is slower.")
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
                     Cell(f"{num(r['ratio_ci_low'])} – {num(r['ratio_ci_high'])}", title=r["ratio_ci_method"]),
                     Cell(r["comparison"], title=f"p = {num(r['p_value'])}, Holm-adjusted {num(r['p_holm'])}"),
                     "browser GPU vs native CPU" if r["pairing"] == gap.PAIRING_FALLBACK else "",
                     r["precision"]])
    section.tables.append(Table([*env_columns(data), "Network", "Task", "Model", "Browser", "Native", "Browser (ms)",
                                 "Native (ms)", "Ratio", "Ratio interval", "Test", "Pairing", "Precision"],
                                [*["text"] * (len(env_columns(data)) + 5), "num", "num", "num", "num", "text", "text",
                                 "text"],
                                rows, caption="Every pair (ratios.csv); replicates and CI of each side in its tooltip"))
    return section


def _ms(r: dict, side: str) -> Cell:
    return Cell(num(r[f"{side}_median"]), sort=r[f"{side}_median"],
                title=f"{r[f'{side}_replicates']} replicates, n = {r[f'{side}_n']}, 95% CI "
                      f"{num(r[f'{side}_ci_low'])}–{num(r[f'{side}_ci_high'])} ms")


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
                            "this machine's float32 GEMM peak at the result's thread count (the best of numpy's and "
                            "PyTorch's large matmuls, measured once per environment and recorded with the native "
                            "results). A result above 100% is flagged: the measured peak was not the machine's best.")
    frames, notes = [], []
    for view in data.views:
        figure, failure = _recorded_peak(data, view)
        frame = peak.efficiency_frame(view.summary, figure, data.results)
        where = f" @{view.label}" if data.split else ""
        if figure:
            per_thread = ", ".join(f"{v:.1f} GFLOP/s at {t} thread{'s' * (t != 1)}"
                                   for t, v in sorted(peak.peak_by_threads(figure).items()))
            notes.append(f"GEMM peak{where}: {per_thread} "
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
                  sort=None if pd.isna(r["fraction_of_peak"]) else r["fraction_of_peak"],
                  title="" if pd.isna(r["peak_threads"]) else
                  f"against the peak at {int(r['peak_threads'])} thread(s)"),
             r["flag"]]
            for r in frame.to_dict("records")]
    section.tables.append(Table([*env_columns(data), "Result", "Task", "Model", "Batch", "Median (ms)", "MFLOP",
                                 "GFLOP/s", "Of peak", "Flag"],
                                [*["text"] * (len(env_columns(data)) + 3), *["num"] * 5, "text"], rows))
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
