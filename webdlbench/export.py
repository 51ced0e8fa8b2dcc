"""`webdlbench export`: the store as CSV, JSON or Parquet, summarised or one row per sample."""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from webdlbench.analysis.stats import summary_frame
from webdlbench.errors import UserError
from webdlbench.store import Store
from webdlbench.store_checks import is_store_file

FORMATS = ("csv", "json", "parquet")
RAW_COLUMNS = ["result_id", "run_id", "spec_hash", "env_id", "runtime", "framework", "backend", "task",
               "model", "depth", "width", "batch", "threads", "seed", "metric", "unit", "idx", "value",
               "outcome", "error"]


def export(store_path: Path | str, fmt: str, raw: bool = False, out: Path | str | None = None,
           pool_runs: bool = False) -> Path | None:
    """Write the store's summary (or, with raw, every sample) as fmt to out, or to stdout when out
    is None or "-"; returns the file written, if any. The summary has one row per spec, metric and
    run, or with `pool_runs` per spec and metric over every run; either way with the run ids and
    environment ids it rests on."""
    if fmt not in FORMATS:
        raise UserError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    to_stdout = out is None or str(out) == "-"
    if fmt == "parquet" and to_stdout:
        raise UserError("parquet is binary: give -o FILE")
    if not to_stdout and is_store_file(Path(store_path), Path(out)):
        raise UserError(f"-o {out} is the results store {store_path} (or a file of it): the export would "
                        "overwrite the results; give another -o FILE")
    with Store.open(store_path, create=False) as store:
        results, samples, _ = store.frames()
    table = raw_frame(samples, results) if raw else summary_with_runs(samples, results, pool_runs)
    if to_stdout:
        sys.stdout.write(_serialise(table, fmt))
        return None
    path = Path(out)
    try:
        if fmt == "parquet":
            table.to_parquet(path, index=False)
        else:
            path.write_text(_serialise(table, fmt))
    except OSError as exc:
        raise UserError(f"cannot write {path} ({exc.strerror or exc}): give a writable -o FILE") from None
    return path


def summary_with_runs(samples: pd.DataFrame, results: pd.DataFrame, pool_runs: bool = False) -> pd.DataFrame:
    """stats.summary_frame per run (or pooled), with `run_id` and `env_id` columns after spec_hash:
    the run and environment of each row, or for pooled rows every one of them, space-separated."""
    table = summary_frame(samples, results, per_run=not pool_runs)
    keys = ["spec_hash"] if pool_runs else ["spec_hash", "run_id"]
    ids = results.groupby(keys, sort=False).agg(
        run_ids=("run_id", _joined), env_ids=("env_id", _joined)).reset_index()
    table = table.merge(ids, on=keys, how="left")
    # Per run, summary_frame has run_id already; pooled, the joined run ids take its place.
    table = table.rename(columns={"run_ids": "run_id"}) if pool_runs else table.drop(columns="run_ids")
    table = table.rename(columns={"env_ids": "env_id"})
    columns = list(table.columns)
    for name in ("env_id", "run_id"):
        columns.remove(name)
        columns.insert(columns.index("spec_hash") + 1, name)
    return table[columns]


def _joined(values: pd.Series) -> str:
    """The distinct non-empty ids, in order, space-separated."""
    return " ".join(dict.fromkeys(str(v) for v in values if isinstance(v, str) and v))


def raw_frame(samples: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    """One row per sample value with its spec, run, outcome and the result's verbatim error."""
    merged = samples.merge(results[["result_id", "error"]], on="result_id", how="left")
    return merged[RAW_COLUMNS]


def _serialise(table: pd.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return table.to_csv(index=False)
    # Full double precision: an export must not round what the store holds.
    return table.to_json(orient="records", double_precision=15) + "\n"
