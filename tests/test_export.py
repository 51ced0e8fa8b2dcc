"""`webdlbench export`: summary and raw rows as CSV, JSON and Parquet (webdlbench.export)."""
import io
import json

import pandas as pd
import pytest

from webdlbench.errors import UserError
from webdlbench.export import export
from webdlbench.spec import Spec, SpecResult
from webdlbench.store import Store

SUMMARY_REQUIRED = ["framework", "backend", "task", "model", "depth", "width", "batch", "metric", "unit", "n",
                    "median", "ci_low", "ci_high", "outcome"]


@pytest.fixture
def store_path(tmp_path):
    train = Spec("tfjs", "webgl", "train", 2, 128)
    infer = Spec("convnetjs", "cpu", "infer", 1, 64)
    broken = Spec("tfjs", "webgpu", "infer", 1, 64)
    path = tmp_path / "store.sqlite"
    with Store.open(path) as store:
        run = store.start_run("quick", "test", [train, infer, broken])
        ok = SpecResult(train, "ok")
        ok.add("train_batch_ms", [3.0, 1.0, 2.0, 4.0, 5.0, 6.0, 7.0])
        store.add_result(run, ok)
        flagged = SpecResult(infer, "check_failed", error="output 3 differs by 0.2")
        flagged.add("infer_ms", [0.5, 0.25])
        flagged.add("model_file_bytes", [123456])
        store.add_result(run, flagged)
        store.add_result(run, SpecResult(broken, "unsupported", error="no WebGPU adapter"))
    return path


def test_csv_summary_to_stdout(store_path, capsys):
    assert export(store_path, "csv", raw=False, out=None) is None
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    table[["metric", "error"]] = table[["metric", "error"]].fillna("")  # CSV writes "" as an empty field
    assert set(SUMMARY_REQUIRED) <= set(table.columns)
    assert sorted(table["metric"]) == ["", "infer_ms", "model_file_bytes", "train_batch_ms"]
    train = table[table["metric"] == "train_batch_ms"].iloc[0]
    assert (train["n"], train["median"], train["unit"], train["outcome"]) == (7, 4.0, "ms", "ok")
    broken = table[table["metric"] == ""].iloc[0]
    assert (broken["backend"], broken["n"], broken["outcome"], broken["error"]) == (
        "webgpu", 0, "unsupported", "no WebGPU adapter")


def test_json_summary_to_file(store_path, tmp_path):
    out = tmp_path / "summary.json"
    assert export(store_path, "json", raw=False, out=out) == out
    records = json.loads(out.read_text())
    assert all(set(SUMMARY_REQUIRED) <= set(r) for r in records)
    infer = next(r for r in records if r["metric"] == "infer_ms")
    assert (infer["framework"], infer["n"], infer["median"], infer["outcome"]) == (
        "convnetjs", 2, 0.375, "check_failed")


def test_parquet_summary_round_trips(store_path, tmp_path):
    out = tmp_path / "summary.parquet"
    export(store_path, "parquet", raw=False, out=out)
    table = pd.read_parquet(out)
    assert set(SUMMARY_REQUIRED) <= set(table.columns)
    assert table.loc[table["metric"] == "model_file_bytes", "median"].tolist() == [123456]


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_raw_has_one_row_per_sample_with_the_error(store_path, tmp_path, fmt):
    out = tmp_path / f"raw.{fmt}"
    export(store_path, fmt, raw=True, out=out)
    table = {"csv": lambda p: pd.read_csv(p, keep_default_na=False), "json": pd.read_json,
             "parquet": pd.read_parquet}[fmt](out)
    assert len(table) == 7 + 2 + 1
    assert {"spec_hash", "run_id", "metric", "unit", "idx", "value", "outcome", "error"} <= set(table.columns)
    infer = table[table["metric"] == "infer_ms"]
    assert sorted(infer["value"]) == [0.25, 0.5]
    assert set(infer["error"]) == {"output 3 differs by 0.2"}


def test_parquet_needs_a_file(store_path):
    with pytest.raises(UserError, match="parquet is binary: give -o FILE"):
        export(store_path, "parquet", raw=False, out=None)


@pytest.mark.parametrize("call, message", [
    (lambda p, d: export(p, "xlsx", False, None), "unknown export format 'xlsx'"),
    (lambda p, d: export(d / "missing.sqlite", "csv", False, None), "no results store"),
    (lambda p, d: export(p, "csv", False, d / "no-such-dir" / "out.csv"), "cannot write"),
])
def test_user_errors_name_the_problem(store_path, tmp_path, call, message):
    with pytest.raises(UserError, match=message):
        call(store_path, tmp_path)


def test_runs_are_never_pooled_unless_asked_and_every_row_names_its_run_and_environment(tmp_path):
    spec = Spec("tfjs", "wasm", "train", 1, 64)
    path = tmp_path / "two-runs.sqlite"
    run_ids = []
    with Store.open(path) as store:
        for values, version in (([4.0, 4.1, 3.9], "4.21.0"), ([8.0, 8.1, 7.9], "4.22.0")):
            run = store.start_run("quick", "test", [spec])
            done = SpecResult(spec, "ok", environment={"library_versions": {"tfjs": version}})
            done.add("train_batch_ms", values)
            store.add_result(run, done)
            run_ids.append(run)
        _, _, environments = store.frames()
    out = tmp_path / "per-run.json"
    export(path, "json", out=out)
    rows = sorted(json.loads(out.read_text()), key=lambda r: r["median"])
    assert [(r["run_id"], r["median"], r["n"]) for r in rows] == [(run_ids[0], 4.0, 3), (run_ids[1], 8.0, 3)]
    assert [environments[r["env_id"]]["library_versions"]["tfjs"] for r in rows] == ["4.21.0", "4.22.0"]
    export(path, "json", out=out, pool_runs=True)
    (pooled,) = json.loads(out.read_text())
    assert pooled["n"] == 6 and sorted(pooled["run_id"].split()) == sorted(run_ids)
    assert len(pooled["env_id"].split()) == 2
