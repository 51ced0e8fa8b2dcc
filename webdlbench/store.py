"""The results store: SQLite in WAL mode, one transaction per completed spec result.

A spec result is either fully there (its row and all its samples) or absent. Readers
(export, report) read a consistent snapshot while a sweep is writing.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from webdlbench import limits, store_checks
from webdlbench.errors import UserError
from webdlbench.spec import IDENTITY_FIELDS, METRIC_UNITS, SCHEMA_VERSION, Spec, SpecResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS environments (
    env_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, suite TEXT NOT NULL, suite_source TEXT NOT NULL,
    spec_hashes TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS specs (
    spec_hash TEXT PRIMARY KEY, runtime TEXT, framework TEXT, backend TEXT, task TEXT, model TEXT,
    depth INTEGER, width INTEGER, batch INTEGER, threads INTEGER, seed INTEGER, spec TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    result_id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL REFERENCES runs(run_id),
    spec_hash TEXT NOT NULL REFERENCES specs(spec_hash), env_id TEXT REFERENCES environments(env_id),
    outcome TEXT NOT NULL, error TEXT NOT NULL, checks TEXT NOT NULL, info TEXT NOT NULL,
    budget TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL NOT NULL,
    UNIQUE (run_id, spec_hash));
CREATE TABLE IF NOT EXISTS samples (
    result_id INTEGER NOT NULL REFERENCES results(result_id), metric TEXT NOT NULL,
    unit TEXT NOT NULL, idx INTEGER NOT NULL, value REAL NOT NULL, replicate INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (result_id, metric, idx));
"""

# Survey facts (`webdlbench survey --store`), created when the first survey is written, so that
# opening a store (or reading one) never changes it; stores without the table simply have no survey.
SURVEY_SCHEMA = """
CREATE TABLE IF NOT EXISTS surveys (
    survey_id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL, facts TEXT NOT NULL,
    environment TEXT NOT NULL)
"""

# The specs table's columns between spec_hash and spec: a spec's identity (tests/test_store.py holds
# the table above to it).
SPEC_COLUMNS = list(IDENTITY_FIELDS)


def environment_id(fingerprint: dict) -> str:
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:16]


class Store:
    """A results database. Open it with `Store.open(path)`; use as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path | str, create: bool = True) -> "Store":
        """Open the store at `path`: with `create`, for writing (made when absent, migrated when
        older, refused when it cannot be written); without, for reading only (the file is never
        changed). Anything but a whole webdlbench store is refused (store_checks.py)."""
        path = Path(path)
        store_checks.check_path(path)
        if not path.exists():
            if not create:
                raise UserError(f"no results store at {path}: run `webdlbench run SUITE --store {path}` first")
            _create(path)
        version = store_checks.inspect(path, EXPECTED_COLUMNS, READABLE_VERSIONS)
        if not create:
            try:
                return cls(store_checks.readonly_connection(path), path)
            except sqlite3.DatabaseError as exc:
                raise store_checks.damaged(path, exc) from None
        try:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            store_checks.check_writable(conn, path)
            if version in MIGRATIONS:
                _migrate(conn, version)
        except (sqlite3.OperationalError, OSError) as exc:
            raise store_checks.write_error(path, exc) from None
        except sqlite3.DatabaseError as exc:
            raise store_checks.damaged(path, exc) from None
        return cls(conn, path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- runs -----------------------------------------------------------------------------------
    def start_run(self, suite: str, suite_source: str, specs: list[Spec]) -> str:
        run_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        with self._writing(), _transaction(self.conn):
            self.conn.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, NULL, 'running')",
                (run_id, suite, suite_source, json.dumps([s.spec_hash for s in specs]), time.time()))
        return run_id

    def finish_run(self, run_id: str, status: str = "finished") -> None:
        with self._writing(), _transaction(self.conn):
            self.conn.execute("UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?",
                              (time.time(), status, run_id))

    def latest_unfinished_run(self, suite: str) -> str | None:
        with self._reading():
            row = self.conn.execute(
                "SELECT run_id FROM runs WHERE suite = ? AND status != 'finished' "
                "ORDER BY started_at DESC LIMIT 1", (suite,)).fetchone()
        return row[0] if row else None

    def completed_specs(self, run_id: str) -> set[str]:
        with self._reading():
            return {r[0] for r in self.conn.execute("SELECT spec_hash FROM results WHERE run_id = ?", (run_id,))}

    # -- results --------------------------------------------------------------------------------
    def add_result(self, run_id: str, result: SpecResult, replace: bool = False) -> int:
        """Write one spec's result and all its samples atomically; returns its result id. A result
        carrying a value that is not finite and in range (limits.py) is written as an error naming it.
        `replace`: in the same transaction, the spec's earlier result in this run goes (rounds.py: a
        spec's rounds so far, merged, replace the rounds before)."""
        result = limits.checked_result(result)
        spec = result.spec
        env_id = environment_id(result.environment) if result.environment else None
        budget = spec.budget()
        with self._writing(), _transaction(self.conn):
            if replace:
                earlier = "SELECT result_id FROM results WHERE run_id = ? AND spec_hash = ?"
                self.conn.execute(f"DELETE FROM samples WHERE result_id IN ({earlier})", (run_id, spec.spec_hash))
                self.conn.execute("DELETE FROM results WHERE run_id = ? AND spec_hash = ?", (run_id, spec.spec_hash))
            if env_id:
                self.conn.execute("INSERT OR IGNORE INTO environments VALUES (?, ?)",
                                  (env_id, json.dumps(result.environment, sort_keys=True)))
            self.conn.execute(
                f"INSERT OR IGNORE INTO specs (spec_hash, {', '.join(SPEC_COLUMNS)}, spec) "
                f"VALUES (?, {', '.join('?' * len(SPEC_COLUMNS))}, ?)",
                (spec.spec_hash, *[getattr(spec, c) for c in SPEC_COLUMNS], json.dumps(spec.to_dict())))
            cursor = self.conn.execute(
                "INSERT INTO results (run_id, spec_hash, env_id, outcome, error, checks, info, budget, "
                "started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, spec.spec_hash, env_id, result.outcome, result.error,
                 json.dumps(result.checks), json.dumps(result.info), json.dumps(budget),
                 result.started_at, result.finished_at))
            result_id = cursor.lastrowid
            self.conn.executemany(
                "INSERT INTO samples (result_id, metric, unit, idx, value, replicate) VALUES (?, ?, ?, ?, ?, ?)",
                [(result_id, metric, METRIC_UNITS[metric], i, v, r)
                 for metric in result.metrics for i, (v, r) in enumerate(zip(*result.replicate_values(metric)))])
        return result_id

    def results_of_run(self, run_id: str) -> list[SpecResult]:
        """The run's stored results as SpecResults (what `run --resume` continues from)."""
        results, samples, environments = self.frames()
        mine = results[results["run_id"] == run_id]
        by_result = dict(tuple(samples[samples["result_id"].isin(mine["result_id"])].groupby("result_id")))
        stored = []
        for row in mine.to_dict("records"):
            spec = Spec.from_dict({**{c: row[c] for c in SPEC_COLUMNS}, **row["budget"]})
            result = SpecResult(spec, row["outcome"], row["error"], checks=row["checks"], info=row["info"],
                                environment=environments.get(row["env_id"]) or {}, started_at=row["started_at"],
                                finished_at=row["finished_at"])
            rows = by_result.get(row["result_id"])
            for (metric, replicate), group in ([] if rows is None else rows.groupby(["metric", "replicate"], sort=False)):
                result.add(metric, list(group["value"]), replicate=int(replicate))
            stored.append(result)
        return stored

    # -- reading --------------------------------------------------------------------------------
    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, dict]]:
        """(results, samples, environments) from one consistent snapshot.

        results: one row per spec result with the spec's columns, outcome, error, checks/info
        (dicts), run and environment ids. samples: one row per sample value, with the spec's
        columns, metric, unit, idx, value, replicate, outcome. environments: env_id -> fingerprint.
        """
        with self._reading(), _transaction(self.conn):  # a read transaction: one snapshot for all three
            results = pd.read_sql_query(
                "SELECT r.result_id, r.run_id, r.spec_hash, r.env_id, r.outcome, r.error, r.checks, "
                "r.info, r.budget, r.started_at, r.finished_at, "
                + ", ".join(f"s.{c}" for c in SPEC_COLUMNS)
                + " FROM results r JOIN specs s USING (spec_hash) ORDER BY r.result_id", self.conn)
            replicate = "x.replicate" if _has_column(self.conn, "samples", "replicate") else "0 AS replicate"
            samples = pd.read_sql_query(
                f"SELECT x.result_id, x.metric, x.unit, x.idx, x.value, {replicate} FROM samples x "
                "ORDER BY x.result_id, x.metric, x.idx", self.conn)
            envs = {row[0]: json.loads(row[1]) for row in
                    self.conn.execute("SELECT env_id, fingerprint FROM environments")}
        for column in ("checks", "info", "budget"):
            results[column] = results[column].map(json.loads)
        keep = ["result_id", "run_id", "spec_hash", "env_id", "outcome", *SPEC_COLUMNS]
        samples = samples.merge(results[keep], on="result_id", how="left")
        return results, samples, envs

    def runs(self) -> pd.DataFrame:
        with self._reading():
            return pd.read_sql_query("SELECT * FROM runs ORDER BY started_at", self.conn)

    @contextmanager
    def _reading(self):
        """A damaged page met while reading is the store's damage, said in one line (not a traceback)."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise store_checks.damaged(self.path, exc) from None

    @contextmanager
    def _writing(self):
        """A write the disk or the file refuses (full, read-only, I/O) is a StoreWriteError; a write
        that breaks a constraint is a bug and stays what it is."""
        try:
            yield
        except sqlite3.IntegrityError:
            raise
        except (sqlite3.DatabaseError, OSError) as exc:
            raise store_checks.write_error(self.path, exc) from None

    # -- surveys (paper Table 1) -----------------------------------------------------------------
    def add_survey(self, facts: dict, environment: dict | None = None) -> int:
        """Store the facts `webdlbench survey` collected; returns the survey's id."""
        with self._writing(), _transaction(self.conn):
            self.conn.execute(SURVEY_SCHEMA)
            cursor = self.conn.execute(
                "INSERT INTO surveys (created_at, facts, environment) VALUES (?, ?, ?)",
                (time.time(), json.dumps(facts, sort_keys=True, default=str),
                 json.dumps(environment or {}, sort_keys=True, default=str)))
        return cursor.lastrowid

    def latest_survey(self) -> dict | None:
        """The most recent survey as {survey_id, created_at, facts, environment}, or None."""
        with self._reading():
            has = self.conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='surveys'").fetchone()
            if not has:
                return None
            row = self.conn.execute("SELECT survey_id, created_at, facts, environment FROM surveys "
                                    "ORDER BY survey_id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        return {"survey_id": row[0], "created_at": row[1], "facts": json.loads(row[2]),
                "environment": json.loads(row[3])}


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    """Version 1 had no replicate per sample: every result's samples become its replicate 0."""
    conn.execute("ALTER TABLE samples ADD COLUMN replicate INTEGER NOT NULL DEFAULT 0")


# Older schema versions this webdlbench reads as they are and upgrades in place when it writes.
MIGRATIONS = {1: _migrate_1_to_2}
# Every version this webdlbench reads -> the (table, column) pairs of SCHEMA it does not have yet.
READABLE_VERSIONS = {SCHEMA_VERSION: set(), 1: {("samples", "replicate")}}


def _schema_columns() -> dict[str, set[str]]:
    """table -> its columns, as SCHEMA makes them (what a store of this version must have)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(SCHEMA)
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                 "AND name NOT LIKE 'sqlite_%'")]
        return {t: {row[1] for row in conn.execute(f"PRAGMA table_info({t})")} for t in tables}
    finally:
        conn.close()


EXPECTED_COLUMNS = _schema_columns()


def _create(path: Path) -> None:
    """Make a new, empty store at `path` whole or not at all: built beside it under a temporary
    name and linked into place (never over a file that appeared meanwhile)."""
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.new")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(staging, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            with _transaction(conn):
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        finally:
            conn.close()
        try:
            os.link(staging, path)
        except FileExistsError:
            pass  # another process made it first: theirs is checked like any existing store
        except OSError:  # a filesystem without hard links: a rename is whole too (the path was free just now)
            if not path.exists():
                os.replace(staging, path)
    except (sqlite3.DatabaseError, OSError) as exc:
        raise store_checks.write_error(path, exc) from None
    finally:
        for leftover in (staging, *[Path(f"{staging}{suffix}") for suffix in ("-wal", "-shm")]):
            leftover.unlink(missing_ok=True)


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    with _transaction(conn):
        while version in MIGRATIONS:
            MIGRATIONS[version](conn)
            version += 1
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(version),))


def _has_column(conn: sqlite3.Connection, table: str, column: str, schema: str = "main") -> bool:
    return any(row[1] == column for row in conn.execute(f"PRAGMA {schema}.table_info({table})"))


@contextmanager
def _transaction(conn: sqlite3.Connection):
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # SQLite has already rolled back after some errors (a full disk, damage)
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


@contextmanager
def exclusive_writer(store_path: Path | str):
    """Hold the store's writer lock for a sweep; a second sweep on the same store is refused, by
    whatever path it names the store (a symlink, a hard link, another spelling).

    Two locks: one on `<resolved path>.lock`, taken first (the store may not exist yet; it is made
    under this lock), and one on the store file itself, which every link to it shares. Both are
    flock(2) locks, which SQLite's own (fcntl) locks on Linux do not touch. The path and the file
    are checked first, so that nothing is made beside a path that is not a store."""
    path = Path(store_path)
    store_checks.check_path(path)
    if path.exists():
        store_checks.inspect(path, EXPECTED_COLUMNS, READABLE_VERSIONS)
    real = Path(os.path.realpath(path))
    with _flocked(real.with_name(real.name + ".lock"), path, create=True):
        if not real.exists():
            Store.open(real).close()
        # Opened and closed only while no connection of this process has the store open (the
        # sweep's Store is closed inside): closing it cannot drop SQLite's locks.
        with _flocked(real, path, create=False):
            yield


@contextmanager
def _flocked(file: Path, store_path: Path, create: bool):
    try:
        if create:
            file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(file, (os.O_RDWR | os.O_CREAT) if create else os.O_RDONLY, 0o644)
    except OSError as exc:
        raise UserError(f"cannot write beside the store {store_path} ({exc.strerror}): "
                        "give a writable --store path") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"another `webdlbench run` is writing {store_path}: wait for it to finish "
                            "or give another --store") from None
        yield
    finally:
        os.close(fd)
