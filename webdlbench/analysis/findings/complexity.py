"""Finding 2 (width dominates the performance variation): time regressed on FLOPs plus a per-layer
term, so that depth is asked what it costs beyond its FLOPs, with bootstrap intervals."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from webdlbench.analysis import compare
from webdlbench.analysis.findings.base import (HOLDS, NOT_TESTED, Evidence, Finding, FindingData, Part,
                                               counted, finding, fmt, headline, tally)
from webdlbench.analysis.findings.rules import BOOTSTRAP_RESAMPLES, MIN_FIT_CONFIGURATIONS
from webdlbench.analysis.peak import TRAIN_FORWARD_MULTIPLE
from webdlbench.models.mlp import CLASSES, INPUTS


def mlp_flops(task: str, depth: float, width: float, batch: int) -> float:
    """FLOPs of one headline sample of the MLP (analysis/peak.py's rule), for any real depth, so
    that the fitted model can be read between grid points."""
    forward = 2.0 * (INPUTS * width + (depth - 1) * width * width + width * CLASSES)
    return forward * (TRAIN_FORWARD_MULTIPLE * batch if task == "train" else 1)


def fit_time(depth, width, time, task: str, batch: int) -> np.ndarray | None:
    """(fixed ms, ms per MFLOP, ms per layer) of time = a + b·MFLOPs + c·depth, least squares on
    relative residuals (every model weighs alike, whatever its time); None when degenerate."""
    depth, width, time = (np.asarray(v, dtype=float) for v in (depth, width, time))
    if len(time) < 3 or (time <= 0).any():
        return None
    mflops = np.array([mlp_flops(task, d, w, batch) for d, w in zip(depth, width)]) / 1e6
    design = np.column_stack([np.ones(len(time)), mflops, depth]) / time[:, None]
    if np.linalg.matrix_rank(design) < 3:
        return None
    coef, *_ = np.linalg.lstsq(design, np.ones(len(time)), rcond=None)
    return coef


def doubling_growth(coef: np.ndarray, task: str, batch: int, depth: float, width: float) -> tuple[float, float]:
    """(time factor when width doubles, when depth doubles) at (depth, width), from the fit."""
    def predict(d, w):
        return coef[0] + coef[1] * mlp_flops(task, d, w, batch) / 1e6 + coef[2] * d
    base = predict(depth, width)
    if base <= 0:
        return float("nan"), float("nan")
    grown_w, grown_d = predict(depth, 2 * width), predict(2 * depth, width)
    if grown_w <= 0 or grown_d <= 0:
        return float("nan"), float("nan")
    return grown_w / base, grown_d / base


def series_fit(points: pd.DataFrame, replicates: compare.Replicates, task: str) -> dict | None:
    """The fit of one series (rows of one framework/backend/batch) with bootstrap intervals: the
    configurations are resampled with replacement, and each drawn configuration's centre from a
    resample of its replicate medians (hierarchical bootstrap)."""
    if len(points) < MIN_FIT_CONFIGURATIONS or points["depth"].nunique() < 2 or points["width"].nunique() < 2:
        return None
    batch = int(points["batch"].iloc[0])
    depth, width = points["depth"].to_numpy(float), points["width"].to_numpy(float)
    centre_depth = math.sqrt(depth.min() * depth.max())
    centre_width = math.sqrt(width.min() * width.max())
    time = points["median"].to_numpy(float)
    coef = fit_time(depth, width, time, task, batch)
    if coef is None:
        return None
    sets = [replicates.values(h, m) for h, m in zip(points["spec_hash"], points["metric"])]
    rng = np.random.default_rng(compare.BOOTSTRAP_SEED)
    draws = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        pick = rng.integers(0, len(points), len(points))
        times = [compare.resampled_geometric_mean(rng, sets[i], time[i]) for i in pick]
        drawn = fit_time(depth[pick], width[pick], times, task, batch)
        if drawn is None:
            continue
        grow_w, grow_d = doubling_growth(drawn, task, batch, centre_depth, centre_width)
        draws.append((math.log(grow_w / grow_d) if grow_w > 0 and grow_d > 0 else math.nan,
                      grow_w, grow_d, drawn[2]))
    draws = np.array(draws, dtype=float).reshape(-1, 4)
    grow_w, grow_d = doubling_growth(coef, task, batch, centre_depth, centre_width)
    return {"coef": coef, "width_growth": grow_w, "depth_growth": grow_d, "centre": (centre_depth, centre_width),
            "points": len(points), "draws": len(draws), "p": compare.bootstrap_p(draws[:, 0], 0.0),
            "log_ratio": compare.percentile_interval(draws[:, 0]),
            "width_ci": compare.percentile_interval(draws[:, 1]),
            "depth_ci": compare.percentile_interval(draws[:, 2]),
            "per_layer_ci": compare.percentile_interval(draws[:, 3]),
            "replicates": min((len(s) for s in sets), default=0)}


def judge_model_complexity(data: FindingData) -> Finding:
    rows = headline(data.summary)
    rows = rows[(rows["runtime"] == "browser") & (rows["model"] == "mlp")]
    parts, evidence = [], []
    for task, link, name in (("train", "fig1", "Training"), ("infer", "fig4", "Inference")):
        fits = []
        for (framework, backend, _), points in rows[rows["task"] == task].groupby(["framework", "backend", "batch"]):
            fit = series_fit(points, data.lookup, task)
            if fit is not None:
                fits.append((f"{framework}/{backend}", fit))
        if not fits:
            parts.append(Part(NOT_TESTED, f"{name}: no series with at least {MIN_FIT_CONFIGURATIONS} models over two "
                                          "depths and two widths."))
            continue
        adjusted = compare.holm([fit["p"] for _, fit in fits])
        width_wins, depth_wins = [], []
        for (series, fit), p in zip(fits, adjusted):
            if p < compare.ALPHA:
                (width_wins if fit["width_growth"] > fit["depth_growth"] else depth_wins).append(series)
            evidence.append(Evidence(f"{name.lower()}, {series}: {_fit_text(fit)}; Holm-adjusted p = {fmt(p)}", link))
        verdict = tally(len(width_wins), len(depth_wins), len(fits))
        text = counted(len(width_wins), len(depth_wins), len(fits), "series grow faster with width",
                       "with depth (beyond its FLOPs or through them)")
        parts.append(Part(verdict, f"{name}: {text}" + (f"; depth dominates for {', '.join(depth_wins)}"
                                                         if depth_wins and verdict != HOLDS else "") + "."))
    return finding(2, parts, evidence)


def _fit_text(fit: dict) -> str:
    depth, width = fit["centre"]
    wl, wh = fit["width_ci"]
    dl, dh = fit["depth_ci"]
    gl, gh = fit["per_layer_ci"]
    coef = fit["coef"]
    return (f"per doubling at {depth:.3g}×{width:.3g}: width ×{fmt(fit['width_growth'])} "
            f"(95% CI {fmt(wl)}–{fmt(wh)}), depth ×{fmt(fit['depth_growth'])} ({fmt(dl)}–{fmt(dh)}); time = {fmt(coef[0])} ms + "
            f"{fmt(coef[1])} ms/MFLOP + {fmt(coef[2])} ms per layer beyond its FLOPs (95% CI {fmt(gl)}–{fmt(gh)}); "
            f"{fit['points']} models, " + (f"≥ {fit['replicates']} replicates each" if fit["replicates"] >= 2 else
                                           "one centre per model (no replicate medians: models resampled only)")
            + f", {fit['draws']} bootstrap fits")
