"""Which failures are measured again: the environment's, not the framework's."""
import asyncio

import pytest

from webdlbench.scheduler import measure_with_retries
from webdlbench.spec import Spec, SpecResult

SPEC = Spec("tfjs", "webgl", "train", depth=1, width=8)


class ScriptedSession:
    """Stands in for the browser: returns the given outcomes in order (the I/O boundary only)."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)

    async def measure(self, spec):
        outcome, error = self.outcomes.pop(0)
        return SpecResult(spec, outcome, error=error)


@pytest.mark.parametrize("first, attempts", [
    (("timeout", "no result within 80 s"), 2),
    (("browser_crashed", "the browser process exited"), 2),
    (("error", "Error: webglcontextlost: the WebGL context was lost"), 2),
    (("error", "Error: WebGPU device lost (destroyed): Device was destroyed."), 2),
    (("error", "Error: Requested texture size [16384x16384] greater than WebGL maximum"), 1),
    (("unsupported", "no webgpu here"), 1),
    (("check_failed", "loss did not fall"), 1),
])
def test_only_environmental_failures_are_measured_again(first, attempts):
    session = ScriptedSession(first, ("ok", ""))
    result = asyncio.run(measure_with_retries(SPEC, session, None, retries=1))
    assert result.info["attempt"] == attempts
    assert result.outcome == ("ok" if attempts == 2 else first[0])


def test_retries_are_bounded():
    session = ScriptedSession(*[("timeout", "no result")] * 3)
    result = asyncio.run(measure_with_retries(SPEC, session, None, retries=2))
    assert result.outcome == "timeout" and result.info["attempt"] == 3


class LimitedSession(ScriptedSession):
    """A page that ran out of the suite's time limit records the limit in its info (as measure.py does)."""

    async def measure(self, spec):
        result = await super().measure(spec)
        result.info["time_limit_s"] = 30.0
        return result


def test_a_spec_that_ran_out_of_the_suites_time_limit_is_not_measured_again():
    session = LimitedSession(("timeout", "no result within 30 s"), ("ok", ""))
    result = asyncio.run(measure_with_retries(SPEC, session, None, retries=1))
    assert result.outcome == "timeout" and result.info["attempt"] == 1
