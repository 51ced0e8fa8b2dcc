"""Time limits: the suite's cap on a page, and the specs a smaller one's timeout rules out; the last
test runs a real native suite whose limit TensorFlow's import alone exceeds, then resumes it."""
import pytest

from tests.conftest import run_cli
from webdlbench.budget import (MAX_PAGE_ALLOWANCE_S, SLOWEST_FLOPS, OverLimit, hit_limit, limit_note,
                               page_allowance_s, page_limit_s)
from webdlbench.models.artifacts import Artifact
from webdlbench.spec import Spec, SpecResult
from webdlbench.store import Store


def cnn(backend="cpu", task="train", depth=6, width=200, **budget):
    return Spec("tfjs", backend, task, depth=depth, width=width, model="cnn", **budget)


def timed_out(spec, limit_s=300.0):
    return SpecResult(spec, "timeout", error=f"no result within {limit_s:.0f} s", info={"time_limit_s": limit_s})


def test_page_time_allowance_follows_the_models_work_and_is_capped():
    def artifact(flops, weight_bytes):
        return Artifact(folder=None, relative="", manifest={"facts": {"flops": flops},
                                                                 "files": {"tfjs": {"w.bin": weight_bytes}}})
    assert page_allowance_s(None, "infer", 1, 3) == 0  # the MLP: budget + setup as before
    small = artifact(0.5e6, 20_000)
    assert page_allowance_s(small, "infer", 1, 3) < 1
    # warm-up prediction + one sample of a 31 GFLOP model (VGG16), plus its 550 MB of weights
    vgg = artifact(31e9, 550e6)
    assert page_allowance_s(vgg, "infer", 1, 1) == pytest.approx(55 + 2 * 31e9 / SLOWEST_FLOPS)
    assert page_allowance_s(artifact(2e9, 1e6), "train", 64, 2) == MAX_PAGE_ALLOWANCE_S


def test_the_limit_caps_what_budget_and_allowances_give():
    assert page_limit_s(cnn(), 5000.0) == 5000.0                      # no limit set
    assert page_limit_s(cnn(time_limit_s=300), 5000.0) == 300.0
    assert page_limit_s(cnn(time_limit_s=300), 90.0) == 90.0          # a cap, never an extension
    assert limit_note(cnn(time_limit_s=300), 300.0) == {"time_limit_s": 300.0}
    assert limit_note(cnn(time_limit_s=300), 90.0) == {}              # the page's own allowance applied


def test_only_a_timeout_at_the_suites_limit_counts_as_too_slow():
    assert hit_limit(timed_out(cnn()))
    assert not hit_limit(SpecResult(cnn(), "timeout", error="no result within 80 s"))  # hung: retried
    assert not hit_limit(SpecResult(cnn(), "ok", info={"time_limit_s": 300.0}))


def test_a_timeout_rules_out_the_bigger_specs_of_its_series_only():
    over = OverLimit()
    over.note(timed_out(cnn(depth=9, width=400)))
    for bigger in (cnn(depth=9, width=400), cnn(depth=27, width=400), cnn(depth=9, width=800), cnn(depth=27, width=800)):
        skipped = over.skipped(bigger)
        assert skipped.outcome == "skipped" and not skipped.metrics
        assert "tfjs/cpu train cnn 9x400 b64 already ran out of its 300 s time limit" in skipped.error
        assert "time_limit_s" in skipped.error  # names the fix
    for other in (cnn(depth=6, width=800), cnn(depth=27, width=200), cnn(backend="webgl", depth=27, width=800),
                  cnn(task="infer", depth=27, width=800), Spec("tfjs", "cpu", "train", depth=27, width=800)):
        assert over.reason(other) == "", other.label


def test_a_hung_page_rules_out_nothing():
    over = OverLimit()
    over.note(SpecResult(cnn(), "timeout", error="no result within 80 s"))
    over.note(SpecResult(cnn(), "browser_crashed", error="gone", info={"time_limit_s": 300.0}))
    assert over.reason(cnn(depth=27, width=800)) == ""


def test_a_resumed_run_remembers_its_timeouts(tmp_path):
    with Store.open(tmp_path / "r.sqlite") as store:
        run_id = store.start_run("s", "s.toml", [cnn(depth=6, width=200), cnn(depth=6, width=400)])
        store.add_result(run_id, timed_out(cnn(depth=6, width=200, time_limit_s=300)))
        results, _, _ = store.frames()
    over = OverLimit()
    over.note_stored(results)
    assert "6x200" in over.reason(cnn(depth=6, width=400))


SUITE = """
name = "limited"
[defaults]
samples = 3
replicates = 1
max_replicates = 1
time_limit_s = 1
[[grid]]
runtime = "native"
framework = "tensorflow"
backend = "cpu"
task = "infer"
depth = [1, 2]
width = [8, 16]
"""


@pytest.mark.native
def test_a_native_suite_records_its_timeout_and_skips_what_it_rules_out(tmp_path):
    # Starting the worker and importing TensorFlow takes seconds here: a 1 s limit always runs out.
    suite, store_path = tmp_path / "limited.toml", tmp_path / "r.sqlite"
    suite.write_text(SUITE)
    first = run_cli("run", suite, "--store", store_path)
    assert first.returncode == 0, first.stderr
    with Store.open(store_path) as store:
        results, samples, _ = store.frames()
    outcomes = {(r.depth, r.width): (r.outcome, r.error, r.info.get("attempt")) for r in results.itertuples()}
    assert outcomes[(1, 8)][0] == "timeout" and outcomes[(1, 8)][2] == 1  # too slow: not measured again
    assert "no result within 1 s" in outcomes[(1, 8)][1]
    for bigger in ((1, 16), (2, 8), (2, 16)):
        assert outcomes[bigger][0] == "skipped" and "1x8" in outcomes[bigger][1]
    assert samples.empty
    assert "skipped" in first.stdout and "timeout" in first.stdout
