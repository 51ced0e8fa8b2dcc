"""The report's building blocks: parts (the paper's research questions) made of sections, each with
prose, notes, a figure and tables; and the number formatting every section shares.

A section's `files` are written beside the report (the CSV behind every table and figure, the
figure PNGs); `empty` says which suite fills a section that has no data yet.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from webdlbench.analysis.stats import fmt as num  # about three significant digits; '–' when missing


@dataclass
class Cell:
    """One table cell: its text, an optional tooltip (n and CI) and an optional sort key."""

    text: str
    title: str = ""
    sort: float | None = None
    link: str = ""   # an anchor in the report (e.g. "fig1") the cell points at


@dataclass
class Table:
    columns: list[str]
    kinds: list[str]   # per column: "text", "num" (right-aligned) or "pre" (verbatim text)
    rows: list[list]   # of str or Cell
    caption: str = ""
    notes: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.rows = [[c if isinstance(c, Cell) else Cell(str(c)) for c in row] for row in self.rows]


@dataclass
class Figure:
    title: str
    uri: str     # data: URI (HTML)
    file: str    # the PNG beside the report (Markdown)


@dataclass
class Section:
    key: str
    title: str
    about: str = ""
    empty: str = ""      # set when there is no data: which suite fills the section
    notes: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    blocks: list[dict] = field(default_factory=list)  # free-form blocks a template knows (findings)
    files: dict[str, pd.DataFrame | bytes] = field(default_factory=dict)


@dataclass
class Part:
    key: str
    title: str
    intro: str = ""
    sections: list[Section] = field(default_factory=list)
    group: str = ""   # the report's larger division it opens or belongs to ("Your results", "The paper")


# -- formatting ---------------------------------------------------------------------------------
def median_cell(row, unit: str) -> Cell:
    """The median of a summary row, with its n and 95% CI in the tooltip."""
    return Cell(num(row["median"]), title=f"n = {int(row['n'])}, 95% CI {num(row['ci_low'])}–{num(row['ci_high'])} "
                                          f"{unit} ({row['ci_method']})", sort=float(row["median"]))


def ci_cell(row) -> Cell:
    return Cell(f"{num(row['ci_low'])} – {num(row['ci_high'])}", sort=float(row["ci_low"]))


def int_cell(value) -> Cell:
    return Cell(f"{int(value):,}", sort=float(value))


def md_cell(text) -> str:
    # Markdown renders inline HTML (an error's "<anonymous>" would vanish), a table row is one line,
    # and a pipe ends a cell.
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", "<br>")
