"""Fault injection against the real browser and server: a test-only framework whose backends
name the fault (tests/faults/faulty.js), registered as a user bundle."""
import asyncio
from pathlib import Path

import pytest

from tests.conftest import registered_framework
from webdlbench.browser import find_browser
from webdlbench.frameworks import FRAMEWORKS_DIR, Framework
from webdlbench.runners.browser import BrowserRunner

TF = "@tensorflow/tfjs/dist/tf.min.js"
WEBGPU = "@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js"
MODES = ("none", "hang", "webgl-lost", "webgl-oom", "webgpu-lost", "webgpu-oom", "nan-loss")
FAULTY = Framework(
    name="faulty", title="Fault injection (tests only)", npm_package="@tensorflow/tfjs",
    adapter=str(FRAMEWORKS_DIR / "tfjs" / "adapter.js"),  # the TF.js adapter runs the faulty bundle
    backends={mode: ("train",) for mode in MODES},
    scripts={mode: (TF, WEBGPU) if mode.startswith("webgpu") else (TF,) for mode in MODES},
    user_bundle=True)


@pytest.fixture
def faulty_framework():
    with registered_framework(FAULTY, Path(__file__).with_name("faulty.js")):
        yield FAULTY


@pytest.fixture
def session_run(tmp_path, faulty_framework):
    """Run `scenario(session)` on a started BrowserRunner with short page time limits."""
    def run(scenario, setup_allowance_s=30):
        async def main():
            session = BrowserRunner(find_browser(), tmp_path / "cache", setup_allowance_s=setup_allowance_s)
            await session.start()
            try:
                return await scenario(session)
            finally:
                await session.stop()
        return asyncio.run(main())
    return run
