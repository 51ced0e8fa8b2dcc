"""`webdlbench compare` on two real sweeps of one spec, the second in a browser deliberately made
slower (V8 without its JIT compilers, --js-flags=--jitless): the slowed run is called slower and
fails --fail-if-slower (exit 3); compared the other way round it is the faster one and passes.
Both sweeps also exercise `run --format json` and `--cache DIR`."""
import json

import pytest

from tests.conftest import run_cli
from webdlbench.browser import find_browser

SUITE = """
name = "compare-e2e"
[defaults]
samples = 4
sample_time_s = 0
warmup = 2
replicates = 3
max_replicates = 3
time_budget_s = 20

[[grid]]
framework = "tfjs"
backend = "cpu"
task = "train"
depth = 1
width = 32
batch = 16
"""


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    suite = folder / "suite.toml"
    suite.write_text(SUITE)
    slowed = folder / "slow-chromium"
    slowed.write_text(f'#!/bin/sh\nexec {find_browser()} --js-flags=--jitless "$@"\n')
    slowed.chmod(0o755)
    store = folder / "s.sqlite"
    cache = folder / "my-cache"
    first = run_cli("run", suite, "--store", store, "--format", "json", "--cache", cache)
    assert first.returncode == 0, first.stdout + first.stderr
    beside = (store.parent / "cache").exists()  # the default cache, which --cache moved elsewhere
    second = run_cli("run", suite, "--store", store, "--browser", slowed, env={"COLUMNS": "80"})
    assert second.returncode == 0, second.stdout + second.stderr
    return {"store": store, "cache": cache, "first": first, "second": second, "default_cache_after_first": beside}


def test_run_prints_its_summary_as_json_and_its_cache(two_runs):
    summary = json.loads(two_runs["first"].stdout)  # stdout is the JSON alone; progress went to stderr
    (group,) = summary["groups"]
    assert summary["ok"] == 1 and group["options"][0]["label"] == "tfjs/cpu" and group["options"][0]["replicates"] == 3
    assert f"cache {two_runs['cache']}" in " ".join(two_runs["first"].stderr.split())
    assert two_runs["cache"].is_dir() and not two_runs["default_cache_after_first"]
    assert "cache " + str(two_runs["store"].parent / "cache") in " ".join(two_runs["second"].stdout.split())
    # The text summary at the end of a run fits an 80-column terminal, the verdict included.
    assert all(len(line) <= 80 for line in two_runs["second"].stdout.splitlines())
    assert "-> in this browser: tfjs/cpu" in two_runs["second"].stdout


def test_the_slowed_run_is_slower_and_fails_the_threshold(two_runs):
    done = run_cli("compare", "previous", "latest", "--store", two_runs["store"], "--fail-if-slower", "10",
                   env={"COLUMNS": "80"})
    assert done.returncode == 3, done.stdout + done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("  tfjs/cpu "))
    assert row.endswith("slower!")
    text = " ".join(done.stdout.split())
    assert "tfjs/cpu: new is slower than base by " in text and "--fail-if-slower 10%: FAIL, 1 spec(s)" in text
    assert "browser: browser_executable " in text  # the environments differ, and compare says how


def test_compared_the_other_way_round_it_is_faster_and_passes(two_runs):
    done = run_cli("compare", "latest", "previous", "--store", two_runs["store"], "--fail-if-slower", "10",
                   "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    (spec,) = json.loads(done.stdout)["specs"]
    assert spec["verdict"] == "faster" and spec["ratio_ci_high"] < 1 and not spec["slower_than_threshold"]
