"""Figure 6's decision trees drawn for the report and for `webdlbench gap --figures` (the trees
themselves are fitted in analysis/gap.py, which draws nothing)."""
from __future__ import annotations

import io

from webdlbench.analysis.gap import GapTree


def tree_png(tree: GapTree, dpi: int = 110) -> bytes:
    """The tree drawn by sklearn's plot_tree on matplotlib's Agg canvas (each node: its split, the
    configurations it holds and their mean ratio), as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from sklearn.tree import plot_tree

    leaves = tree.model.get_n_leaves()
    figure = Figure(figsize=(max(8.0, 1.6 * leaves), 2.2 * (tree.model.get_depth() + 1)))
    FigureCanvasAgg(figure)  # plot_tree measures its text boxes: it needs a canvas that renders
    axes = figure.add_subplot()
    plot_tree(tree.model, feature_names=tree.factors, filled=True, rounded=True, impurity=False,
              precision=2, ax=axes, fontsize=8)
    axes.set_title(f"time ratio {tree.title}; leaves of at least {tree.min_leaf}", fontsize=10)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()
