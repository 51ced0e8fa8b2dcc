"""Stores a user can get wrong, against the real CLI and real SQLite files (issue #18, items 3, 6, 7,
8 and 12): an export aimed at the store itself, damaged stores, other programs' databases, a second
writer through a link, lock files beside paths that are not stores, a read-only store of another
user. Each is refused with one line and exit 2, and nothing is changed."""
import os
import sqlite3
from contextlib import closing

import pytest

from tests.faults.helpers import assert_refused, cli, write_suite
from webdlbench.cli import main
from webdlbench.spec import Spec, SpecResult
from webdlbench.store import Store, exclusive_writer

PAIR = [Spec("tfjs", "cpu", "train", 1, 64), Spec("pytorch", "cpu", "train", 1, 64, runtime="native")]


def make_store(path, samples=3000):
    """A real store with a browser+native pair (what `gap` and the report read), many pages long."""
    with Store.open(path) as store:
        run = store.start_run("quick", "quick.toml", PAIR)
        for spec in PAIR:
            result = SpecResult(spec, "ok", started_at=1.0, finished_at=2.0)
            result.add("train_batch_ms", [1.0 + i / 1000 for i in range(samples)])
            store.add_result(run, result)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")  # everything in the main file, as after a clean close
    return path


def damage(path, how):
    if how == "page":  # the last page's b-tree type byte: what a torn write or a bad sector leaves
        data = bytearray(path.read_bytes())
        data[len(data) - 4096] = 0
        path.write_bytes(bytes(data))
        return
    statement = {"version": "UPDATE meta SET value = 'two' WHERE key = 'schema_version'",
                 "table": "DROP TABLE samples",
                 "meta row": "DELETE FROM meta"}[how]
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute(statement)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")


def commands(store, tmp_path):
    """Every command that opens a store, given `store`."""
    suite = write_suite(tmp_path)
    other = make_store(tmp_path / "other.sqlite", samples=10)
    return {
        "report": ["report", "--store", store, "--out", tmp_path / "report"],
        "run": ["run", suite, "--store", store],
        "export": ["export", "--store", store, "--format", "csv"],
        "gap": ["gap", "--store", store, "--no-peak"],
        "compare": ["compare", "--store", store],
        "compare against": ["compare", "--store", other, "--base-store", store],
        "merge into": ["merge", other, "--store", store],
        "merge from": ["merge", store, "--store", other],
    }


def run_main(capsys, args):
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("how, words", [
    ("page", "PRAGMA quick_check: Page"),
    ("version", "its schema version 'two' is not a number"),
    ("table", "its table 'samples' is missing"),
    ("meta row", "schema_version row) is gone"),
])
def test_a_damaged_store_is_one_line_in_every_command_and_stays_as_it_is(tmp_path, capsys, how, words):
    store = make_store(tmp_path / "s.sqlite")
    damage(store, how)
    before = store.read_bytes()
    for name, args in commands(store, tmp_path).items():
        code, err = run_main(capsys, args)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and "Traceback" not in err, (name, err)
        assert f"{store} is damaged" in lines[0] and words in lines[0], (name, lines[0])
        assert "no browser+native pairs" not in err
    assert store.read_bytes() == before


def foreign_database(path, wal=False):
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        if wal:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE people (name TEXT)")
        conn.execute("INSERT INTO people VALUES ('Ada')")
    return path


@pytest.mark.parametrize("kind, words", [
    ("another program's database", "is not a webdlbench store (its tables: 'people')"),
    ("another program's WAL database", "is not a webdlbench store (its tables: 'people')"),
    ("an empty file", "is an empty file, not a store webdlbench wrote"),
    ("a text file", "cannot be used as a results store: it is not an SQLite database"),
])
def test_a_file_that_is_not_a_store_is_refused_without_a_byte_changed(tmp_path, capsys, kind, words):
    folder = tmp_path / "stores"
    folder.mkdir()
    store = folder / "s.sqlite"
    if kind == "an empty file":
        store.write_bytes(b"")
    elif kind == "a text file":
        store.write_text("results: none yet\n" * 100)
    else:
        foreign_database(store, wal="WAL" in kind)
    before, files = store.read_bytes(), sorted(os.listdir(folder))
    for name, args in commands(store, tmp_path).items():
        code, err = run_main(capsys, args)
        assert code == 2 and len(err.strip().splitlines()) == 1 and words in err, (name, err)
        assert store.read_bytes() == before, name
        if "WAL" not in kind:  # (SQLite keeps a -shm file beside any WAL database it reads)
            assert sorted(os.listdir(folder)) == files, (name, os.listdir(folder))
    with closing(sqlite3.connect(store)) as conn:  # still the other program's, as it was
        if "database" in kind:
            assert conn.execute("SELECT name FROM people").fetchall() == [("Ada",)]
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == ("wal" if "WAL" in kind else "delete")


@pytest.mark.parametrize("target", ["store", "symlink", "hard link", "-wal", "-shm", "lock"])
def test_export_refuses_to_write_over_the_store(tmp_path, capsys, target):
    store = make_store(tmp_path / "s.sqlite", samples=10)
    with Store.open(store) as opened:  # a writer leaves its -wal and -shm while open
        opened.conn.execute("SELECT 1")
        out = {"store": store, "symlink": tmp_path / "link.sqlite", "hard link": tmp_path / "hard.sqlite",
               "-wal": tmp_path / "s.sqlite-wal", "-shm": tmp_path / "s.sqlite-shm",
               "lock": tmp_path / "s.sqlite.lock"}[target]
        if target == "symlink":
            out.symlink_to(store)
        if target == "hard link":
            os.link(store, out)
        if target == "lock":
            out.write_text("")
        before = store.read_bytes()
        code, err = run_main(capsys, ["export", "--store", store, "--format", "csv", "-o", out])
    assert code == 2 and "is the results store" in err and "give another -o FILE" in err
    assert store.read_bytes() == before
    with Store.open(store, create=False) as reopened:
        assert len(reopened.frames()[0]) == 2


@pytest.mark.parametrize("link", ["symlink", "hard link"])
def test_a_second_sweep_through_a_link_is_refused(tmp_path, link):
    store = make_store(tmp_path / "s.sqlite", samples=10)
    other_name = tmp_path / "other-name.sqlite"
    if link == "symlink":
        other_name.symlink_to(store)
    else:
        os.link(store, other_name)
    with exclusive_writer(store):  # a sweep writing the store by its own name
        done = cli("run", write_suite(tmp_path), "--store", other_name)
    assert_refused(done, "another `webdlbench run` is writing", str(other_name))
    assert Store.open(store, create=False).runs().shape[0] == 1  # the refused sweep started no run


def test_no_lock_file_is_made_beside_a_path_that_is_not_a_store(tmp_path, capsys):
    suite = write_suite(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    foreign = foreign_database(tmp_path / "people.sqlite")
    for store, words in [(fifo, "is not a regular file"), (folder, "is a directory"),
                         (foreign, "is not a webdlbench store")]:
        before = sorted(os.listdir(tmp_path))
        code, err = run_main(capsys, ["run", suite, "--store", store])
        assert code == 2 and words in err, err
        assert sorted(os.listdir(tmp_path)) == before  # no fifo.lock, a-folder.lock, people.sqlite.lock


def test_a_read_only_store_of_another_user_can_be_exported_and_reported(tmp_path):
    writable = make_store(tmp_path / "s.sqlite", samples=10)
    expected = cli("export", "--store", writable, "--format", "csv")
    assert expected.returncode == 0, expected.stderr
    folder = tmp_path / "theirs"
    folder.mkdir()
    store = folder / "s.sqlite"
    store.write_bytes(writable.read_bytes())
    if os.geteuid() == 0:
        os.chown(store, 65534, 65534)  # nobody's
        os.chown(folder, 65534, 65534)
    store.chmod(0o444)
    folder.chmod(0o555)  # not even a -shm file can be made beside it
    try:
        exported = cli("export", "--store", store, "--format", "csv", unprivileged=True)
        reported = cli("report", "--store", store, "--out", tmp_path / "report", unprivileged=True)
    finally:
        folder.chmod(0o755)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == expected.stdout
    assert reported.returncode == 0 and (tmp_path / "report" / "index.html").exists(), reported.stderr
    assert sorted(os.listdir(folder)) == ["s.sqlite"]


@pytest.mark.parametrize("values, words", [
    ([2.0, float("nan"), 3.0], "has nan"),           # SQLite would store NULL: the crash of item 1
    ([-5.0, -1e9, 0.0, -3.0], "has -5.0, outside its range > 0"),
    ([2.0, float("inf")], "has inf"),
])
def test_the_store_never_holds_a_value_out_of_range_whoever_produced_it(tmp_path, values, words):
    """The last gate: a result reaching the store with an impossible value (from any runner) is
    written as an error naming it, its valid metrics kept, the invalid one dropped; nothing crashes."""
    spec = Spec("tfjs", "cpu", "train", 1, 64)
    result = SpecResult(spec, "ok", started_at=1.0, finished_at=2.0)
    result.add("train_batch_ms", values)
    result.add("js_heap_used_bytes", [1024])
    with Store.open(tmp_path / "s.sqlite") as store:
        store.add_result(store.start_run("quick", "quick.toml", [spec]), result)
        results, samples, _ = store.frames()
    assert results.outcome.tolist() == ["error"] and words in results["error"][0]
    assert results["info"][0]["dropped_metrics"] == ["train_batch_ms"]
    assert samples.metric.tolist() == ["js_heap_used_bytes"] and samples.value.tolist() == [1024.0]
