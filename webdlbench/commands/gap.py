"""`webdlbench gap`: the browser/native time ratios, the decision trees of the ratio on the paper's
factors (§5.2, Table 5, Figure 6), and how close each result came to the machine's GEMM peak.

Each run of the store is its own section (a spec measured in two runs is never pooled into one
median) unless --pool-runs asks for one section over all of them."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from webdlbench.errors import UserError
from webdlbench.paths import DEFAULT_STORE

HELP = "browser/native time ratios per configuration, decision trees of the ratio, fraction of GEMM peak"
FILL_SUITES = ("gap-quick, gap-cnn-quick, gap-rnn-quick (CI-sized); paper-gap-dnn, paper-gap-cnn, paper-gap-rnn "
               "(Table 5); paper-pretrained (Keras applications)")


def add_arguments(parser) -> None:
    parser.add_argument("--store", default=str(DEFAULT_STORE), help=f"results store (default {DEFAULT_STORE})")
    parser.add_argument("--figures", metavar="DIR", help="also write each tree as a PNG into DIR")
    parser.add_argument("--no-peak", action="store_true",
                        help="skip the GEMM peak (no measurement when the store has none recorded)")
    parser.add_argument("--pool-runs", action="store_true",
                        help="one section over every run of the store (default: one section per run)")
    parser.add_argument("--cache", metavar="DIR",
                        help="where a GEMM peak measured now is cached (default: cache/ beside the store)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text: tables (default); json: every figure, for scripts")


@dataclass
class Section:
    """The gap of one run (or of every run pooled)."""
    heading: str
    run_ids: list
    ratios: object          # analysis.gap.ratio_frame
    trees: list
    efficiency: object      # analysis.peak.efficiency_frame, or None without a peak section
    peak: dict | None
    peak_source: str


def run(args) -> int:
    from webdlbench.store import Store
    from webdlbench.textout import print_json, print_lines, terminal_width

    store_path = Path(args.store)
    cache = Path(args.cache) if args.cache else store_path.parent / "cache"
    with Store.open(store_path, create=False) as store:
        frames, runs = store.frames(), store.runs()
    sections = build_sections(frames, runs, args.pool_runs, None if args.no_peak else (store_path, cache))
    if not sections:
        raise UserError(f"{store_path} has no browser+native pairs of the same work: run "
                        f"`webdlbench run gap-quick --store {store_path}` first (or any of: {FILL_SUITES})")
    written = _write_figures(sections, Path(args.figures)) if args.figures else []
    if args.format == "json":
        print_json({"store": str(store_path), "pooled": args.pool_runs, "sections": [to_json(s) for s in sections],
                    "figures": [str(p) for p in written]})
        return 0
    width = terminal_width()
    lines = []
    for section in sections:
        lines += render(section, width) + [""]
    print_lines(lines + [f"wrote {p}" for p in written])
    return 0


def build_sections(frames, runs, pool: bool, peak_at: tuple | None) -> list[Section]:
    """One Section per run with browser+native pairs (or one over all runs when `pool`), in the
    order the runs started; `peak_at` = (store path, cache folder), None to skip the GEMM peak."""
    from webdlbench.analysis import gap, peak
    from webdlbench.analysis.compare import replicate_medians
    from webdlbench.analysis.stats import summary_frame

    results, samples, _ = frames
    suites = dict(zip(runs["run_id"], runs["suite"]))
    if pool:
        parts = [("every run pooled (--pool-runs): " + ", ".join(results["run_id"].unique()),
                  list(results["run_id"].unique()), results)]
    else:
        order = [r for r in runs.sort_values("started_at")["run_id"] if r in set(results["run_id"])]
        parts = [(f"run {r} (suite {suites.get(r, '?')})", [r], results[results["run_id"] == r]) for r in order]
    sections = []
    for heading, run_ids, mine in parts:
        own_samples = samples[samples["result_id"].isin(mine["result_id"])]
        summary = summary_frame(own_samples, mine)
        ratios = gap.ratio_frame(summary, replicate_medians(own_samples))
        if ratios.empty:
            continue
        figure, source, efficiency = None, "", None
        if peak_at:
            figure, source = _peak(mine, *peak_at)
            efficiency = peak.efficiency_frame(summary, figure, mine)
        sections.append(Section(heading, run_ids, ratios, gap.fit_trees(ratios), efficiency, figure, source))
    return sections


# -- text --------------------------------------------------------------------------------------------------
def render(section: Section, width: int) -> list[str]:
    """A section as lines no wider than `width`: the ratio table, the trees, the peak table."""
    from webdlbench.analysis import gap
    from webdlbench.textout import wrap

    lines = [*wrap(section.heading, width), ""]
    lines += wrap("Browser / native time ratio: median browser ms / median native ms (train: per batch, infer: "
                  f"per sample). Interval and verdict: {gap.RATIO_TEST_METHOD} (without 2 replicates a side: "
                  "the two CIs' ratio, untested).", width)
    lines += [""] + _ratio_lines(section.ratios, width)
    if not section.trees:
        lines += [""] + wrap("No decision tree: each needs at least 2 configurations of TF.js cpu/webgl against one "
                             f"native framework; run {FILL_SUITES}.", width)
    for tree in section.trees:
        lines += [""] + _tree_lines(tree, width)
    if section.efficiency is not None:
        lines += [""] + _peak_lines(section, width)
    return lines


def _ratio_lines(ratios, width: int) -> list[str]:
    from webdlbench import comparison
    from webdlbench.analysis import gap
    from webdlbench.comparison import group_title
    from webdlbench.textout import Column, Title, interval, number, table_lines, wrap

    columns = [Column("browser", wrap=True, min_width=8), Column("ms", ">"),
               Column("native", wrap=True, min_width=10), Column("ms", ">"), Column("ratio", ">"),
               Column("95% CI", ">"), Column("verdict", wrap=True, min_width=7)]
    rows, group, fallback, imprecise, holm_only = [], None, False, False, False
    ordered = ratios.sort_values(["task", "model", "depth", "width", "batch"], kind="stable")
    for r in ordered.to_dict("records"):
        title = group_title(r)
        if title != group:
            rows.append(Title(title))
            group = title
        threads = int(r["native_threads"])
        native = f"{r['native_framework']}/{r['native_backend']}" + (f" t{threads}" if threads != 1 else "")
        if r["pairing"] == gap.PAIRING_FALLBACK:
            native, fallback = native + "†", True
        verdict = _verdict(r) + ("~" if r["precision"] else "")
        holm_only |= verdict.startswith(comparison.HOLM_ONLY)
        imprecise |= bool(r["precision"])
        rows.append([f"  {r['browser_framework']}/{r['browser_backend']}", number(r["browser_median"]), native,
                     number(r["native_median"]), number(r["ratio"]), interval(r["ratio_ci_low"], r["ratio_ci_high"]),
                     verdict])
    lines = table_lines(columns, rows, width)
    notes = ["native: one thread unless tN says N."]
    if fallback:
        notes.append("†: a browser GPU backend against native CPU (no ok native GPU result for that configuration).")
    if holm_only:
        notes.append(comparison.HOLM_NOTE)
    if imprecise:
        notes.append("~: a side's CI missed its precision target, or rests on few replicates (`--format json` says "
                     "which; raise max_replicates or precision).")
    return lines + [line for note in notes for line in wrap(note, width, "   ")]


def _verdict(row: dict) -> str:
    """The table's word for analysis/compare.py's sentence about browser against native."""
    from webdlbench import comparison

    said = row["comparison"]
    word = (comparison.SLOWER if said.startswith("browser is slower") else comparison.FASTER
            if said.startswith("browser is faster") else comparison.UNTESTED if "not tested" in said
            else comparison.SAME)
    return comparison.short_verdict(word, row["p_value"], row["p_holm"])


def _tree_lines(tree, width: int) -> list[str]:
    from webdlbench.textout import wrap

    lines = wrap(f"Decision tree of the ratio, {tree.title} (DecisionTreeRegressor, max_depth={tree.max_depth} = "
                 f"number of factors, leaves of at least {tree.min_leaf} configurations)", width)
    lines += [text if len(text) <= width else "\n".join(wrap(text, width, "        "))
              for text in tree.text.rstrip().splitlines()]
    root = f"root split: {tree.root_text}"
    if tree.resamples and tree.root is not None:
        root += f" (the same root factor in {tree.root_share:.0%} of {tree.resamples} bootstrap trees)"
    return lines + wrap(root, width, "   ") + wrap("feature importances (95% bootstrap interval): "
                                                  + importances_text(tree), width, "   ")


def importances_text(tree) -> str:
    """'backend_gpu 0.81 (0.62–0.95), task_train …', most important first."""
    ordered = sorted(tree.importances.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{k} {v:.2f}" + (" ({:.2f}–{:.2f})".format(*tree.importance_intervals[k])
                                       if k in tree.importance_intervals else "") for k, v in ordered)


def _peak_lines(section: Section, width: int) -> list[str]:
    from webdlbench.analysis import peak
    from webdlbench.comparison import group_title, option_label
    from webdlbench.textout import Column, Title, number, table_lines, wrap

    figure = section.peak
    if figure:
        per_thread = ", ".join(f"{t} thread{'s' * (t != 1)} {v:.1f}"
                               for t, v in sorted(peak.peak_by_threads(figure).items()))
        lines = wrap(f"GEMM peak, GFLOP/s: {per_thread} ({figure.get('method', '')}; {figure.get('cpu_model', '?')}, "
                     f"{figure.get('blas', '?')}; {section.peak_source})", width)
    else:
        lines = wrap(f"GEMM peak: unknown ({section.peak_source})", width)
    lines += wrap(f"FLOPs: {peak.FLOP_RULE}", width) + [""]
    columns = [Column("result", wrap=True, min_width=10), Column("ms", ">"), Column("MFLOP", ">"),
               Column("GFLOP/s", ">"), Column("of peak", ">")]
    rows, group, flags = [], None, set()
    frame = section.efficiency.sort_values(["task", "model", "depth", "width", "batch"], kind="stable")
    for r in frame.to_dict("records"):
        if group_title(r) != group:
            group = group_title(r)
            rows.append(Title(group))
        label = option_label(r) + (" t1" if r["runtime"] == "native" and r["threads"] == 1 else "")
        share = "-" if math.isnan(r["fraction_of_peak"]) else f"{r['fraction_of_peak']:.2%}"
        if r["flag"]:
            flags.add(r["flag"])
            share += "!"
        rows.append([f"  {label}", number(r["median"]), number(r["flops"] / 1e6), number(r["achieved_gflops"]),
                     share])
    lines += table_lines(columns, rows, width)
    return lines + [line for flag in sorted(flags) for line in wrap(f"!: {flag}", width, "   ")]


# -- data --------------------------------------------------------------------------------------------------
def to_json(section: Section) -> dict:
    trees = [{"title": t.title, "network": t.network, "browser_framework": t.browser_framework,
              "native_framework": t.native_framework, "configurations": t.rows, "root": t.root_text,
              "root_share": t.root_share, "resamples": t.resamples, "importances": t.importances,
              "importance_intervals": t.importance_intervals, "text": t.text} for t in section.trees]
    efficiency = None if section.efficiency is None else section.efficiency.to_dict("records")
    return {"heading": section.heading, "run_ids": section.run_ids, "ratios": section.ratios.to_dict("records"),
            "trees": trees, "peak": section.peak, "peak_source": section.peak_source, "efficiency": efficiency}


def _write_figures(sections: list[Section], folder: Path) -> list[Path]:
    from webdlbench.report.trees import tree_png

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for section in sections:
        suffix = "" if len(sections) == 1 else f"-{section.run_ids[0]}"
        for tree in section.trees:
            path = folder / f"gap-tree-{tree.network}-{tree.native_framework}{suffix}.png".lower()
            path.write_bytes(tree_png(tree))
            written.append(path)
    return written


def _peak(results, store_path: Path, cache: Path):
    """The peak recorded with the native results (most recent), else measured here and now at the
    thread counts of the store's native results."""
    from webdlbench.native import gemm_peak

    recorded = [info["gemm_peak"] for info in results.sort_values("result_id", ascending=False)["info"]
                if isinstance(info, dict) and isinstance(info.get("gemm_peak"), dict)
                and "gflops" in info["gemm_peak"]]
    if recorded:
        return recorded[0], "recorded with the native results in the store"
    threads = results[results["runtime"] == "native"]["threads"].dropna().astype(int).unique().tolist()
    try:
        return (gemm_peak.measure_peak(cache, threads=threads or (1,)),
                "measured now on this machine: the store has none")
    except Exception as exc:  # the table still shows FLOPs and GFLOP/s without it
        return None, f"measuring it failed: {exc}"
