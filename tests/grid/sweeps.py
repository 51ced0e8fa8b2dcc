"""Running a sweep as its own process (as a user would) and reading what it stored, for the grid tests."""
import json
import sqlite3
import subprocess

from tests.grid.conftest import Processes, cli

SWEEP_TIMEOUT_S = 400


def suite_text(name: str, widths: list[int], page_loads: int = 2, tables: str = "") -> str:
    """TF.js CPU, train and infer, one small MLP per width; `tables`: more TOML (e.g. [capabilities])."""
    return f"""
name = "{name}"
[defaults]
samples = 20
warmup = 1
page_loads = {page_loads}
time_budget_s = 30
[[grid]]
framework = "tfjs"
backend = "cpu"
task = ["train", "infer"]
depth = 1
width = {widths}
batch = 16
{tables}
"""


def stored(store) -> list[dict]:
    """Every stored result with its environment, info and metric names (read-only, any time)."""
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT r.result_id, r.spec_hash, r.outcome, r.error, r.info, r.started_at, "
                            "e.fingerprint FROM results r LEFT JOIN environments e USING (env_id)").fetchall()
        metrics = {}
        for result_id, metric in conn.execute("SELECT DISTINCT result_id, metric FROM samples"):
            metrics.setdefault(result_id, set()).add(metric)
    return [{"id": r[0], "spec": r[1], "outcome": r[2], "error": r[3], "info": json.loads(r[4]), "started_at": r[5],
             "env": json.loads(r[6]) if r[6] else {}, "metrics": metrics.get(r[0], set())} for r in rows]


def stored_or_empty(store) -> list[dict]:
    try:
        return stored(store) if store.exists() else []
    except sqlite3.OperationalError:  # the sweep has not created the tables yet
        return []


def integrity_and_specs(store) -> tuple[str, int]:
    with sqlite3.connect(store) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        specs = len(json.loads(conn.execute("SELECT spec_hashes FROM runs").fetchone()[0]))
    return integrity, specs


def run_sweep(processes: Processes, *args) -> subprocess.Popen:
    return processes.start("sweep", cli("run", *args))


def finish(proc: subprocess.Popen, processes: Processes) -> str:
    try:
        proc.wait(timeout=SWEEP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the sweep did not end within {SWEEP_TIMEOUT_S} s") from None
    return (processes.logs / "sweep.log").read_text(errors="replace")
