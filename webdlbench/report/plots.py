"""Figures for the report: medians with 95% CI error bars per configuration, as PNG bytes. Line
figures draw one titled panel per group (e.g. per depth) and at most eight series per panel, each
with its own colour and marker; more series go to further rows sharing the y axis.

Uses matplotlib's object API on the Agg canvas (no pyplot), so drawing has no global state and
needs no display.
"""
from __future__ import annotations

import base64
import io
import math

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image
from matplotlib.ticker import FuncFormatter, NullFormatter
from matplotlib.transforms import blended_transform_factory

# Okabe–Ito: distinguishable with every common colour-vision deficiency; grey in place of its
# yellow, which is too faint as a line on white.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#888888"]
# A second cue besides colour, so series stay apart in greyscale prints.
MARKERS = ["o", "s", "D", "^", "v", "P", "X", "<"]
# A third cue for bars (patterns), for the same reason.
HATCHES = ["", "//", "..", "xx", "\\\\", "--", "oo", "++"]
PNG_COLOURS = 128
DODGE_SPAN = 0.5  # x-axis units shared by the series at one configuration, so error bars do not overlap
# At most this many series share a panel (one colour and one marker each); more go to further rows.
MAX_SERIES = len(PALETTE)
FIGURE_WIDTH_IN = 9.6    # 960 px at 100 dpi: the report's text column beside the contents, so no figure is scaled down
LEGEND_WIDTH_IN = 2.6    # room the legend of a row takes at the right
ROW_HEIGHT_IN = 2.9
TICK_FONT_PT = 8
CHAR_WIDTH_IN = 0.6 * 10 / 72  # an average glyph of matplotlib's default 10 pt sans: 0.6 em


def series_figure(points: pd.DataFrame, *, title: str, ylabel: str, log_y: bool,
                  xlabel: str = "model: hidden layers × neurons per layer") -> bytes:
    """Median with error bars (ci_low..ci_high) per configuration, one line per `series`.

    points: columns series, x (label), x_order (sort key), group (lines join points of one group
    only, e.g. one depth), median, ci_low, ci_high; optionally tick (the x label within a panel,
    default x), panel (the title of a group's panel), facet (a family of series: more series than
    one panel holds are split into rows by family) and runtime (native series drawn dashed).
    Each group is its own titled panel; every panel shares one y axis, so rows compare directly.
    """
    points = points.assign(tick=points["tick"] if "tick" in points else points["x"],
                           panel=points["panel"] if "panel" in points else points["group"].map(str))
    groups = list(points.sort_values("x_order").drop_duplicates("group")["group"])
    rows = _series_rows(points)
    fig = Figure(figsize=(FIGURE_WIDTH_IN, 0.6 + ROW_HEIGHT_IN * len(rows)), dpi=100, layout="constrained")
    subfigs = fig.subfigures(len(rows), 1, squeeze=False)[:, 0]
    shared = None
    panel_width = (FIGURE_WIDTH_IN - LEGEND_WIDTH_IN) / len(groups)
    for (row_title, series), subfig in zip(rows, subfigs):
        axes = subfig.subplots(1, len(groups), squeeze=False)[0]
        for column, (group, ax) in enumerate(zip(groups, axes)):
            shared = shared or ax
            if ax is not shared:
                ax.sharey(shared)
            in_group = points[points["group"] == group]
            _draw_panel(ax, in_group, series, panel_width)
            ax.set_title(str(in_group["panel"].iloc[0]), fontsize=9)
            ax.tick_params(labelleft=column == 0, labelsize=TICK_FONT_PT)
            ax.grid(True, which="major", axis="y", color="#dddddd", linewidth=0.6)
        handles = [_legend_handle(points, name, i) for i, name in enumerate(series)]
        subfig.legend(handles=handles, loc="outside right upper", fontsize="small", frameon=False)
        if len(rows) > 1:
            subfig.suptitle(row_title, x=0.01, ha="left", fontsize=9, fontweight="bold", color="#333333")
    fig.suptitle(title)
    fig.supxlabel(xlabel, fontsize=10)
    fig.supylabel(ylabel, fontsize=10)
    if log_y:
        _log_axis(shared)
    return _save(fig)


def _series_rows(points: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """The series split into rows of at most MAX_SERIES: by facet (a family too big for one row is
    cut into balanced chunks), neighbouring small families sharing a row. One row when all fit."""
    series = list(dict.fromkeys(points["series"]))
    if len(series) <= MAX_SERIES or "facet" not in points:
        chunks = -(-len(series) // MAX_SERIES)
        return [(f"series {i + 1} of {chunks}", part) for i, part in enumerate(_balanced(series, chunks))]
    facet_of = dict(zip(points["series"], points["facet"]))
    families = list(dict.fromkeys(facet_of[s] for s in series))
    pieces = []
    for family in families:
        members = [s for s in series if facet_of[s] == family]
        chunks = -(-len(members) // MAX_SERIES)
        pieces += [(family + (f" ({i + 1} of {chunks})" if chunks > 1 else ""), part)
                   for i, part in enumerate(_balanced(members, chunks))]
    rows = [pieces[0]]
    for name, members in pieces[1:]:
        if len(rows[-1][1]) + len(members) <= MAX_SERIES:
            rows[-1] = (f"{rows[-1][0]}; {name}", rows[-1][1] + members)
        else:
            rows.append((name, members))
    return rows


def _balanced(items: list, chunks: int) -> list[list]:
    size, extra = divmod(len(items), max(chunks, 1))
    out, start = [], 0
    for i in range(max(chunks, 1)):
        end = start + size + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def _style(points: pd.DataFrame, name: str, index: int) -> dict:
    """Colour and marker by the series' place in its row; native series dashed and hollow."""
    native = "runtime" in points and (points.loc[points["series"] == name, "runtime"] == "native").any()
    style = dict(color=PALETTE[index], marker=MARKERS[index], markersize=5, linewidth=1.2)
    if native:
        style.update(linestyle="--", markerfacecolor="white")
    return style


def _legend_handle(points: pd.DataFrame, name: str, index: int):
    return Line2D([], [], label=name, **_style(points, name, index))


def _draw_panel(ax, points: pd.DataFrame, series: list[str], panel_width_in: float) -> None:
    configs = points.drop_duplicates("x").sort_values("x_order")
    position = {x: i for i, x in enumerate(configs["x"])}
    step = DODGE_SPAN / max(len(series), 1)
    for i, name in enumerate(series):
        mine = points[points["series"] == name].sort_values("x_order")
        if mine.empty:
            continue
        offset = (i - (len(series) - 1) / 2) * step
        ax.errorbar([position[x] + offset for x in mine["x"]], mine["median"], capsize=3,
                    yerr=[mine["median"] - mine["ci_low"], mine["ci_high"] - mine["median"]],
                    **_style(points, name, i))
    _ticks(ax, list(configs["tick"].map(str)), panel_width_in)
    ax.set_xlim(-0.5, len(position) - 0.5)


def _ticks(ax, labels: list[str], room_in: float) -> None:
    """Tick labels that never overlap: flat when they fit, rotated when not, and only every n-th
    one labelled when even rotated ones would touch."""
    ax.set_xticks(range(len(labels)))
    char_in = 0.6 * TICK_FONT_PT / 72
    flat = sum(len(label) * char_in + 0.12 for label in labels)
    rotate = flat > room_in * 0.9
    every = 1
    if rotate:  # rotated 45°, a label needs about one line height and a half of width
        every = max(1, math.ceil(len(labels) * 1.6 * TICK_FONT_PT / 72 / (room_in * 0.9)))
    shown = [label if i % every == 0 else "" for i, label in enumerate(labels)]
    ax.set_xticklabels(shown, rotation=45 if rotate else 0, ha="right" if rotate else "center",
                       rotation_mode="anchor" if rotate else "default", fontsize=TICK_FONT_PT)


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
    # Turned when the longest name is wider than its group's share of the axis (the legend takes ~3.5 in).
    group_in = (fig.get_figwidth() - 3.5) / max(len(xs), 1)
    long_labels = max((len(str(x)) for x in xs), default=0) * CHAR_WIDTH_IN > 0.9 * group_in
    ax.set_xticks(range(len(xs)), xs, rotation=30 if long_labels else 0, ha="right" if long_labels else "center")
    ax.set_xlabel(xlabel)
    if log_y and len(points):  # bars start and end at round decades around every interval
        ax.set_ylim(bottom=10 ** math.floor(math.log10(float(points["ci_low"].min()))),
                    top=10 ** math.ceil(math.log10(float(points["ci_high"].max()) * 1.05)))
    return _finish(fig, ax, title, ylabel, log_y and len(points) > 0)


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
        _log_axis(ax)
    ax.grid(True, which="major", axis="y", color="#dddddd", linewidth=0.6)
    fig.legend(loc="outside right upper", fontsize="small", frameon=False)
    return _save(fig)


def _log_axis(ax) -> None:
    """A log y axis with plain numbers (0.01, 20; not 1e-02 or 2×10¹); minor ticks labelled only when
    the axis spans less than two decades, where the major ones alone would be too few to read."""
    ax.set_yscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.yaxis.set_major_formatter(plain)
    low, high = ax.get_ylim()
    ax.yaxis.set_minor_formatter(plain if high / low < 100 else NullFormatter())


def _save(fig) -> bytes:
    buffer = io.BytesIO()
    # No Software/date metadata, so the same data draws the same bytes.
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return compact_png(buffer.getvalue())


def data_uri(png: bytes) -> str:
    """The PNG as a data: URI, so the HTML report needs no files beside it."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def scatter_figure(points: pd.DataFrame, *, title: str, xlabel: str, ylabel: str, log_x: bool = True) -> bytes:
    """One marker per point at (x, y), a colour and marker per `series` (the legend), the text of
    `label` beside each point; a log x axis by default (latencies span decades)."""
    fig = Figure(figsize=(FIGURE_WIDTH_IN, ROW_HEIGHT_IN * 1.4), layout="constrained")
    ax = fig.add_subplot()
    for index, (name, group) in enumerate(points.groupby("series", sort=True)):
        ax.scatter(group["x"], group["y"], color=PALETTE[index % len(PALETTE)], marker=MARKERS[index % len(MARKERS)],
                   label=name, s=36)
        for row in group.to_dict("records"):
            ax.annotate(row.get("label", ""), (row["x"], row["y"]), fontsize=TICK_FONT_PT - 1,
                        xytext=(4, 3), textcoords="offset points")
    if log_x and len(points) and float(points["x"].min()) > 0:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.set_xlabel(xlabel)
    return _finish(fig, ax, title, ylabel, False)
