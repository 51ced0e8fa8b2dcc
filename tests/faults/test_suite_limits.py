"""Suites too big or out of range for any machine (issue #18, items 4 and 12), given to the real CLI:
refused with exit 2 and one short line before anything starts: no store, no lock file, no browser."""
import os

import pytest

from webdlbench.cli import main
from webdlbench.limits import DEFAULT_MAX_SPECS

GRID = "[[grid]]\nframework = 'tfjs'\nbackend = 'cpu'\ntask = 'train'\n"


def numbers(count):
    return "[" + ", ".join(str(i) for i in range(1, count + 1)) + "]"


def refused(tmp_path, capsys, suite_text, *extra):
    suite = tmp_path / "suite.toml"
    suite.write_text(suite_text)
    store = tmp_path / "s.sqlite"
    code = main(["run", str(suite), "--store", str(store), *map(str, extra)])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err[-2000:]
    assert sorted(os.listdir(tmp_path)) == ["suite.toml"]  # no store, no lock, no cache
    return lines[0]


@pytest.mark.parametrize("axes, count", [
    (f"depth = {numbers(100)}\nwidth = {numbers(100)}\nbatch = {numbers(100)}\n", "1,000,000"),
    (f"depth = {numbers(100)}\nwidth = {numbers(100)}\nbatch = {numbers(100)}\n"
     f"backend = ['cpu', 'webgl', 'wasm', 'webgpu']\nmodel = ['mlp', 'cnn', 'lstm']\n"
     f"runtime = ['browser', 'native']\ntask = ['train', 'infer']\n", "48,000,000"),
])
def test_a_grid_past_the_spec_cap_is_refused_before_it_is_expanded(tmp_path, capsys, axes, count):
    text = GRID.replace("backend = 'cpu'\n", "").replace("task = 'train'\n", "") if "backend =" in axes else GRID
    line = refused(tmp_path, capsys, text + axes)
    assert f"the suite expands to {count} specs, more than the cap of {DEFAULT_MAX_SPECS:,}" in line
    assert f"--max-specs {count.replace(',', '')}" in line


def test_max_specs_lowers_and_raises_the_cap(tmp_path, capsys):
    grid = GRID + f"depth = {numbers(3)}\nwidth = {numbers(4)}\n"  # 12 specs
    assert "more than the cap of 10" in refused(tmp_path, capsys, grid, "--max-specs", 10)
    assert "--max-specs must be 1 or more" in refused(tmp_path, capsys, grid, "--max-specs", 0)
    # Raised to 12, the suite passes the cap and meets the next check: the store path is a folder.
    (tmp_path / "store-folder").mkdir()
    suite = tmp_path / "suite.toml"
    assert main(["run", str(suite), "--store", str(tmp_path / "store-folder"), "--max-specs", "12"]) == 2
    assert "is a directory" in capsys.readouterr().err


@pytest.mark.parametrize("settings, words", [
    ("depth = 1\nwidth = 1099511627776\n", "width = 1099511627776 is too large: it must be at most 16,384"),
    ("depth = 5000\nwidth = 8\n", "depth = 5000 is too large"),
    ("depth = 1\nwidth = 8\nbatch = 10000000\n", "batch = 10000000 is too large"),
    ("depth = 1\nwidth = 8\nseed = 18446744073709551616\n", "seed = 18446744073709551616 is too large"),
    ("depth = 1\nwidth = 8\nthreads = 100000\n", "threads = 100000 is too large"),
    ("depth = 1\nwidth = 8\nsamples = 1000000000\n", "samples = 1000000000 is too large"),
    ("depth = 1\nwidth = 8\ntime_budget_s = nan\n", "time_budget_s = nan is not a finite number"),
    ("depth = 1\nwidth = 8\ntime_budget_s = inf\n", "time_budget_s = inf is not a finite number"),
    ("depth = 1\nwidth = 8\ntime_limit_s = nan\n", "time_limit_s = nan is not a finite number"),
    ("depth = 1\nwidth = 8\nprecision = inf\n", "precision = inf is not a finite number"),
    ("depth = 1\nwidth = 8\nprecision_budget_s = 1e300\n", "precision_budget_s = 1e+300 is too large"),
    ("depth = 8\nwidth = 16384\n", "has 1,892,188,170 parameters (7.0 GiB), more than the 268,435,456"),
])
def test_a_spec_out_of_range_is_refused_before_anything_starts(tmp_path, capsys, settings, words):
    assert words in refused(tmp_path, capsys, GRID + settings)


@pytest.mark.parametrize("suite_text, words", [
    (GRID.replace("'tfjs'", "'" + "x" * 1_000_000 + "'") + "depth = 1\nwidth = 8\n",
     "framework = 'xxxxx"),
    ("name = '" + "n" * 1_000_000 + "'\n" + GRID + "depth = 1\nwidth = 8\n", "name = 'nnnn"),
    (GRID + "depth = 1\nwidth = 8\nnotes = '" + "y" * 1_000_000 + "'\n", "notes = 'yyyy"),
    (GRID + "depth = 1\nwidth = 8\n" + "z" * 1_000_000 + " = 1\n", "unknown key 'zzzz"),
])
def test_a_huge_value_makes_a_short_error_line(tmp_path, capsys, suite_text, words):
    line = refused(tmp_path, capsys, suite_text)
    assert words in line and "(1000000 characters)" in line and len(line) < 600, len(line)


def test_samples_from_the_command_line_are_held_to_the_limit_too(tmp_path, capsys):
    line = refused(tmp_path, capsys, GRID + "depth = 1\nwidth = 8\n", "--samples", 10 ** 9)
    assert "--samples 1000000000 is too many: at most 1000000" in line
