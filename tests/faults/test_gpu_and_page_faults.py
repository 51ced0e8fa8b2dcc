"""Faults inside the page, injected for real: lost GPU contexts/devices, GPU out-of-memory, a page
that hangs, a browser killed mid-spec. Each becomes a recorded outcome with the browser's words,
and the sweep goes on."""
import asyncio

import pytest

from webdlbench.spec import Spec
from webdlbench.sweep import Worker, sweep

pytestmark = pytest.mark.browser


def faulty(mode, **budget):
    settings = {"batch": 8, "samples": 4, "warmup": 1, "time_budget_s": 5, "replicates": 1, "max_replicates": 1,
                **budget}
    return Spec("faulty", mode, "train", depth=1, width=16, **settings)


def test_gpu_faults_are_recorded_with_the_browsers_own_message(session_run):
    expected = {
        "webgl-lost": ("webglcontextlost",),
        "webgl-oom": ("greater than WebGL maximum",),
        "webgpu-lost": ("WebGPU device lost (destroyed)",),
        "webgpu-oom": ("too large", "OutOfMemory", "out of memory"),
    }

    async def scenario(session):
        # A budget long enough to reach the faulting batch (the third) even on a loaded machine, where
        # WebGPU's first steps on SwiftShader take seconds; the fault ends the page at once anyway.
        results = {mode: await session.measure(faulty(mode, time_budget_s=60)) for mode in expected}
        results["none"] = await session.measure(faulty("none"))  # the sweep goes on, unharmed
        return results
    results = session_run(scenario)
    for mode, words in expected.items():
        assert results[mode].outcome == "error", (mode, results[mode].outcome, results[mode].error)
        assert any(w in results[mode].error for w in words), (mode, results[mode].error)
    assert results["none"].outcome == "ok" and results["none"].checks["passed"]


def test_a_hanging_page_times_out_is_retried_and_the_sweep_goes_on(session_run):
    async def scenario(session):
        delivered = []
        specs = [faulty("hang", time_budget_s=2), faulty("webgl-oom"), faulty("none")]
        await sweep(specs, [Worker(session)], None, delivered.append, retries=1)
        return sorted(delivered, key=lambda r: specs.index(r.spec))
    hung, failed, fine = session_run(scenario, setup_allowance_s=8)
    assert hung.outcome == "timeout" and "no result within" in hung.error
    assert hung.info["attempt"] == 2            # environmental: tried again
    assert failed.outcome == "error" and failed.info["attempt"] == 1  # deterministic: not retried
    assert fine.outcome == "ok"


def test_a_browser_killed_mid_spec_is_recorded_and_replaced(session_run):
    async def scenario(session):
        long_spec = faulty("none", samples=100000, time_budget_s=60)
        measuring = asyncio.create_task(session.measure(long_spec))
        for _ in range(200):  # wait until the page is training
            await asyncio.sleep(0.1)
            if session.server.pages and any(p.marks for p in session.server.pages.values()):
                break
        await asyncio.sleep(0.5)
        session.driver.browser_process().kill()
        crashed = await measuring
        after = await session.measure(faulty("none"))
        return crashed, after
    crashed, after = session_run(scenario)
    assert crashed.outcome == "browser_crashed" and crashed.error
    assert after.outcome == "ok"  # a fresh browser took over
