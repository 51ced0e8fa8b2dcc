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


def export(store_path: Path | str, fmt: str, raw: bool = False, out: Path | str | None = None) -> Path | None:
    """Write the store's summary (or, with raw, every sample) as fmt to out, or to stdout when out
    is None or "-"; returns the file written, if any."""
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
    table = raw_frame(samples, results) if raw else summary_frame(samples, results)
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


def raw_frame(samples: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    """One row per sample value with its spec, run, outcome and the result's verbatim error."""
    merged = samples.merge(results[["result_id", "error"]], on="result_id", how="left")
    return merged[RAW_COLUMNS]


def _serialise(table: pd.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return table.to_csv(index=False)
    # Full double precision: an export must not round what the store holds.
    return table.to_json(orient="records", double_precision=15) + "\n"
