"""Merging stores: the runs of other stores (another machine, a lent GPU box, a grid node's own
sweep) copied into one, so that one report shows every environment side by side.

A run is copied whole or not at all, in one transaction per source store; a run already in the
destination (same run id) is left as it is, so merging the same source twice changes nothing.
Result ids are renumbered in the destination; specs, environments and surveys are shared by content.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from webdlbench.errors import UserError
from webdlbench.store import SURVEY_SCHEMA, Store, _has_column, _transaction
from webdlbench.store_checks import is_store_file

RUN_COLUMNS = "run_id, suite, suite_source, spec_hashes, started_at, finished_at, status"
RESULT_COLUMNS = "run_id, spec_hash, env_id, outcome, error, checks, info, budget, started_at, finished_at"


def merge_store(destination: Store, source_path: Path) -> dict:
    """Copy the runs of the store at `source_path` that `destination` lacks; returns counts."""
    if is_store_file(Path(destination.path), Path(source_path)):
        raise UserError(f"{source_path} is the destination store itself: give other stores to merge")
    Store.open(source_path, create=False).close()  # a clear error for a missing or foreign file
    conn = destination.conn
    conn.execute("ATTACH DATABASE ? AS source", (f"file:{source_path}?mode=ro",))
    try:
        with _transaction(conn):
            copied = [r[0] for r in conn.execute(
                "SELECT run_id FROM source.runs WHERE run_id NOT IN (SELECT run_id FROM main.runs)")]
            conn.execute("INSERT OR IGNORE INTO main.environments SELECT * FROM source.environments")
            conn.execute("INSERT OR IGNORE INTO main.specs SELECT * FROM source.specs")
            results = samples = 0
            # A version-1 source has no replicate per sample: each of its results is one replicate.
            replicate = "replicate" if _has_column(conn, "samples", "replicate", "source") else "0"
            for run_id in copied:
                conn.execute(f"INSERT INTO main.runs ({RUN_COLUMNS}) SELECT {RUN_COLUMNS} FROM source.runs "
                             "WHERE run_id = ?", (run_id,))
                for (old_id,) in conn.execute("SELECT result_id FROM source.results WHERE run_id = ? "
                                              "ORDER BY result_id", (run_id,)).fetchall():
                    cursor = conn.execute(f"INSERT INTO main.results ({RESULT_COLUMNS}) SELECT {RESULT_COLUMNS} "
                                          "FROM source.results WHERE result_id = ?", (old_id,))
                    samples += conn.execute(
                        "INSERT INTO main.samples (result_id, metric, unit, idx, value, replicate) "
                        f"SELECT ?, metric, unit, idx, value, {replicate} FROM source.samples WHERE result_id = ?",
                        (cursor.lastrowid, old_id)).rowcount
                    results += 1
            surveys = _merge_surveys(conn)
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{source_path} could not be merged ({exc}): is it a webdlbench store?") from None
    finally:
        conn.execute("DETACH DATABASE source")
    return {"runs": len(copied), "results": results, "samples": samples, "surveys": surveys}


def _merge_surveys(conn: sqlite3.Connection) -> int:
    has = conn.execute("SELECT name FROM source.sqlite_master WHERE type='table' AND name='surveys'").fetchone()
    if not has:
        return 0
    conn.execute(SURVEY_SCHEMA.replace("CREATE TABLE IF NOT EXISTS surveys", "CREATE TABLE IF NOT EXISTS main.surveys"))
    return conn.execute(
        "INSERT INTO main.surveys (created_at, facts, environment) SELECT s.created_at, s.facts, s.environment "
        "FROM source.surveys s WHERE NOT EXISTS (SELECT 1 FROM main.surveys m WHERE m.created_at = s.created_at "
        "AND m.facts = s.facts)").rowcount
