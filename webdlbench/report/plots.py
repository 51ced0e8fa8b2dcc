"""Figures for the report: medians with 95% CI error bars per configuration, as PNG bytes.

Uses matplotlib's object API on the Agg canvas (no pyplot), so drawing has no global state and
needs no display.
"""
from __future__ import annotations

import base64
import io
import math

import pandas as pd
from matplotlib.figure import Figure
from PIL import Image
from matplotlib.ticker import FuncFormatter, NullFormatter
from matplotlib.transforms import blended_transform_factory

# Okabe–Ito: distinguishable with every common colour-vision deficiency; yellow last (low contrast).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"]
# A second cue besides colour, so series stay apart in greyscale prints.
MARKERS = ["o", "s", "D", "^", "v", "P", "X", "<"]
# A third cue for bars (patterns), for the same reason.
HATCHES = ["", "//", "..", "xx", "\\\\", "--", "oo", "++"]
LINESTYLES = ["-", "--", ":", "-."]
PNG_COLOURS = 128
DODGE_SPAN = 0.5  # x-axis units shared by the series at one configuration, so error bars do not overlap


def series_figure(points: pd.DataFrame, *, title: str, ylabel: str, log_y: bool,
                  xlabel: str = "model: hidden layers × neurons per layer") -> bytes:
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
                     linewidth=1.2, capsize=3, **_repeat_style(i))
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
    ax.set_xlabel(xlabel)
    return _finish(fig, ax, title, ylabel, log_y)


def bar_figure(points: pd.DataFrame, *, title: str, ylabel: str, log_y: bool, xlabel: str,
               failed: pd.DataFrame | None = None) -> bytes:
    """Grouped bars: one group per x (e.g. a pre-trained model), one bar per series, each the
    median with its CI as an error bar. points: series, x, median, ci_low, ci_high. `failed`
    (series, x): runs that gave no time, marked with a cross and "failed" where their bar would be."""
    failed = failed if failed is not None else pd.DataFrame(columns=["series", "x"])
    xs = list(dict.fromkeys([*points["x"], *failed["x"]]))
    series = list(dict.fromkeys([*points["series"], *failed["series"]]))
    width = 0.8 / max(len(series), 1)
    # Wider for many groups, so that each group's bars stay readable (eleven Keras models, 5 series).
    fig = Figure(figsize=(max(8.5, 1.1 * len(xs) + 3), 4.8), dpi=100, layout="constrained")
    ax = fig.add_subplot()

    def position(x, name):
        return xs.index(x) + (series.index(name) - (len(series) - 1) / 2) * width
    for i, name in enumerate(series):
        mine = points[points["series"] == name]
        ax.bar([position(x, name) for x in mine["x"]], mine["median"], width=width * 0.92,
               color=PALETTE[i % len(PALETTE)], hatch=HATCHES[(i + i // len(PALETTE)) % len(HATCHES)],
               edgecolor="white", label=name,
               yerr=[mine["median"] - mine["ci_low"], mine["ci_high"] - mine["median"]], capsize=2,
               error_kw={"elinewidth": 0.8, "ecolor": "#333333"})
    if len(failed):
        # At the foot of the axis, in the series' colour: a failure is marked, not a silent gap.
        foot = blended_transform_factory(ax.transData, ax.transAxes)
        for name, x in zip(failed["series"], failed["x"]):
            colour = PALETTE[series.index(name) % len(PALETTE)]
            ax.plot([position(x, name)], [0.03], marker="X", markersize=8, color=colour, markeredgecolor="black",
                    markeredgewidth=0.5, transform=foot, clip_on=False)
            ax.text(position(x, name), 0.08, "failed", rotation=90, ha="center", va="bottom", fontsize=7,
                    color="#333333", transform=foot)
        ax.plot([], [], linestyle="none", marker="X", color="#999999", markeredgecolor="black", markeredgewidth=0.5,
                label="failed: no time (Table 4 says why)")
    long_labels = sum(len(str(x)) for x in xs) > 90
    ax.set_xticks(range(len(xs)), xs, rotation=30 if long_labels else 0, ha="right" if long_labels else "center")
    ax.set_xlabel(xlabel)
    if log_y and len(points):  # bars start and end at round decades around every interval
        ax.set_ylim(bottom=10 ** math.floor(math.log10(float(points["ci_low"].min()))),
                    top=10 ** math.ceil(math.log10(float(points["ci_high"].max()) * 1.05)))
    return _finish(fig, ax, title, ylabel, log_y and len(points) > 0)


def _repeat_style(i: int) -> dict:
    """Past the palette's eight series, colours and markers repeat: a dashed or dotted line and hollow
    markers keep the repeats apart."""
    cycle = i // len(PALETTE)
    if cycle == 0:
        return {}
    return {"linestyle": LINESTYLES[cycle % len(LINESTYLES)], "markerfacecolor": "white"}


def compact_png(png: bytes) -> bytes:
    """The PNG in at most 128 colours (a quarter of the bytes; plots have few colours), the same
    bytes for the same input."""
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=PNG_COLOURS, method=Image.Quantize.MEDIANCUT)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _finish(fig, ax, title: str, ylabel: str, log_y: bool) -> bytes:
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if log_y:
        ax.set_yscale("log")
        # Plain numbers (0.01, 20; not 1e-02 or 2×10¹); minor ticks labelled only when the axis spans
        # less than two decades, where the major ones alone would be too few to read a value.
        plain = FuncFormatter(lambda value, _: f"{value:g}")
        ax.yaxis.set_major_formatter(plain)
        low, high = ax.get_ylim()
        ax.yaxis.set_minor_formatter(plain if high / low < 100 else NullFormatter())
    ax.grid(True, which="major", axis="y", color="#dddddd", linewidth=0.6)
    fig.legend(loc="outside right upper", fontsize="small", frameon=False)
    buffer = io.BytesIO()
    # No Software/date metadata, so the same data draws the same bytes.
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return compact_png(buffer.getvalue())


def data_uri(png: bytes) -> str:
    """The PNG as a data: URI, so the HTML report needs no files beside it."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
