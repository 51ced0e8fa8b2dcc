"""The SQLite store: atomic spec results, snapshots for readers, resume bookkeeping, one writer."""
import sqlite3

import pytest

from webdlbench.errors import UserError
from webdlbench.analysis.stats import SPEC_KEYS
from webdlbench.spec import IDENTITY_FIELDS, Spec, SpecResult
from webdlbench.store import Store, exclusive_writer

SPEC = Spec("tfjs", "cpu", "train", depth=1, width=64)


def measured(spec=SPEC, outcome="ok", **metrics):
    result = SpecResult(spec, outcome, environment={"user_agent": "test"}, started_at=1.0, finished_at=2.0)
    for name, values in (metrics or {"train_batch_ms": [3.0, 4.0, 5.0]}).items():
        result.add(name, values)
    return result


def test_a_result_and_its_samples_round_trip(tmp_path):
    with Store.open(tmp_path / "s.sqlite") as store:
        run = store.start_run("quick", "quick.toml", [SPEC])
        store.add_result(run, measured())
        results, samples, envs = store.frames()
    assert results.loc[0, "outcome"] == "ok" and results.loc[0, "depth"] == 1
    assert samples.value.tolist() == [3.0, 4.0, 5.0] and set(samples.unit) == {"ms"}
    assert list(envs.values()) == [{"user_agent": "test"}]


def test_the_spec_identity_is_written_once_and_the_table_holds_it(tmp_path):
    with Store.open(tmp_path / "s.sqlite") as store:
        columns = [row[1] for row in store.conn.execute("PRAGMA table_info(specs)")]
        run = store.start_run("quick", "quick.toml", [SPEC])
        store.add_result(run, measured())
        results, _, _ = store.frames()
    assert columns == ["spec_hash", *IDENTITY_FIELDS, "spec"]
    assert sorted(SPEC_KEYS) == sorted(IDENTITY_FIELDS)  # the summaries' keys: the same fields, display order
    row = results.iloc[0]
    assert {name: row[name] for name in IDENTITY_FIELDS} == {name: getattr(SPEC, name) for name in IDENTITY_FIELDS}


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    with Store.open(tmp_path / "s.sqlite") as store:
        run = store.start_run("quick", "quick.toml", [SPEC])
        store.add_result(run, measured())
        with pytest.raises(sqlite3.IntegrityError):  # the same spec twice in one run
            store.add_result(run, measured(train_batch_ms=[9.0]))
        results, samples, _ = store.frames()
    assert len(results) == 1 and 9.0 not in samples.value.tolist()


def test_resume_bookkeeping(tmp_path):
    other = Spec("tfjs", "cpu", "train", depth=2, width=64)
    with Store.open(tmp_path / "s.sqlite") as store:
        run = store.start_run("quick", "quick.toml", [SPEC, other])
        store.add_result(run, measured())
        assert store.latest_unfinished_run("quick") == run
        assert store.completed_specs(run) == {SPEC.spec_hash}
        store.finish_run(run)
        assert store.latest_unfinished_run("quick") is None


def test_unknown_metrics_are_refused():
    with pytest.raises(ValueError):
        SpecResult(SPEC, "ok").add("speed", [1])


def test_bad_store_paths_are_user_errors(tmp_path):
    (tmp_path / "junk.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(UserError, match="cannot be used as a results store"):
        Store.open(tmp_path / "junk.sqlite")
    with pytest.raises(UserError, match="is a directory"):
        Store.open(tmp_path)
    with pytest.raises(UserError, match="no results store"):
        Store.open(tmp_path / "absent.sqlite", create=False)


def test_a_second_writer_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    with exclusive_writer(path):
        with pytest.raises(UserError, match="another `webdlbench run` is writing"):
            with exclusive_writer(path):
                pass
    with exclusive_writer(path):  # released: the next sweep may write
        pass


def test_samples_keep_their_replicate(tmp_path):
    result = SpecResult(SPEC, "ok", started_at=1.0, finished_at=2.0)
    result.add("train_batch_ms", [3.0, 4.0], replicate=0)
    result.add("train_batch_ms", [5.0], replicate=1)
    with Store.open(tmp_path / "s.sqlite") as store:
        store.add_result(store.start_run("quick", "quick.toml", [SPEC]), result)
        _, samples, _ = store.frames()
    assert list(zip(samples.value, samples.replicate)) == [(3.0, 0), (4.0, 0), (5.0, 1)]


def test_a_version_1_store_is_read_as_it_is_and_migrated_when_written(tmp_path):
    path = tmp_path / "old.sqlite"
    with Store.open(path) as store:
        store.add_result(store.start_run("quick", "quick.toml", [SPEC]), measured())
    conn = sqlite3.connect(path)  # make it what version 1 wrote: no replicate column
    conn.executescript("ALTER TABLE samples DROP COLUMN replicate; UPDATE meta SET value = '1' "
                       "WHERE key = 'schema_version';")
    conn.close()
    before = path.read_bytes()
    with Store.open(path, create=False) as store:  # a reader: the file is not changed
        _, samples, _ = store.frames()
    assert samples.replicate.tolist() == [0, 0, 0] and path.read_bytes() == before
    with Store.open(path) as store:  # a writer upgrades it in place, keeping every sample
        store.add_result(store.start_run("quick", "quick.toml", [SPEC]), measured(train_batch_ms=[7.0]))
        _, samples, _ = store.frames()
        version = store.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert version == "2" and samples.value.tolist() == [3.0, 4.0, 5.0, 7.0]
