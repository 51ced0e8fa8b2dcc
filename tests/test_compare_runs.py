"""`webdlbench compare`: two runs side by side per spec, tested over replicates (Welch on log replicate
medians, Holm across the table), worded as tachometer does, and --fail-if-slower's exit code. Stores
are written here from SpecResults whose replicate medians are set, so the right answer is known."""
import json

import pandas as pd
import pytest

from webdlbench import comparison
from webdlbench.cli import main
from webdlbench.commands.compare import EXIT_SLOWER
from webdlbench.errors import UserError
from webdlbench.spec import Spec, SpecResult
from webdlbench.store import Store

TFJS_421 = {"library_versions": {"tfjs": "4.21.0"}, "browser_version": "156"}
TFJS_422 = {"library_versions": {"tfjs": "4.22.0"}, "browser_version": "156"}


def result(framework, backend, medians, runtime="browser", task="train", outcome="ok", environment=None):
    """A result whose replicate k has median medians[k] (three samples around it)."""
    spec = Spec(framework, backend, task, depth=1, width=64, runtime=runtime, batch=64 if task == "train" else 1)
    done = SpecResult(spec, outcome, error="" if outcome == "ok" else "the page threw: boom",
                      environment=environment or ({"cpu": "x"} if runtime == "native" else TFJS_421),
                      started_at=1.0, finished_at=2.0)
    metric = "train_batch_ms" if task == "train" else "infer_ms"
    for replicate, centre in enumerate(medians):
        done.add(metric, [centre * 0.99, centre, centre * 1.01], replicate=replicate)
    return done


def write_runs(path, *runs, suite="mine"):
    """One run per list of results, in order; returns their run ids."""
    ids = []
    with Store.open(path) as store:
        for results in runs:
            run_id = store.start_run(suite, "test", [r.spec for r in results])
            for done in results:
                store.add_result(run_id, done)
            store.finish_run(run_id)
            ids.append(run_id)
    return ids


BASE = [result("tfjs", "wasm", [4.0, 4.1, 3.9, 4.0, 4.05]),
        result("tfjs", "cpu", [10.0, 10.2, 9.9, 10.1, 10.0]),
        result("tfjs", "webgl", [20.0, 21.0, 19.0, 20.0, 20.0]),
        result("pytorch", "cpu", [0.5, 0.5, 0.51, 0.49, 0.5], runtime="native")]
# wasm made 25% slower, cpu 20% faster, webgl the same within its noise, native measured once.
NEW = [result("tfjs", "wasm", [5.0, 5.1, 4.9, 5.0, 5.05], environment=TFJS_422),
       result("tfjs", "cpu", [8.0, 8.2, 7.9, 8.1, 8.0], environment=TFJS_422),
       result("tfjs", "webgl", [20.0, 22.0, 18.0, 21.0, 19.5], environment=TFJS_422),
       result("pytorch", "cpu", [0.5], runtime="native")]


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "s.sqlite"
    write_runs(path, BASE, NEW)
    return path


def compare_cli(capsys, monkeypatch, *argv):
    monkeypatch.setenv("COLUMNS", "80")
    code = main(["compare", *map(str, argv)])
    return code, capsys.readouterr()


def test_each_spec_gets_its_ratio_interval_and_verdict_in_tachometers_words(store, capsys, monkeypatch):
    code, out = compare_cli(capsys, monkeypatch, "--store", store)
    assert code == 0
    lines = out.out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    wasm = next(line for line in lines if line.startswith("  tfjs/wasm "))
    base_ms, new_ms, ratio, ci, verdict = wasm.split()[1:]
    assert (base_ms, new_ms, ratio, verdict) == ("4.01", "5.01", "1.25", "slower")
    low, high = (float(x) for x in ci.split("–"))
    assert low < 1.25 < high and low > 1
    assert next(line for line in lines if line.startswith("  tfjs/cpu ")).endswith("faster")
    assert next(line for line in lines if line.startswith("  tfjs/webgl ")).endswith("no sig. diff.")
    assert next(line for line in lines if line.startswith("  native pytorch/cpu ")).endswith("not tested")
    text = " ".join(out.out.split())
    assert "train, mlp 1x64, batch 64, tfjs/wasm: new is slower than base by 1.2" in text
    assert "tfjs/cpu: new is faster than base by 1.2" in text
    assert ("4 spec(s) compared: 1 slower, 1 faster, 1 no significant difference, 1 not tested (fewer than 2 "
            "replicates on a side)") in text
    assert "browser: library_versions.tfjs 4.21.0 -> 4.22.0" in text  # what changed between the runs


def test_fail_if_slower_exits_3_only_for_a_significant_slowdown_beyond_the_threshold(store, capsys, monkeypatch):
    code, out = compare_cli(capsys, monkeypatch, "--store", store, "--fail-if-slower", "10")
    assert code == EXIT_SLOWER == 3
    assert next(line for line in out.out.splitlines() if line.startswith("  tfjs/wasm ")).endswith("slower!")
    text = " ".join(out.out.split())
    assert "--fail-if-slower 10%: FAIL, 1 spec(s) significantly slower than base by more than 10%" in text
    assert "tfjs/wasm (1.2" in text and "tfjs/cpu (" not in text
    # 25% slower is not shown to be more than 40% slower; the faster and the noisy spec never fail.
    code, out = compare_cli(capsys, monkeypatch, "--store", store, "--fail-if-slower", "40")
    assert code == 0 and "no spec is significantly slower than base by more than 40%" in " ".join(out.out.split())
    # The other way round the slowed spec is the faster one, and tfjs/cpu (20% faster) is now 25% slower.
    code, out = compare_cli(capsys, monkeypatch, "--store", store, "latest", "previous", "--fail-if-slower", "10")
    assert code == 3 and "tfjs/cpu (1.2" in " ".join(out.out.split())


def test_a_difference_within_the_noise_is_no_significant_difference(tmp_path):
    path = tmp_path / "s.sqlite"
    write_runs(path, [result("tfjs", "cpu", [10, 14, 8, 12, 9])], [result("tfjs", "cpu", [10.5, 13, 9, 11, 9.5])])
    row = _compared(path).rows[0]
    assert row.verdict == comparison.SAME and row.ratio_ci_low < 1 < row.ratio_ci_high
    assert row.wording.startswith("no significant difference between new and base (time ratio ")


def test_json_carries_every_figure_and_parses(store, capsys, monkeypatch):
    code, out = compare_cli(capsys, monkeypatch, "--store", store, "--format", "json", "--fail-if-slower", "10")
    assert code == 3
    data = json.loads(out.out)
    assert data["failed"] and data["fail_if_slower_pct"] == 10 and data["base"]["suite"] == "mine"
    wasm = next(s for s in data["specs"] if s["label"] == "tfjs/wasm")
    assert wasm["verdict"] == "slower" and wasm["slower_than_threshold"] and wasm["base"]["replicates"] == 5
    assert wasm["ratio_ci_low"] < wasm["ratio"] < wasm["ratio_ci_high"] and wasm["p_holm"] < 0.05
    native = next(s for s in data["specs"] if s["runtime"] == "native")
    assert native["verdict"] == "not tested" and native["ratio_ci_low"] is None  # NaN is null, strict JSON


def test_runs_of_two_stores_are_compared_and_specs_of_one_run_only_are_listed(tmp_path, capsys, monkeypatch):
    old, new = tmp_path / "old.sqlite", tmp_path / "new.sqlite"
    write_runs(old, BASE)
    write_runs(new, NEW[:2] + [result("tfjs", "webgl", [], outcome="error")]
               + [result("tfjs", "wasm", [1.0, 1.1], task="infer")])
    code, out = compare_cli(capsys, monkeypatch, "--store", new, "--base-store", old, "--fail-if-slower", "10")
    assert code == 3
    lines = out.out.splitlines()
    assert next(line for line in lines if line.startswith("  tfjs/webgl ")).split()[1:] == [
        "20", "error", "-", "-", "error", "in", "new"]
    assert next(line for line in lines if line.startswith("  native pytorch/cpu ")).endswith("only in base")
    assert "infer, mlp 1x64" in lines and lines[lines.index("infer, mlp 1x64") + 1].endswith("only in new")
    assert "base: run " in out.out and str(old) in " ".join(out.out.split())


def test_run_references(tmp_path):
    runs = pd.DataFrame({"run_id": ["20240101-aaa", "20240102-bbb", "20240103-ccc"],
                         "suite": ["quick", "gpu", "quick"], "started_at": [1.0, 2.0, 3.0]})
    assert comparison.select_run(runs, "latest", "s") == "20240103-ccc"
    assert comparison.select_run(runs, "previous", "s") == "20240102-bbb"
    assert comparison.select_run(runs, "previous", "s", suite="quick") == "20240101-aaa"
    assert comparison.select_run(runs, "20240102", "s") == "20240102-bbb"  # a unique beginning
    with pytest.raises(UserError, match="matches several runs"):
        comparison.select_run(runs, "2024010", "s")
    with pytest.raises(UserError, match="'nope' is not a run in s: give a run id"):
        comparison.select_run(runs, "nope", "s")
    with pytest.raises(UserError, match="1 run\\(s\\) of suite gpu, so no previous run"):
        comparison.select_run(runs, "previous", "s", suite="gpu")


@pytest.mark.parametrize("argv, words", [
    (["--fail-if-slower", "-5"], "--fail-if-slower takes a percentage of 0 or more"),
    (["--metric", "loss"], "--metric loss: not a timing metric"),
    (["latest", "latest"], "BASE and NEW are the same run"),
    (["--suite", "other"], "0 run(s) of suite other"),
])
def test_bad_input_is_one_line_and_exit_2(store, capsys, monkeypatch, argv, words):
    code, out = compare_cli(capsys, monkeypatch, "--store", store, *argv)
    assert code == 2 and words in out.err and len(out.err.strip().splitlines()) == 1 and out.out == ""


def test_runs_without_a_common_spec_are_refused(tmp_path, capsys, monkeypatch):
    path = tmp_path / "s.sqlite"
    write_runs(path, [result("tfjs", "cpu", [1.0, 1.1])], [result("tfjs", "wasm", [1.0, 1.1])])
    code, out = compare_cli(capsys, monkeypatch, "--store", path)
    assert code == 2 and "share no spec" in out.err
    code, out = compare_cli(capsys, monkeypatch, "--store", tmp_path / "none.sqlite")
    assert code == 2 and "no results store" in out.err and not (tmp_path / "none.sqlite").exists()


def _compared(path, threshold=None):
    with Store.open(path, create=False) as store:
        runs, frames = store.runs(), store.frames()
    base, new = (comparison.run_of(frames, runs, comparison.select_run(runs, ref, str(path)), str(path))
                 for ref in ("previous", "latest"))
    return comparison.compare_runs(base, new, threshold_pct=threshold)


def test_a_spec_that_failed_after_its_warm_up_still_shows_and_metric_picks_what_is_compared(tmp_path):
    timed_out = result("tfjs", "wasm", [], outcome="timeout")
    timed_out.add("train_warmup_ms", [3.0, 2.0])  # measured its warm-up, then the page hung
    infer_base, infer_new = (result("tfjs", "cpu", m, task="infer") for m in ([1, 1.1, 0.9], [2, 2.1, 1.9]))
    for done, loads in ((infer_base, [50.0, 52.0, 49.0]), (infer_new, [50.5, 51.0, 49.5])):
        for replicate, value in enumerate(loads):
            done.add("load_ms", [value], replicate=replicate)
    path = tmp_path / "s.sqlite"
    write_runs(path, [BASE[0], infer_base], [timed_out, infer_new])
    rows = {r.label: r for r in _compared(path).rows}
    assert rows["tfjs/wasm"].verdict == "timeout in new" and rows["tfjs/cpu"].verdict == comparison.SLOWER
    with Store.open(path, create=False) as store:
        runs, frames = store.runs(), store.frames()
    base, new = (comparison.run_of(frames, runs, comparison.select_run(runs, ref, "s"), "s")
                 for ref in ("previous", "latest"))
    (loads,) = comparison.compare_runs(base, new, metric="load_ms").rows  # training specs have no load_ms
    assert loads.label == "tfjs/cpu" and loads.metric == "load_ms" and loads.verdict == comparison.SAME


def test_a_difference_that_only_holms_correction_takes_back_is_marked_so():
    assert comparison.short_verdict(comparison.SAME, 0.02, 0.08) == comparison.HOLM_ONLY == "no sig. (Holm)"
    assert comparison.short_verdict(comparison.SAME, 0.3, 0.6) == "no sig. diff."
    assert comparison.short_verdict(comparison.SLOWER, 0.001, 0.004) == "slower"
    assert "does not survive Holm's correction" in comparison.HOLM_NOTE
