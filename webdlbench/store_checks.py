"""Checks on a results store's file before and while it is used: is the path usable, is the file a
webdlbench store and whole, can it be written, and what to say when it is not.

Everything here reads the file through a read-only connection, so that a file that is not a
webdlbench store (another program's database, an empty file, a damaged store) is refused without a
byte of it changing. Every refusal is a UserError naming the file, what is wrong and the fix.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import quote

from webdlbench.errors import UserError
from webdlbench.limits import shown

SQLITE_HEADER = b"SQLite format 3\x00"
# SQLite's own files beside a database, and the writer lock beside the store.
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal", ".lock")
# A sweep needs room for its results and for the models and data it caches beside the store.
MIN_FREE_BYTES = 16 * 2 ** 20
FIX_DAMAGED = "restore it from a copy, or give another --store path"


class StoreWriteError(UserError):
    """The store could not be written (full disk, read-only file, I/O error); what was stored stays."""


def check_path(path: Path) -> None:
    """Refuse a store path that cannot be a store file, before anything is created beside it."""
    if path.is_dir():
        raise UserError(f"store path {path} is a directory: give a file path such as {path}/webdlbench.sqlite")
    if path.exists() and not path.is_file():
        raise UserError(f"store path {path} is not a regular file (a device, a pipe or a socket): "
                        "give the path of a store file")
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UserError(f"cannot create the store {path}: {ancestor} is not a folder; give a writable --store path")


def readonly_connection(path: Path) -> sqlite3.Connection:
    """A connection that cannot change the file. A store in a folder this user cannot write (its
    -shm file cannot be made) is read as an immutable file, which is safe when no writer has
    uncommitted pages in a -wal file beside it."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        wal = Path(str(path) + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise
    return sqlite3.connect(uri + "&immutable=1", uri=True, timeout=30, isolation_level=None)


def inspect(path: Path, expected: dict[str, set[str]], versions: dict[int, set[tuple[str, str]]]) -> int:
    """The schema version of the webdlbench store at `path`, after checking that it is one: an
    SQLite file, with a readable schema version this webdlbench knows (`versions`: version -> the
    (table, column) pairs of `expected` it lacks), every table and column, and pages that pass
    PRAGMA quick_check. Refuses anything else; never writes."""
    size = path.stat().st_size
    if size == 0:
        raise UserError(f"{path} is an empty file, not a store webdlbench wrote: delete it to start a new "
                        "store there, or give another --store path")
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise UserError(f"{path} cannot be used as a results store: it is not an SQLite database; "
                            "give the store `webdlbench run` wrote, or a new --store path")
    try:
        conn = readonly_connection(path)
    except sqlite3.DatabaseError as exc:
        raise damaged(path, exc) from None
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" not in tables:
            found = ", ".join(sorted(tables)[:5]) or "none"
            raise UserError(f"{path} is not a webdlbench store (its tables: {shown(found)}): it is left as it "
                            "is; give the store `webdlbench run` wrote, or a new --store path")
        version = _version(conn, path, versions)
        for table, columns in expected.items():
            if table not in tables:
                raise damaged(path, f"its table {table!r} is missing")
            have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            missing = sorted(c for c in columns - have if (table, c) not in versions[version])
            if missing:
                raise damaged(path, f"table {table!r} lacks the column {missing[0]!r}")
        if [row[0] for row in conn.execute("PRAGMA quick_check(1)")] != ["ok"]:
            raise damaged(path, "PRAGMA quick_check failed")
        return version
    except sqlite3.DatabaseError as exc:
        raise damaged(path, exc) from None
    finally:
        conn.close()


def _version(conn: sqlite3.Connection, path: Path, versions: dict) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        raise damaged(path, "its schema version (the meta table's schema_version row) is gone")
    try:
        version = int(row[0])
    except (TypeError, ValueError):
        raise damaged(path, f"its schema version {shown(row[0])} is not a number") from None
    newest = max(versions)
    if version > newest:
        raise UserError(f"{path} has store schema {version}, newer than this webdlbench's {newest}: "
                        "read it with a newer webdlbench, or give another --store path")
    if version not in versions:
        raise UserError(f"{path} has store schema {version}, which this webdlbench cannot read: "
                        "give another --store path")
    return version


def damaged(path: Path, what) -> UserError:
    """The one-line error for a damaged store: what failed, and what SQLite's own check says."""
    check, verdict = sqlite_verdict(path)
    said = "; ".join(line for entry in verdict for line in entry.splitlines()
                     if line != "ok" and not line.startswith("*** in database"))
    if len(said) > 200:
        said = said[:200] + "…"
    return UserError(f"{path} is damaged ({_first_line(what)}{f'; {check}: {said}' if said else ''}): {FIX_DAMAGED}")


def sqlite_verdict(path: Path) -> tuple[str, list[str]]:
    """(the check, its lines): PRAGMA integrity_check's first problems, or quick_check's when the
    damage stops the full check (SQLite stops a check at some damage; fewer problems asked for get
    further); ('', []) when none can run."""
    for check, most in (("integrity_check", 3), ("quick_check", 3), ("quick_check", 1)):
        try:
            conn = readonly_connection(path)
            try:
                return f"PRAGMA {check}", [row[0] for row in conn.execute(f"PRAGMA {check}({most})")]
            finally:
                conn.close()
        except sqlite3.DatabaseError:  # too damaged for this check
            continue
    return "", []


def write_error(path: Path, exc: BaseException) -> StoreWriteError:
    """What a failed write of the store means, in one line with the fix."""
    words = _first_line(exc)
    if "full" in words or getattr(exc, "errno", None) == 28:
        fix = "free space on its disk"
    elif "readonly" in words or "read-only" in words or isinstance(exc, PermissionError):
        fix = "make it (and its folder) writable, or give another --store path"
    elif "malformed" in words or "not a database" in words:
        fix = FIX_DAMAGED
    else:
        fix = "check its disk, or give another --store path"
    return StoreWriteError(f"cannot write the store {path} ({words}): {fix}")


def check_writable(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse, before anything is measured, a store that cannot be written: a read-only file or
    folder, or a disk with less than MIN_FREE_BYTES free."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.DatabaseError as exc:
        raise write_error(path, exc) from None
    free = shutil.disk_usage(path.resolve().parent).free
    if free < MIN_FREE_BYTES:
        raise StoreWriteError(f"cannot write the store {path}: its disk has {free / 2 ** 20:.1f} MiB free, "
                              f"less than the {MIN_FREE_BYTES // 2 ** 20} MiB a sweep needs; free space on it")


def is_store_file(store: Path, other: Path) -> bool:
    """True when `other` is the store's file or one of its companions (-wal, -shm, lock), by path
    or by identity (a symlink or hard link to it)."""
    candidates = [store] + [Path(str(store) + suffix) for suffix in COMPANION_SUFFIXES]
    for candidate in candidates:
        if os.path.realpath(candidate) == os.path.realpath(other):
            return True
        try:
            if candidate.exists() and other.exists() and os.path.samefile(candidate, other):
                return True
        except OSError:
            continue
    return False


def _first_line(what) -> str:
    text = str(what).strip() or type(what).__name__
    return text.splitlines()[0]
