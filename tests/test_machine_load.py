"""The machine's load, recorded with every result and compared between runs: two runs of a suite made
under different load can disagree for that reason alone, so `compare` says so — and stays silent when the
loads are alike or unknown (stores from before it was recorded)."""
import asyncio
import copy
import json

import pandas as pd

from tests.fakes import FakeRunner
from tests.test_compare_runs import BASE, NEW, compare_cli, write_runs
from webdlbench import hostinfo
from webdlbench.analysis.machine_load import load_warning, run_load
from webdlbench.spec import Spec
from webdlbench.sweep import Worker, sweep


def results_with(*loads, cpus=2):
    return pd.DataFrame({"info": [{"machine_load": {"start": s, "end": e, "cpus": cpus}} for s, e in loads]})


def test_every_result_records_the_load_at_its_specs_start_and_end(monkeypatch):
    readings = iter([1.5, 2.5])
    monkeypatch.setattr(hostinfo, "load_average", lambda: next(readings))
    delivered = []
    spec = Spec("tfjs", "cpu", "train", depth=1, width=8, replicates=1)
    asyncio.run(sweep([spec], [Worker(FakeRunner("a", lambda *_: "ok"))], None, delivered.append))
    (result,) = delivered
    assert result.info["machine_load"] == {"start": 1.5, "end": 2.5, "cpus": hostinfo.cpu_count()}


def test_a_runs_load_is_the_median_of_its_results_and_older_results_have_none():
    load = run_load(results_with((1.0, 2.0), (2.0, 2.0), (6.0, 8.0)))
    assert (load.median, load.low, load.high, load.cpus, load.results) == (2.0, 1.5, 7.0, 2, 3)
    assert load.short() == "2.0 (1.5–7.0) on 2 CPUs" and load.text() == "load 2.0 (1.5–7.0) on 2 CPUs"
    assert run_load(pd.DataFrame({"info": [{}, {"machine_load": {"start": None, "end": None}}]})) is None


def test_loads_that_differ_by_half_a_process_per_cpu_are_called_different():
    quiet, busy = run_load(results_with((2.0, 2.2))), run_load(results_with((6.0, 8.0)))
    warning = load_warning(quiet, busy)
    assert "busier during the new run" in warning and "load 2.1" in warning and "load 7.0" in warning
    assert "busier during the base run" in load_warning(busy, quiet)
    alike = run_load(results_with((2.6, 2.8)))  # 0.6 apart on 2 CPUs: under 1.0
    assert load_warning(quiet, alike) == ""
    assert load_warning(None, busy) == "" and load_warning(quiet, None) == ""


def test_compare_says_when_the_machine_was_busier_in_one_run(tmp_path, capsys, monkeypatch):
    base, new = copy.deepcopy(BASE), copy.deepcopy(NEW)
    for done in base:
        done.info["machine_load"] = {"start": 1.9, "end": 2.1, "cpus": 2}
    for done in new:
        done.info["machine_load"] = {"start": 7.0, "end": 9.0, "cpus": 2}
    path = tmp_path / "s.sqlite"
    write_runs(path, base, new)
    code, out = compare_cli(capsys, monkeypatch, "--store", path)
    assert code == 0
    text = " ".join(out.out.split())
    assert "The machine was busier during the new run: base load 2.0" in text and "new load 8.0" in text
    code, out = compare_cli(capsys, monkeypatch, "--store", path, "--format", "json")
    loads = json.loads(out.out)["machine_load"]
    assert loads["base"]["median"] == 2.0 and loads["new"]["median"] == 8.0 and "busier" in loads["warning"]


def test_compare_is_silent_about_load_when_the_runs_recorded_none(tmp_path, capsys, monkeypatch):
    path = tmp_path / "s.sqlite"
    write_runs(path, BASE, NEW)
    code, out = compare_cli(capsys, monkeypatch, "--store", path)
    assert code == 0 and "busier" not in out.out
