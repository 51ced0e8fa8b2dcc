"""Faults of the sweep itself: the harness SIGKILLed mid-sweep and resumed, two sweeps on one
store, and bad input that must exit 2 with one line and leave the store untouched."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.browser

SUITE = """
name = "resumable"
[defaults]
samples = 40
sample_time_s = 0   # exactly 40 batches a spec: the test counts them
warmup = 1
replicates = 1
max_replicates = 1
[[grid]]
framework = "tfjs"
backend = "cpu"
task = "train"
depth = [1, 2]
width = [32, 64]
batch = 32
"""


def start_sweep(suite, store):
    # A session of its own, so that SIGKILL can reach the browser the harness started, too.
    return subprocess.Popen([sys.executable, "-m", "webdlbench", "run", str(suite), "--store", str(store)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for_results(store, count, proc, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, proc.communicate()
        if store.exists():
            try:
                with sqlite3.connect(store) as conn:
                    if conn.execute("SELECT count(*) FROM results").fetchone()[0] >= count:
                        return
            except sqlite3.OperationalError:  # tables not created yet
                pass
        time.sleep(0.2)
    raise AssertionError("the sweep stored no result in time")


def test_sigkill_mid_sweep_then_resume_loses_and_duplicates_nothing(tmp_path):
    suite = tmp_path / "resumable.toml"
    suite.write_text(SUITE)
    store = tmp_path / "s.sqlite"
    proc = start_sweep(suite, store)
    wait_for_results(store, 1, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(store) as conn:
        run_id, status = conn.execute("SELECT run_id, status FROM runs").fetchone()
        before = conn.execute("SELECT count(*) FROM results").fetchone()[0]
    assert status == "running" and 1 <= before < 4

    resumed = run_cli("run", suite, "--store", store, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
        per_spec = conn.execute("SELECT spec_hash, count(*) FROM results WHERE run_id = ? GROUP BY spec_hash",
                                (run_id,)).fetchall()
        assert len(per_spec) == 4 and all(count == 1 for _, count in per_spec)
        batches = conn.execute("SELECT r.result_id, count(*) FROM results r JOIN samples s USING (result_id) "
                               "WHERE s.metric = 'train_batch_ms' GROUP BY r.result_id").fetchall()
        assert len(batches) == 4 and all(count == 40 for _, count in batches)
        assert conn.execute("SELECT status FROM runs").fetchone()[0] == "finished"


def test_a_second_sweep_on_the_same_store_is_refused_and_the_first_completes(tmp_path):
    suite = tmp_path / "resumable.toml"
    suite.write_text(SUITE)
    store = tmp_path / "s.sqlite"
    first = start_sweep(suite, store)
    wait_for_results(store, 1, first)
    second = run_cli("run", suite, "--store", store)
    assert second.returncode == 2 and "another `webdlbench run` is writing" in second.stderr
    assert first.wait(timeout=300) == 0
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT count(*) FROM results").fetchone()[0] == 4
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


GOOD_GRID = "[[grid]]\nframework = 'tfjs'\nbackend = 'cpu'\ntask = 'train'\ndepth = 1\nwidth = 8\n"


@pytest.mark.parametrize("suite_text, store_kind, words", [
    ("[[grid]]\nframework = 'tfjs'\nbackend = 'cpu'\ntask = 'train'\ndepth = 1\nwidth = 8\nspeed = 3\n",
     "new", "unknown key 'speed'"),
    (GOOD_GRID.replace("depth = 1", "depth = 'deep'"), "new", "must be a whole number"),
    ("name = 'empty'\n", "new", "no [[grid]] tables"),
    (GOOD_GRID.replace("depth = 1", "depth = []"), "new", "empty list"),
    (GOOD_GRID + "exclude = [{backend = 'cpu'}]\n", "new", "the grid is empty"),
    (GOOD_GRID.replace("depth = 1", "depth = -2"), "new", "depth = -2 is too small"),
    (GOOD_GRID.replace("width = 8", "width = 0"), "new", "width = 0 is too small"),
    (GOOD_GRID + "batch = 0\n", "new", "batch = 0 is too small"),
    (GOOD_GRID.replace("'cpu'", "'cuda'"), "new", "tfjs has no backend 'cuda'"),
    (GOOD_GRID.replace("'tfjs'", "'mxnetjs'"), "new", "unknown browser framework 'mxnetjs'"),
    (GOOD_GRID.replace("framework = 'tfjs'", "framework = 'keras-js-x'"), "new", "unknown browser framework"),
    (GOOD_GRID.replace("'train'", "'explain'"), "new", "unknown task 'explain'"),
    ("[[grid]\nframework = 'tfjs'\n", "new", "TOML syntax error"),
    (None, "new", "not found"),
    (GOOD_GRID, "corrupt", "cannot be used as a results store"),
    (GOOD_GRID, "unwritable", "give a writable --store path"),
])
def test_bad_input_exits_2_with_one_line_and_touches_nothing(tmp_path, suite_text, store_kind, words):
    suite = tmp_path / "suite.toml"
    if suite_text is not None:
        suite.write_text(suite_text)
    store = tmp_path / "s.sqlite"
    if store_kind == "corrupt":
        store.write_bytes(b"definitely not sqlite " * 64)
    if store_kind == "unwritable":
        (tmp_path / "a-file").write_text("")
        store = tmp_path / "a-file" / "s.sqlite"  # a folder that cannot exist
    before = store.read_bytes() if store.exists() else None
    done = run_cli("run", suite, "--store", store)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in done.stderr
    assert (store.read_bytes() if store.exists() else None) == before


def test_no_browser_found_exits_2(tmp_path):
    suite = tmp_path / "suite.toml"
    suite.write_text(GOOD_GRID)
    done = run_cli("run", suite, "--store", tmp_path / "s.sqlite", env={"PATH": "/nonexistent", "WEBDLBENCH_BROWSER": ""})
    assert done.returncode == 2 and "no Chromium found" in done.stderr and not (tmp_path / "s.sqlite").exists()
