"""Plain-text tables that fit the terminal (webdlbench.textout): wrapped columns, headings, figures
without exponents where a person reads them, and strict JSON."""
import json
import math

import numpy as np

from webdlbench.textout import Column, Title, interval, number, plain, table_lines, wrap


def test_a_table_too_wide_wraps_its_text_columns_at_spaces_and_never_its_numbers():
    columns = [Column("name", wrap=True, min_width=8), Column("ms", ">"), Column("note", wrap=True, min_width=10)]
    rows = [Title("train, mlp 1x64, batch 64"),
            ["  native tensorflow/cpu t1", "1,234", "above the measured peak: that peak was not the best"],
            ["  tfjs/wasm", "0.175", ""]]
    lines = table_lines(columns, rows, width=44)
    assert all(len(line) <= 44 for line in lines)
    assert lines[0].split() == ["name", "ms", "note"] and lines[2] == "train, mlp 1x64, batch 64"
    numbers = [line for line in lines if "1,234" in line]
    assert len(numbers) == 1 and "0.175" in " ".join(lines)
    # A wrapped option stays under its heading: continuation lines are indented further.
    name_lines = [line[:len("  native tensorflow/cpu t1")].rstrip() for line in lines[3:-1]]
    assert all(line.startswith("   ") for line in name_lines[1:] if line)
    at_ms, at_note = lines[1].index(" "), lines[0].index("note")  # where the name ends, where the note starts
    name = " ".join(line[:at_ms] for line in lines[3:-1])
    note = " ".join(line[at_note:] for line in lines[3:-1])
    assert " ".join(note.split()) == "above the measured peak: that peak was not the best"
    assert " ".join(name.split()) == "native tensorflow/cpu t1"  # no word broken where whole words fit


def test_a_table_that_fits_is_left_as_it_is():
    lines = table_lines([Column("a"), Column("b", ">")], [["x", "1"], ["long text", "22"]], width=80)
    assert lines == ["a           b", "---------  --", "x           1", "long text  22"]


def test_figures_are_read_by_people():
    assert [number(v) for v in (5.082e-05, 0.1753, 9.38, 123.4, 12345.6, float("nan"), None)] == [
        "5.1e-05", "0.175", "9.38", "123", "12,346", "-", "-"]
    assert interval(1.18, 1.304) == "1.18–1.3" and interval(float("nan"), 2) == "-"


def test_wrap_keeps_the_leading_indent_and_indents_continuations():
    lines = wrap("  tfjs/cpu: new is slower than base by 1.22–1.28×", 24, "    ")
    assert lines[0].startswith("  tfjs/cpu:") and all(line.startswith("    ") for line in lines[1:])
    assert all(len(line) <= 24 for line in lines)


def test_json_is_strict_nan_is_null_and_numpy_is_plain():
    value = plain({"a": float("nan"), "b": np.float64(1.5), "c": (np.int64(2), math.inf), "d": np.bool_(True)})
    assert json.loads(json.dumps(value, allow_nan=False)) == {"a": None, "b": 1.5, "c": [2, None], "d": True}
