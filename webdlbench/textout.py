"""What the commands print: plain-text tables that fit the terminal's width, and JSON.

Tables are laid out here rather than by a terminal library so that what a test reads is exactly
what a user sees, in a terminal or a CI log: columns as wide as their widest cell, and when the
whole is wider than the terminal, the columns marked `wrap` narrowed (widest first) and their text
wrapped at spaces onto continuation lines. Nothing is cut off; numbers never wrap.
"""
from __future__ import annotations

import json
import math
import shutil
import sys
import textwrap
from dataclasses import dataclass

MIN_WIDTH = 40      # below this no table is legible; narrower terminals get this width
GAP = "  "          # between columns


def terminal_width() -> int:
    """The terminal's width (COLUMNS when set, 80 when output is not a terminal)."""
    return max(MIN_WIDTH, shutil.get_terminal_size(fallback=(80, 24)).columns)


@dataclass(frozen=True)
class Column:
    header: str
    align: str = "<"        # "<" left (text), ">" right (numbers)
    wrap: bool = False      # may be narrowed, its text wrapped onto continuation lines
    min_width: int = 8      # how narrow a wrapped column may get


@dataclass(frozen=True)
class Title:
    """A row that is a heading over the rows below it (a group), spanning the whole width."""
    text: str


def table_lines(columns: list[Column], rows: list, width: int | None = None, indent: int = 0) -> list[str]:
    """The rows (lists of cell strings, or Title headings) under one header line, no line wider
    than `width` unless the columns that may not wrap alone are wider."""
    width = width or terminal_width()
    cells = [r for r in rows if not isinstance(r, Title)]
    widths = [max([len(c.header), *[len(str(r[i])) for r in cells]]) for i, c in enumerate(columns)]
    widths = _fit(columns, widths, width - indent, cells)
    pad = " " * indent
    lines = [pad + _join(columns, widths, [[c.header] for c in columns]),
             pad + _join(columns, widths, [["-" * w] for w in widths])]
    for row in rows:
        if isinstance(row, Title):
            lines += wrap(row.text, width)
            continue
        wrapped = [_cell_lines(str(cell), w, c.wrap) for cell, w, c in zip(row, widths, columns)]
        lines += [pad + line for line in _join_rows(columns, widths, wrapped)]
    return lines


def wrap(text: str, width: int | None = None, indent: str = "") -> list[str]:
    """A paragraph wrapped to the width, its own leading spaces kept; continuation lines indented
    by `indent`."""
    width = width or terminal_width()
    text = str(text)
    lead = text[:len(text) - len(text.lstrip(" "))]
    return textwrap.wrap(" ".join(text.split()), width, initial_indent=lead, subsequent_indent=indent,
                         break_on_hyphens=False) or [""]


def one_line(text: str, room: int) -> str:
    """Text on one line of at most `room` characters, cut with '…' when longer."""
    text = " ".join(str(text).split())
    return text if len(text) <= room else text[:max(room - 1, 0)].rstrip() + "…"


def _fit(columns: list[Column], widths: list[int], room: int, rows: list) -> list[int]:
    """Narrow the wrap-able columns, widest first, until the row fits `room`: first no narrower
    than each one's longest word (words stay whole), then, if that is not enough, down to their
    min_width (long words broken)."""
    widths = list(widths)
    words = [max([len(c.header), *[_longest_word(str(r[i])) for r in rows]]) for i, c in enumerate(columns)]

    def total():
        return sum(widths) + len(GAP) * (len(widths) - 1)

    for floor in (lambda i: max(columns[i].min_width, words[i]), lambda i: columns[i].min_width):
        while total() > room:
            candidates = [i for i, c in enumerate(columns) if c.wrap and widths[i] > max(floor(i), 1)]
            if not candidates:
                break
            widest = max(candidates, key=lambda i: widths[i])
            widths[widest] -= 1
    return widths


def _longest_word(text: str) -> int:
    """The longest word of a cell, its leading spaces (and the one more of a continuation) counted."""
    lead = len(text) - len(text.lstrip(" "))
    return max([0, *[len(w) for w in text.split()]]) + (lead + 1 if lead else 0)


def _cell_lines(text: str, width: int, may_wrap: bool) -> list[str]:
    """A cell's lines: wrapped at spaces when it may, continuation lines indented one further than
    its own leading spaces (an option under a group heading stays under it)."""
    if not may_wrap or len(text) <= width:
        return [text]
    lead = " " * (len(text) - len(text.lstrip(" ")) + 1)
    return textwrap.wrap(text, width, subsequent_indent=lead, break_on_hyphens=False) or [""]


def _join_rows(columns, widths, wrapped) -> list[str]:
    height = max(len(w) for w in wrapped)
    return [_join(columns, widths, [[w[k] if k < len(w) else ""] for w in wrapped]) for k in range(height)]


def _join(columns, widths, cells) -> str:
    parts = [f"{cell[0]:{c.align}{w}}" for cell, c, w in zip(cells, columns, widths)]
    return GAP.join(parts).rstrip()


# -- numbers -------------------------------------------------------------------------------------------
def number(value, digits: int = 3) -> str:
    """A figure for a table: 3 significant digits, thousands separated from 1,000 on, '-' for none."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "-"
    if math.isnan(value):
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if value != 0 and abs(value) < 0.001:
        return f"{value:.1e}"
    return f"{value:.{digits}g}"


def interval(low, high) -> str:
    """'1.18–1.30', '-' when either end is missing."""
    low, high = number(low), number(high)
    return "-" if "-" in (low, high) else f"{low}–{high}"


# -- JSON ----------------------------------------------------------------------------------------------
def plain(value):
    """A value JSON can carry: NaN and infinities become null, numpy scalars Python numbers,
    tuples lists, anything else its string."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "item") and not isinstance(value, (int, float)):  # numpy scalars
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    return str(value)


def print_json(value, stream=None) -> None:
    """Strict JSON (no NaN) on stdout, indented, one trailing newline."""
    (stream or sys.stdout).write(json.dumps(plain(value), indent=2, allow_nan=False) + "\n")


def print_lines(lines: list[str], stream=None) -> None:
    (stream or sys.stdout).write("".join(f"{line}\n" for line in lines))
