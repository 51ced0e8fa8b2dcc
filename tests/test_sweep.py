"""The one sweep loop and its one retry rule: the environment's failures are measured again, the
framework's are not — the same with one worker (the local driver) as with several (--workers,
cdp, grid)."""
import asyncio

import pytest

from tests.fakes import FakeRunner
from webdlbench import sweep as sweep_module
from webdlbench.spec import Spec, SpecResult
from webdlbench.sweep import Worker, is_environmental, sweep

SPEC = Spec("tfjs", "webgl", "train", depth=1, width=8, replicates=1)
LOST_CONTEXT = "error: Error: webglcontextlost: the WebGL context was lost"


def run(specs, runners, retries=1):
    delivered = []
    asyncio.run(sweep(specs, [Worker(r) for r in runners], None, delivered.append, retries=retries))
    return delivered


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    monkeypatch.setattr(sweep_module, "CONNECT_PAUSE_S", 0.0)


@pytest.mark.parametrize("first, attempts, outcome", [
    ("timeout", 2, "ok"),
    ("browser_crashed", 2, "ok"),
    (LOST_CONTEXT, 2, "ok"),
    ("error: Error: WebGPU device lost (destroyed): Device was destroyed.", 2, "ok"),
    ("error: Error: Requested texture size [16384x16384] greater than WebGL maximum", 1, "error"),
    ("unsupported", 1, "unsupported"),
    ("check_failed", 1, "check_failed"),
])
@pytest.mark.parametrize("workers", [1, 2])
def test_only_environmental_failures_are_measured_again_with_any_number_of_workers(first, attempts, outcome,
                                                                                     workers):
    runners = [FakeRunner(f"node{i}", lambda d, s, n: first if n == 1 else "ok") for i in range(workers)]
    if workers == 2:  # the second worker's browser only ever measures fine
        runners[1].behave = lambda *_: "ok"
        runners[0].behave = lambda d, s, n: first if n == 1 else "ok"
    (result,) = run([SPEC], runners)
    assert result.info["attempt"] == attempts and result.outcome == outcome


def test_a_lost_gpu_context_is_measured_again_under_two_workers_exactly_as_under_one():
    one = run([SPEC], [FakeRunner("a", lambda d, s, n: LOST_CONTEXT if n == 1 else "ok")])
    two = run([SPEC], [FakeRunner("a", lambda d, s, n: LOST_CONTEXT if n == 1 else "ok"),
                       FakeRunner("b", lambda *_: "ok")])
    for (result,) in (one, two):
        assert result.outcome == "ok" and result.info["attempt"] == 2
        assert result.info["earlier_attempts"][0]["error"] == "Error: webglcontextlost: the WebGL context was lost"


def test_retries_are_bounded():
    (result,) = run([SPEC], [FakeRunner("a", lambda *_: "timeout")], retries=2)
    assert result.outcome == "timeout" and result.info["attempt"] == 3


def test_a_spec_that_ran_out_of_the_suites_time_limit_is_not_measured_again():
    limited = SpecResult(SPEC, "timeout", error="no result within 30 s", info={"time_limit_s": 30.0})
    assert not is_environmental(limited)
    assert is_environmental(SpecResult(SPEC, "timeout", error="no result within 80 s"))


def test_every_replicate_of_a_spec_is_measured_and_tagged():
    spec = Spec("tfjs", "cpu", "train", depth=1, width=8, replicates=3, max_replicates=3)
    runner = FakeRunner("a", lambda *_: "ok")
    (result,) = run([spec], [runner])
    assert len(runner.measured) == 3 and result.outcome == "ok"
    values, replicates = result.replicate_values("train_batch_ms")
    assert replicates == [0, 0, 1, 1, 2, 2] and len(result.info["replicates"]) == 3
    assert result.info["sampling"]["replicates"] == 3
