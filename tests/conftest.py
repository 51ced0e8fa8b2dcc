"""Shared fixtures. Real-browser tests live in tests/e2e and need Chromium (installed by `make setup`)."""
import os
import subprocess
import sys
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
