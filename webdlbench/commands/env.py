"""`webdlbench env`: the environment fingerprint as seen from a real page."""
from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

from webdlbench.browser import find_browser
from webdlbench.runners.browser import BrowserRunner

HELP = "print the environment fingerprint seen from a real page (browser, GPU, wasm, CPU, versions)"


def add_arguments(parser) -> None:
    parser.add_argument("--browser", metavar="PATH", help="Chromium binary (default: found on PATH)")


def run(args) -> int:
    browser = find_browser(args.browser)
    fingerprint = asyncio.run(_fingerprint(browser))
    print(json.dumps(fingerprint, indent=2, sort_keys=True))
    return 0


async def _fingerprint(browser: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="webdlbench-env-") as cache:
        session = BrowserRunner(browser, Path(cache))
        await session.start()
        try:
            return await session.environment_fingerprint()
        finally:
            await session.stop()
