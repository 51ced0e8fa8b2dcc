"""Shared fixtures. Real-browser tests live in tests/e2e and need Chromium (installed by `make setup`)."""
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

ARTIFACTS = Path(os.environ.get("WEBDLBENCH_TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))


def run_cli(*args, timeout=900, env=None):
    """Run `python -m webdlbench ARGS` for real; returns the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "webdlbench", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture(scope="session")
def artifacts_dir():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# The lanes (`make test-fast` runs -m "not browser and not native and not grid and not slow"):
# a folder of real-Selenium-Grid tests is grid (and browser) as a whole.
LANE_OF_FOLDER = {"grid": ("grid", "browser"), "e2e": ("browser",)}
# Modules the fast lane must never import: they take seconds and belong to the native lane.
HEAVY_MODULES = ("tensorflow", "torch", "tensorflowjs")


def pytest_collection_modifyitems(config, items):
    for item in items:
        folder = Path(str(item.fspath)).parent.name
        for marker in LANE_OF_FOLDER.get(folder, ()):
            item.add_marker(getattr(pytest.mark, marker))


def pytest_sessionfinish(session, exitstatus):
    """In the fast lane, a heavy import is a failure: it is what makes a lane slow."""
    if "not native" not in (session.config.getoption("markexpr") or ""):
        return
    imported = [name for name in HEAVY_MODULES if name in sys.modules]
    if imported:
        print(f"\nthe fast lane imported {', '.join(imported)}: mark the test that needs it native", file=sys.stderr)
        session.exitstatus = 1


@contextmanager
def registered_framework(framework, bundle: Path):
    """A test-only framework registered with its bundle (served as /userlib/NAME.js) while in use."""
    from webdlbench import frameworks
    frameworks.FRAMEWORKS[framework.name] = framework
    frameworks.USER_BUNDLES[framework.name] = bundle
    try:
        yield framework
    finally:
        frameworks.FRAMEWORKS.pop(framework.name, None)
        frameworks.USER_BUNDLES.pop(framework.name, None)
