"""The command line: exit codes, one-line user errors, and nothing written on bad input."""
import subprocess
import sys

import pytest

from webdlbench.cli import main


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "webdlbench", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("content, words", [
    ("[[grid]]\nframework = 'tfjs'\nbackend = 'cpu'\ntask = 'train'\ndepth = 0\nwidth = 64\n", "depth = 0"),
    ("name = ", "TOML syntax error"),
    ("[[grid]]\nframework = 'tfjs'\nbackend = 'tpu'\ntask = 'train'\ndepth = 1\nwidth = 64\n", "no backend 'tpu'"),
])
def test_bad_suite_exits_2_with_one_line_and_writes_no_store(tmp_path, content, words):
    suite = tmp_path / "suite.toml"
    suite.write_text(content)
    store = tmp_path / "out" / "s.sqlite"
    done = run_cli("run", str(suite), "--store", str(store))
    assert done.returncode == 2
    assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr and not store.exists()


def test_missing_browser_is_a_user_error(tmp_path):
    store = tmp_path / "s.sqlite"
    done = run_cli("run", "quick", "--store", str(store), "--browser", str(tmp_path / "no-chromium"))
    assert done.returncode == 2 and "not found" in done.stderr and not store.exists()


def test_export_and_report_of_a_missing_store_are_user_errors(tmp_path):
    assert main(["export", "--store", str(tmp_path / "none.sqlite"), "--format", "csv"]) == 2
    assert not (tmp_path / "none.sqlite").exists()


def test_frameworks_lists_each_with_availability():
    done = run_cli("frameworks")
    assert done.returncode == 0
    for name in ("TensorFlow.js", "ConvNetJS", "webgl", "wasm", "available"):
        assert name in done.stdout
