"""The browser/native gap (paper §5.2): time ratios per matching configuration, and the decision
trees that say which factors drive them (Table 5, Figure 6). Pure functions over the summary frame
of `webdlbench.analysis.stats.summary_frame`; no I/O.

Ratio: median browser time / median native time of the same work — same model, task, depth, width,
batch and seed; train_batch_ms for training, infer_ms for inference — for every ok browser result
against every ok native result (TF.js vs TensorFlow as the paper, and vs PyTorch / ONNX Runtime).

Its interval and test (analysis/compare.py): Welch's t on the log replicate medians of the two
sides gives the ratio's 95% CI and a p-value against 1; Holm's correction across every pair of the
table decides which pairs differ, worded as tachometer does ("browser is slower by 3.1–3.4×",
"no significant difference"). A pair with fewer than two replicates on a side has no test; its
interval falls back to RATIO_CI_METHOD, [browser CI low / native CI high, browser CI high / native
CI low] from the two 95% CIs (coverage >= 0.95 x 0.95 = 0.90 when the CIs are honest), and its
`ratio_ci_method` says so.

Decision trees (Figure 6): a regression tree of the ratio on Table 5's factors, leaves of at least
MIN_LEAF configurations, and bootstrap intervals for the importances and the root split
(configurations resampled with replacement, the tree refitted each time).

Pairing of backends: the paper compared TF.js on the CPU with TensorFlow on the CPU, and TF.js on
the GPU with TensorFlow on the GPU. A browser backend is of class "cpu" (cpu, wasm) or "gpu" (webgl,
webgpu); it pairs with the native backend of its class. Where no ok native GPU result exists for a
configuration (a machine without CUDA), a GPU-class browser backend pairs with the native CPU
result instead, and the row's `pairing` says so — the figure is then "browser GPU backend vs native
CPU", which is what such a machine can offer.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from webdlbench.analysis import compare
from webdlbench.models.kinds import KINDS, TREE_NETWORKS
from webdlbench.spec import HEADLINE, HIGHER_IS_BETTER

# The network type each model belongs to (Table 5's rows), from the model kind (models/kinds.py).
NETWORK_TYPES = {name: kind.network for name, kind in KINDS.items()}
BACKEND_CLASS = {"cpu": "cpu", "wasm": "cpu", "webgl": "gpu", "webgpu": "gpu", "gpu": "gpu"}
# Configuration keys that must match for two results to be the same work.
MATCH_KEYS = ["model", "task", "depth", "width", "batch", "seed"]
# The tree's factors (Table 5): backend class, task type, depth, width.
FACTORS = ["backend_gpu", "task_train", "depth", "width"]
# The paper's browser backends: TF.js's CPU backend (plain JS) and its GPU backend (WebGL).
PAPER_BROWSER_BACKENDS = ("cpu", "webgl")
PAIRING_SAME = "same class"
PAIRING_FALLBACK = "browser gpu vs native cpu (no native gpu result)"
RATIO_CI_METHOD = ("[browser ci_low / native ci_high, browser ci_high / native ci_low] from the two 95% "
                   "median CIs; coverage >= 0.95^2 = 0.90")
RATIO_TEST_METHOD = f"{compare.METHOD_TWO}, 95% CI; {compare.HOLM} across the table"
TREE_RANDOM_STATE = 0  # ties between equally good splits are broken the same way every run
MIN_LEAF = 5           # no leaf stands on fewer configurations: a one-sample leaf fits noise
TREE_RESAMPLES = 200   # bootstrap refits for the importances' intervals

RATIO_COLUMNS = [
    "network", "model", "task", "depth", "width", "batch", "seed", "metric",
    "browser_framework", "browser_backend", "backend_class", "native_framework", "native_backend",
    "native_threads", "pairing", "browser_median", "browser_ci_low", "browser_ci_high", "browser_n",
    "native_median", "native_ci_low", "native_ci_high", "native_n", "browser_replicates", "native_replicates",
    "ratio", "ratio_ci_low", "ratio_ci_high", "ratio_ci_method", "p_value", "p_holm", "comparison", "precision",
]


def _headline_rows(summary: pd.DataFrame, runtime: str) -> pd.DataFrame:
    # Times only: a throughput headline (RQ4's generate, tok/s) has its own ratios (analysis/today.py).
    rows = summary[(summary["runtime"] == runtime) & (summary["outcome"] == "ok") & (summary["n"] > 0)
                   & (summary["metric"] == summary["task"].map(HEADLINE)) & ~summary["metric"].isin(HIGHER_IS_BETTER)]
    return rows.copy()


def ratio_frame(summary: pd.DataFrame, replicates: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (ok browser result, ok native result) of the same work: the time ratio, its
    interval and test (see the module's docstring for the method and the pairing of backends).
    `replicates`: the replicate medians behind `summary` (compare.replicate_medians); without
    them no pair is tested."""
    browser = _headline_rows(summary, "browser")
    native = _headline_rows(summary, "native")
    if browser.empty or native.empty:
        return pd.DataFrame(columns=RATIO_COLUMNS)
    browser["backend_class"] = browser["backend"].map(BACKEND_CLASS).fillna("cpu")
    native["backend_class"] = native["backend"].map(BACKEND_CLASS).fillna("cpu")
    merged = browser.merge(native, on=MATCH_KEYS + ["metric"], suffixes=("_b", "_n"))
    if merged.empty:
        return pd.DataFrame(columns=RATIO_COLUMNS)
    # Which native frameworks have an ok GPU result for a configuration (for the fallback rule).
    native_gpu = {tuple(r) for r in native[native["backend_class"] == "gpu"][[*MATCH_KEYS, "framework"]]
                  .itertuples(index=False)}
    lookup = compare.Replicates(replicates)
    rows, estimates = [], []
    for r in merged.to_dict("records"):
        same = r["backend_class_b"] == r["backend_class_n"]
        key = (*[r[k] for k in MATCH_KEYS], r["framework_n"])
        fallback = r["backend_class_b"] == "gpu" and r["backend_class_n"] == "cpu" and key not in native_gpu
        if not (same or fallback):
            continue
        estimates.append(compare.ratio_test(lookup.values(r.get("spec_hash_b"), r["metric"]),
                                            lookup.values(r.get("spec_hash_n"), r["metric"])))
        rows.append({
            "network": NETWORK_TYPES.get(r["model"], r["model"]), **{k: r[k] for k in MATCH_KEYS},
            "metric": r["metric"], "browser_framework": r["framework_b"], "browser_backend": r["backend_b"],
            "backend_class": r["backend_class_b"], "native_framework": r["framework_n"],
            "native_backend": r["backend_n"], "native_threads": r["threads_n"],
            "pairing": PAIRING_SAME if same else PAIRING_FALLBACK,
            "browser_median": r["median_b"], "browser_ci_low": r["ci_low_b"], "browser_ci_high": r["ci_high_b"],
            "browser_n": r["n_b"], "native_median": r["median_n"], "native_ci_low": r["ci_low_n"],
            "native_ci_high": r["ci_high_n"], "native_n": r["n_n"],
            "browser_replicates": lookup.count(r.get("spec_hash_b"), r["metric"]),
            "native_replicates": lookup.count(r.get("spec_hash_n"), r["metric"]),
            **ratio_with_interval(r["median_b"], r["ci_low_b"], r["ci_high_b"],
                                  r["median_n"], r["ci_low_n"], r["ci_high_n"]),
            "precision": _pair_precision(_side(r, "_b"), _side(r, "_n")),
        })
    for row, decision in zip(rows, compare.decide(estimates, 1.0)):
        row.update(p_value=decision.p_value, p_holm=decision.p_holm,
                   comparison=compare.faster_wording(decision, "browser", "native"))
        if decision.tested:
            row["ratio_ci_low"], row["ratio_ci_high"] = decision.interval()
            row["ratio_ci_method"] = RATIO_TEST_METHOD
        else:
            row["ratio_ci_method"] = RATIO_CI_METHOD + " (no test: fewer than 2 replicates on a side)"
    frame = pd.DataFrame(rows, columns=RATIO_COLUMNS)
    frame["_reference"] = frame["native_framework"] != "tensorflow"  # the paper's reference first
    order = ["network", "_reference", "native_framework", "browser_framework", "backend_class", "browser_backend",
             "task", "depth", "width", "native_threads"]
    return frame.sort_values(order, kind="stable").drop(columns="_reference").reset_index(drop=True)


def _pair_precision(browser: dict, native: dict) -> str:
    """Both sides' precision notes, the remedy named once."""
    notes = [compare.precision_note(row, who, remedy=False) for row, who in ((browser, "browser"), (native, "native"))]
    text = "; ".join(filter(None, notes))
    return text + (f" ({compare.REMEDY})" if "not met" in text else "")


def _side(merged: dict, suffix: str) -> dict:
    """One side's summary fields of a merged pair, without the suffix."""
    return {k[:-len(suffix)]: v for k, v in merged.items() if k.endswith(suffix)}


def ratio_with_interval(b_median, b_low, b_high, n_median, n_low, n_high) -> dict:
    """The ratio of medians and its interval from the two CIs (RATIO_CI_METHOD); NaN where undefined."""
    def divide(a, b):
        return float(a) / float(b) if b and b > 0 and np.isfinite(b) else float("nan")
    return {"ratio": divide(b_median, n_median), "ratio_ci_low": divide(b_low, n_high),
            "ratio_ci_high": divide(b_high, n_low)}


# -- decision trees ---------------------------------------------------------------------------------------
@dataclass
class GapTree:
    """A fitted tree of the ratio on the factors, for one network type and one native framework, with
    its root split and bootstrap intervals for the importances and the root."""

    network: str
    browser_framework: str
    native_framework: str
    browser_backends: tuple[str, ...]
    rows: int
    factors: list[str]
    text: str
    importances: dict[str, float]
    max_depth: int
    fallback_rows: int = 0  # GPU-class browser rows paired with native CPU (no native GPU result)
    root: tuple[str, float] | None = None   # (factor, threshold) of the first split; None: no split
    importance_intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    root_share: float = float("nan")        # share of bootstrap trees whose root splits on the same factor
    resamples: int = 0
    min_leaf: int = MIN_LEAF
    model: object = field(repr=False, default=None)
    data: pd.DataFrame = field(repr=False, default=None)

    @property
    def title(self) -> str:
        title = (f"{self.network}: {self.browser_framework} ({'/'.join(self.browser_backends)}) "
                 f"over {self.native_framework}, {self.rows} configurations")
        if self.fallback_rows:
            title += f"; {self.fallback_rows} GPU-backend rows against native CPU (no native GPU result)"
        return title

    @property
    def root_text(self) -> str:
        """'backend_gpu <= 0.5' or why there is no split."""
        if self.root is None:
            return (f"no split (leaves need {self.min_leaf} configurations each; {self.rows} fitted)"
                    if self.rows < 2 * self.min_leaf else "no split (one value of every factor)")
        return f"{self.root[0]} <= {self.root[1]:g}"


def factor_frame(ratios: pd.DataFrame) -> pd.DataFrame:
    """The factors of Table 5 as numbers: backend_gpu (0 CPU, 1 GPU), task_train (0 infer, 1 train),
    depth, width; plus the target `ratio`."""
    return pd.DataFrame({
        "backend_gpu": (ratios["backend_class"] == "gpu").astype(int),
        "task_train": (ratios["task"] == "train").astype(int),
        "depth": ratios["depth"].astype(int),
        "width": ratios["width"].astype(int),
        "ratio": ratios["ratio"].astype(float),
    }).reset_index(drop=True)


def tree_rows(ratios: pd.DataFrame, network: str, native_framework: str, browser_framework: str = "tfjs",
              browser_backends=PAPER_BROWSER_BACKENDS, native_threads: int | None = None) -> pd.DataFrame:
    """The ratio rows one tree is fitted on: one network type, one browser and one native framework,
    the paper's browser backends, and one native thread count (the smallest present by default)."""
    rows = ratios[(ratios["network"] == network) & (ratios["native_framework"] == native_framework)
                  & (ratios["browser_framework"] == browser_framework)
                  & (ratios["browser_backend"].isin(list(browser_backends))) & ratios["ratio"].notna()]
    if rows.empty:
        return rows
    threads = native_threads if native_threads is not None else rows["native_threads"].min()
    return rows[rows["native_threads"] == threads]


def _regressor(min_leaf: int):
    from sklearn.tree import DecisionTreeRegressor

    return DecisionTreeRegressor(max_depth=len(FACTORS), min_samples_leaf=min_leaf, random_state=TREE_RANDOM_STATE)


def root_split(model) -> tuple[str, float] | None:
    """(factor, threshold) of a fitted tree's first split; None when the tree is one leaf."""
    tree = model.tree_
    if tree.node_count < 2 or tree.feature[0] < 0:
        return None
    return FACTORS[int(tree.feature[0])], float(tree.threshold[0])


def fit_tree(rows: pd.DataFrame, network: str = "", native_framework: str = "", browser_framework: str = "tfjs",
             browser_backends=PAPER_BROWSER_BACKENDS, min_leaf: int = MIN_LEAF,
             resamples: int = TREE_RESAMPLES) -> GapTree:
    """A DecisionTreeRegressor of the ratio on the four factors: max_depth = number of factors (the
    paper: so that no factor is used twice on a path), leaves of at least `min_leaf` configurations,
    squared-error splits, fixed random state; and `resamples` bootstrap refits for the intervals."""
    from sklearn.tree import export_text

    if len(rows) < 2:
        raise ValueError(f"a tree needs at least 2 configurations, got {len(rows)}")
    data = factor_frame(rows)
    x, y = data[FACTORS].to_numpy(dtype=float), data["ratio"].to_numpy()
    model = _regressor(min_leaf).fit(x, y)
    importances = dict(zip(FACTORS, (float(v) for v in model.feature_importances_)))
    root = root_split(model)
    intervals, share = _bootstrap(x, y, min_leaf, resamples, root)
    text = export_text(model, feature_names=FACTORS, decimals=2, show_weights=True)
    return GapTree(network=network or str(rows["network"].iloc[0]), browser_framework=browser_framework,
                   native_framework=native_framework or str(rows["native_framework"].iloc[0]),
                   browser_backends=tuple(browser_backends), rows=len(rows), factors=list(FACTORS), text=text,
                   importances=importances, max_depth=len(FACTORS),
                   fallback_rows=int((rows["pairing"] == PAIRING_FALLBACK).sum()), root=root,
                   importance_intervals=intervals, root_share=share, resamples=resamples, min_leaf=min_leaf,
                   model=model, data=data)


def _bootstrap(x: np.ndarray, y: np.ndarray, min_leaf: int, resamples: int,
               root: tuple[str, float] | None) -> tuple[dict[str, tuple[float, float]], float]:
    """95% percentile intervals of the importances, and the share of refits whose root splits on
    the fitted root's factor, over trees refitted on configurations resampled with replacement."""
    rng = np.random.default_rng(compare.BOOTSTRAP_SEED)
    draws, same_root = [], 0
    for _ in range(resamples):
        pick = rng.integers(0, len(y), len(y))
        refit = _regressor(min_leaf).fit(x[pick], y[pick])
        draws.append(refit.feature_importances_)
        drawn_root = root_split(refit)
        same_root += (drawn_root[0] if drawn_root else None) == (root[0] if root else None)
    if not draws:
        return {}, float("nan")
    draws = np.array(draws)
    return ({factor: compare.percentile_interval(draws[:, i]) for i, factor in enumerate(FACTORS)},
            same_root / len(draws))


def fit_trees(ratios: pd.DataFrame, browser_framework: str = "tfjs",
              browser_backends=PAPER_BROWSER_BACKENDS) -> list[GapTree]:
    """One tree per (network type, native framework) with at least two configurations; TensorFlow
    (the paper's reference) first."""
    trees = []
    if ratios.empty:
        return trees
    natives = sorted(ratios["native_framework"].unique(), key=lambda n: (n != "tensorflow", n))
    for network in sorted(n for n in ratios["network"].unique() if n in TREE_NETWORKS):
        for native in natives:
            rows = tree_rows(ratios, network, native, browser_framework, browser_backends)
            if len(rows) >= 2:
                trees.append(fit_tree(rows, network, native, browser_framework, browser_backends))
    return trees
