"""Figures for the report: medians with 95% CI error bars per configuration, as PNG bytes.

Uses matplotlib's object API on the Agg canvas (no pyplot), so drawing has no global state and
needs no display.
"""
from __future__ import annotations

import base64
import io

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter

# Okabe–Ito: distinguishable with every common colour-vision deficiency; yellow last (low contrast).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"]
# A second cue besides colour, so series stay apart in greyscale prints.
MARKERS = ["o", "s", "D", "^", "v", "P", "X", "<"]
DODGE_SPAN = 0.5  # x-axis units shared by the series at one configuration, so error bars do not overlap


def series_figure(points: pd.DataFrame, *, title: str, ylabel: str, log_y: bool) -> bytes:
    """Median with error bars (ci_low..ci_high) per configuration x, one series per `series` value.

    points: columns series, x (label), x_order (sort key), group (lines join points of one group
    only, e.g. one depth), median, ci_low, ci_high.
    """
    configs = points.drop_duplicates("x").sort_values("x_order")[["x", "group"]]
    position = {x: i for i, x in enumerate(configs["x"])}
    series = list(dict.fromkeys(points["series"]))
    step = DODGE_SPAN / max(len(series), 1)
    fig = Figure(figsize=(8.5, 4.5), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    for i, name in enumerate(series):
        style = dict(color=PALETTE[i % len(PALETTE)], marker=MARKERS[i % len(MARKERS)], markersize=5,
                     linewidth=1.2, capsize=3)
        offset = (i - (len(series) - 1) / 2) * step
        mine = points[points["series"] == name]
        for j, (_, data) in enumerate(mine.sort_values("x_order").groupby("group", sort=False)):
            yerr = [data["median"] - data["ci_low"], data["ci_high"] - data["median"]]
            ax.errorbar([position[x] + offset for x in data["x"]], data["median"], yerr=yerr,
                        label=name if j == 0 else None, **style)
    for boundary, (before, after) in enumerate(zip(configs["group"], configs["group"][1:]), start=1):
        if before != after:  # a thin rule where a new group (depth) starts
            ax.axvline(boundary - 0.5, color="#bbbbbb", linewidth=0.6)
    ax.set_xticks(range(len(position)), list(position))
    ax.set_xlabel("model: hidden layers × neurons per layer")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if log_y:
        ax.set_yscale("log")
        # Plain numbers (20, not 2×10¹); minor ticks labelled only when the axis spans little.
        ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=False))
        ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.5)))
    ax.grid(True, which="major", axis="y", color="#dddddd", linewidth=0.6)
    fig.legend(loc="outside right upper", fontsize="small", frameon=False)
    buffer = io.BytesIO()
    # No Software/date metadata, so the same data draws the same bytes.
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    """The PNG as a data: URI, so the HTML report needs no files beside it."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
