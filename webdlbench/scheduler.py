"""Which runner measures a spec, and how often it is tried."""
from __future__ import annotations

from pathlib import Path

from webdlbench import budget, native
from webdlbench.spec import Spec, SpecResult

# Failures of the environment, not of the framework: worth another try. An unsupported backend,
# a framework error or a failed check would fail the same way again and are not retried.
RETRIED_OUTCOMES = ("browser_crashed", "timeout")
# A lost GPU context or device is the environment too (driver reset, memory pressure elsewhere:
# gpu.js on SwiftShader loses its context now and then); an out-of-memory error is not retried.
RETRIED_ERRORS = ("webglcontextlost", "WebGPU device lost")


def _environmental(result: SpecResult) -> bool:
    if budget.hit_limit(result):  # too slow for the suite's time limit: would be again
        return False
    if result.outcome in RETRIED_OUTCOMES:
        return True
    return result.outcome == "error" and any(marker in result.error for marker in RETRIED_ERRORS)


async def measure_with_retries(spec: Spec, session, cache_dir: Path, retries: int, on_retry=None) -> SpecResult:
    """Measure once, and again (up to `retries` times) after an environmental failure."""
    for attempt in range(1, retries + 2):
        if spec.runtime == "native":
            result = await native.measure(spec, cache_dir)
        else:
            result = await session.measure(spec)
        result.info["attempt"] = attempt
        if not _environmental(result) or attempt == retries + 1:
            return result
        if on_retry:
            on_retry(result)
