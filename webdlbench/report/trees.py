"""Figure 6's decision trees drawn for the report and for `webdlbench gap --figures` (the trees
themselves are fitted in analysis/gap.py, which draws nothing).

Drawn left to right, one row per leaf, so that a depth-4 tree of 16 leaves stays readable at the
report's width; every split is said in words ("training", "GPU backend", "width ≤ 384") instead of
sklearn's encoded "task_train <= 0.5". `leaf_rules` gives the same tree as a table: one row per
leaf with the conditions on its path merged ("96 < width ≤ 192").
"""
from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass

from webdlbench.analysis.gap import GapTree

# Binary factors: (left branch, right branch) in words; sklearn sends "<= threshold" left.
BINARY = {"backend_gpu": ("CPU backend", "GPU backend"), "task_train": ("inference", "training")}
WIDTH_IN = 9.6       # as plots.FIGURE_WIDTH_IN: the text column, never scaled down
MAX_LEVELS = 5     # the root and four levels of splits (max_depth = the four factors)
LEAF_ROW_IN = 0.55
BOX_FONT_PT = 8.5
FILL = (0xD5, 0x5E, 0x00)  # the ratio's colour (Okabe–Ito vermillion), lighter for smaller ratios


@dataclass
class Node:
    index: int
    depth: int
    condition: str     # how this node was reached from its parent ("" at the root)
    samples: int
    ratio: float       # mean time ratio (browser / native) of the configurations here
    children: tuple[int, int] | None


def nodes(tree: GapTree) -> dict[int, Node]:
    """The fitted tree's nodes, each with the condition (in words) that leads to it."""
    t = tree.model.tree_
    out: dict[int, Node] = {}

    def visit(index: int, depth: int, condition: str) -> None:
        left, right = int(t.children_left[index]), int(t.children_right[index])
        split = (left, right) if left >= 0 else None
        out[index] = Node(index, depth, condition, int(t.n_node_samples[index]), float(t.value[index].ravel()[0]),
                          split)
        if split:
            factor, threshold = tree.factors[int(t.feature[index])], float(t.threshold[index])
            said = _conditions(factor, threshold)
            visit(left, depth + 1, said[0])
            visit(right, depth + 1, said[1])
    visit(0, 0, "")
    return out


def _conditions(factor: str, threshold: float) -> tuple[str, str]:
    if factor in BINARY:
        return BINARY[factor]
    return f"{factor} ≤ {threshold:g}", f"{factor} > {threshold:g}"


def leaf_rules(tree: GapTree) -> list[dict]:
    """One dict per leaf, top to bottom as drawn: `path` (the conditions on the way, one per factor,
    bounds merged), `samples` (configurations) and `ratio` (their mean browser/native time ratio)."""
    t = tree.model.tree_
    found = nodes(tree)
    rules = []

    def walk(index: int, words: dict[str, str], bounds: dict[str, list[float]]) -> None:
        node = found[index]
        if node.children is None:
            path = [words[f] for f in words] + [_bounded(f, *b) for f, b in bounds.items()]
            rules.append({"path": " · ".join(path) or "all configurations", "samples": node.samples,
                          "ratio": node.ratio})
            return
        factor, threshold = tree.factors[int(t.feature[index])], float(t.threshold[index])
        for side, child in enumerate(node.children):
            if factor in BINARY:
                walk(child, {**words, factor: BINARY[factor][side]}, bounds)
            else:
                low, high = bounds.get(factor, [-math.inf, math.inf])
                walk(child, words, {**bounds, factor: [low, threshold] if side == 0 else [threshold, high]})
    walk(0, {}, {})
    return rules


def _bounded(factor: str, low: float, high: float) -> str:
    if math.isinf(low):
        return f"{factor} ≤ {high:g}"
    if math.isinf(high):
        return f"{factor} > {low:g}"
    return f"{low:g} < {factor} ≤ {high:g}"


def tree_png(tree: GapTree, dpi: int = 100) -> bytes:
    """The tree drawn left to right on matplotlib's Agg canvas: each box says the condition that
    leads to it, how many configurations it holds and their mean time ratio (the box darker the
    larger the ratio, on a log scale); PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    found = nodes(tree)
    leaves = [n for n in _in_order(found, 0) if n.children is None]
    row = {n.index: i for i, n in enumerate(leaves)}
    y = {}
    for node in sorted(found.values(), key=lambda n: -n.depth):  # a parent sits between its children
        y[node.index] = row[node.index] if node.children is None else sum(y[c] for c in node.children) / 2
    # Columns as wide as a depth-4 tree's, whatever this tree's depth, so that edges meet the boxes.
    levels = max(max(n.depth for n in found.values()) + 1, MAX_LEVELS)
    height = 1.0 + LEAF_ROW_IN * len(leaves)
    figure = Figure(figsize=(WIDTH_IN, height), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.01, 0.02, 0.98, 1 - 0.75 / height))
    axes.set_xlim(-0.5, levels - 0.5)
    axes.set_ylim(len(leaves) - 0.5, -0.5)
    axes.axis("off")
    ratios = [n.ratio for n in found.values() if n.ratio > 0]
    low, high = (math.log(min(ratios)), math.log(max(ratios))) if ratios else (0.0, 0.0)
    for node in found.values():
        for child in node.children or ():
            axes.plot([node.depth + 0.42, found[child].depth - 0.42], [y[node.index], y[child]],
                      color="#999999", linewidth=0.8, zorder=1)
    for node in found.values():
        shade = (math.log(node.ratio) - low) / (high - low) if high > low and node.ratio > 0 else 0.0
        colour = tuple((255 - (255 - c) * (0.15 + 0.7 * shade)) / 255 for c in FILL)
        first = node.condition or f"all {node.samples} configurations"
        text = f"{first}\n{node.samples} configs · ratio {node.ratio:.3g}×" if node.condition else \
            f"{first}\nmean ratio {node.ratio:.3g}×"
        axes.text(node.depth, y[node.index], text, ha="center", va="center", fontsize=BOX_FONT_PT, zorder=2,
                  fontweight="bold" if node.children is None else "normal",
                  bbox={"boxstyle": "round,pad=0.35", "facecolor": colour, "edgecolor": "#555555",
                        "linewidth": 0.6})
    title = f"Time ratio (browser / native), {tree.title}; leaves of at least {tree.min_leaf}"
    figure.suptitle("\n".join(textwrap.wrap(title, 120)), fontsize=9, y=1 - 0.08 / height, va="top")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _in_order(found: dict[int, Node], index: int) -> list[Node]:
    node = found[index]
    if node.children is None:
        return [node]
    return [node, *_in_order(found, node.children[0]), *_in_order(found, node.children[1])]
