"""Merging stores: another machine's runs copied whole into one store, once, for one report."""
from tests.conftest import run_cli
from webdlbench.spec import Spec, SpecResult
from webdlbench.store import Store

CPU = Spec("tfjs", "cpu", "train", depth=1, width=64)
GPU = Spec("tfjs", "webgpu", "infer", depth=1, width=64)


def measured(spec, machine, **metrics):
    result = SpecResult(spec, "ok", environment={"user_agent": machine}, started_at=1.0, finished_at=2.0)
    for name, values in metrics.items():
        result.add(name, values)
    return result


def make_store(path, machine, spec, survey=None, **metrics):
    with Store.open(path) as store:
        run = store.start_run("s", "s.toml", [spec])
        store.add_result(run, measured(spec, machine, **metrics))
        store.finish_run(run)
        if survey:
            store.add_survey(survey)


def snapshot(path):
    with Store.open(path, create=False) as store:
        results, samples, envs = store.frames()
        runs, survey = store.runs(), store.latest_survey()
    return results, samples, envs, runs, survey


def test_runs_of_other_stores_are_copied_whole_and_only_once(tmp_path):
    here, there, gpu = tmp_path / "here.sqlite", tmp_path / "there.sqlite", tmp_path / "gpu.sqlite"
    make_store(here, "machine A", CPU, train_batch_ms=[3.0, 4.0])
    make_store(there, "machine B", CPU, train_batch_ms=[30.0, 40.0, 50.0])  # the same spec elsewhere
    make_store(gpu, "machine C", GPU, survey={"frameworks": {"tfjs": {"version": "4.22.0"}}},
               load_ms=[100.0], infer_ms=[1.0, 2.0])
    done = run_cli("merge", there, gpu, "--store", here)
    assert done.returncode == 0, done.stderr
    assert "1 run(s), 1 result(s), 3 sample(s)" in done.stdout and "1 survey(s)" in done.stdout
    results, samples, envs, runs, survey = snapshot(here)
    assert len(runs) == 3 and len(results) == 3 and len(envs) == 3
    assert sorted(samples[samples.metric == "train_batch_ms"].value) == [3.0, 4.0, 30.0, 40.0, 50.0]
    b = results[results.env_id == results[results.backend == "webgpu"].env_id.iloc[0]]
    assert set(samples[samples.result_id.isin(b.result_id)].metric) == {"load_ms", "infer_ms"}
    assert survey["facts"]["frameworks"]["tfjs"]["version"] == "4.22.0"
    again = run_cli("merge", there, gpu, "--store", here)  # idempotent
    assert again.returncode == 0 and "0 run(s), 0 result(s), 0 sample(s), 0 survey(s)" in again.stdout
    results_again, samples_again, *_ = snapshot(here)
    assert len(results_again) == 3 and len(samples_again) == len(samples)
    before = snapshot(there)  # the sources are only read
    assert len(before[0]) == 1 and len(before[1]) == 3


def test_bad_sources_are_refused_before_the_destination_is_touched(tmp_path):
    here, junk = tmp_path / "here.sqlite", tmp_path / "junk.sqlite"
    junk.write_text("not a database")
    for sources, words in (([tmp_path / "missing.sqlite"], "no results store"), ([junk], "cannot be used"),
                           ([here], "the destination store itself")):
        if "itself" in words:
            make_store(here, "machine A", CPU, train_batch_ms=[1.0])
        done = run_cli("merge", *sources, "--store", here)
        assert done.returncode == 2 and words in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert here.exists() == ("itself" in words)  # not even created for a bad source
    assert len(snapshot(here)[0]) == 1
