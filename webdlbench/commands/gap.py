"""`webdlbench gap`: the browser/native time ratios, the decision trees of the ratio on the paper's
factors (§5.2, Table 5, Figure 6), and how close each result came to the machine's GEMM peak."""
from __future__ import annotations

import math
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


def run(args) -> int:
    import pandas as pd

    from webdlbench.analysis import gap, peak
    from webdlbench.analysis.compare import replicate_medians
    from webdlbench.analysis.stats import summary_frame
    from webdlbench.report.trees import tree_png
    from webdlbench.store import Store

    store_path = Path(args.store)
    with Store.open(store_path, create=False) as store:
        results, samples, _ = store.frames()
    summary = summary_frame(samples, results)
    ratios = gap.ratio_frame(summary, replicate_medians(samples))
    if ratios.empty:
        raise UserError(f"{store_path} has no browser+native pairs of the same work: run "
                        f"`webdlbench run gap-quick --store {store_path}` first (or any of: {FILL_SUITES})")

    with pd.option_context("display.width", 250, "display.max_columns", 40, "display.max_rows", 10000):
        print("Browser / native time ratio (median browser ms / median native ms; train: per batch, "
              "infer: per sample)")
        print(f"interval and test: {gap.RATIO_TEST_METHOD} (without 2 replicates a side: {gap.RATIO_CI_METHOD})")
        print(_ratio_table(ratios).to_string(index=False))
        fallback = ratios[ratios["pairing"] == gap.PAIRING_FALLBACK]
        if not fallback.empty:
            print(f"note: {len(fallback)} row(s) pair a browser GPU backend with a native CPU result: "
                  "no ok native GPU result for those configurations")
        trees = gap.fit_trees(ratios)
        print()
        if not trees:
            print("no decision tree: each needs at least 2 configurations of TF.js cpu/webgl against one "
                  f"native framework; run {FILL_SUITES}")
        for tree in trees:
            print(f"Decision tree of the ratio, {tree.title} (DecisionTreeRegressor, max_depth={tree.max_depth} = "
                  f"number of factors, leaves of at least {tree.min_leaf} configurations)")
            print(tree.text.rstrip())
            print(f"root split: {tree.root_text}" + (f" (the same root factor in {tree.root_share:.0%} of "
                                                      f"{tree.resamples} bootstrap trees)" if tree.resamples else ""))
            print("feature importances (95% bootstrap interval): " + importances_text(tree))
            print()
        if args.figures:
            folder = Path(args.figures)
            folder.mkdir(parents=True, exist_ok=True)
            for tree in trees:
                path = folder / f"gap-tree-{tree.network}-{tree.native_framework}.png".lower()
                path.write_bytes(tree_png(tree))
                print(f"wrote {path}")
        if not args.no_peak:
            figure, source = _peak(results, store_path)
            efficiency = peak.efficiency_frame(summary, figure, results)
            print()
            if figure:
                per_thread = ", ".join(f"{t} thread{'s' * (t != 1)} {v:.1f}"
                                       for t, v in sorted(peak.peak_by_threads(figure).items()))
                print(f"GEMM peak, GFLOP/s: {per_thread} ({figure.get('method', '')}; "
                      f"{figure.get('cpu_model', '?')}, {figure.get('blas', '?')}; {source})")
            else:
                print(f"GEMM peak: unknown ({source})")
            print(f"FLOPs: {peak.FLOP_RULE}")
            print(_efficiency_table(efficiency).to_string(index=False))
    return 0


def importances_text(tree) -> str:
    """'backend_gpu 0.81 (0.62–0.95), task_train …', most important first."""
    ordered = sorted(tree.importances.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{k} {v:.2f}" + (" ({:.2f}–{:.2f})".format(*tree.importance_intervals[k])
                                       if k in tree.importance_intervals else "") for k, v in ordered)


def _config(frame):
    """depth x width; a Keras application (one architecture) by its name and input side instead."""
    return [f"{m.split(':', 1)[1]} {w}px" if str(m).startswith("keras:") else f"{d}x{w}"
            for m, d, w in zip(frame["model"], frame["depth"], frame["width"])]


def _ratio_table(ratios):
    table = ratios.assign(
        config=_config(ratios),
        browser=ratios["browser_framework"] + "/" + ratios["browser_backend"],
        native=(ratios["native_framework"] + "/" + ratios["native_backend"] + " t"
                + ratios["native_threads"].astype(str)),
        browser_ms=ratios["browser_median"].map(_ms),
        native_ms=ratios["native_median"].map(_ms),
        ratio_=ratios["ratio"].map(lambda v: f"{v:.3g}"),
        interval=[f"[{lo:.3g}, {hi:.3g}]" for lo, hi in zip(ratios["ratio_ci_low"], ratios["ratio_ci_high"])],
        replicates=ratios["browser_replicates"].astype(str) + "/" + ratios["native_replicates"].astype(str),
    )
    table["fallback"] = ratios["pairing"].map(lambda p: "" if p == "same class" else "gpu-vs-cpu")
    columns = ["network", "task", "config", "batch", "browser", "native", "browser_ms", "native_ms", "ratio_",
               "interval", "replicates", "comparison", "precision", "fallback"]
    return table[columns].rename(columns={"ratio_": "ratio"})


def _efficiency_table(frame):
    return frame.assign(
        runtime_fw=frame["runtime"] + ":" + frame["framework"] + "/" + frame["backend"],
        config=_config(frame),
        median_ms=frame["median"].map(_ms),
        gflop=(frame["flops"] / 1e9).map(lambda v: f"{v:.4g}"),
        gflops=frame["achieved_gflops"].map(lambda v: f"{v:.3g}"),
        of_peak=frame["fraction_of_peak"].map(lambda v: "-" if math.isnan(v) else f"{v:.2%}"),
    )[["runtime_fw", "task", "config", "batch", "threads", "median_ms", "gflop", "gflops", "of_peak", "flag"]].rename(
        columns={"runtime_fw": "result", "gflop": "GFLOP", "gflops": "GFLOP/s", "of_peak": "of peak"})


def _ms(value) -> str:
    return f"{value:.3g}"


def _peak(results, store_path: Path):
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
        return (gemm_peak.measure_peak(store_path.parent / "cache", threads=threads or (1,)),
                "measured now on this machine: the store has none")
    except Exception as exc:  # the table still shows FLOPs and GFLOP/s without it
        return None, f"measuring it failed: {exc}"
