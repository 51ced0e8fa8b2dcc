"""`webdlbench env`: the environment fingerprint as seen from a real page."""
from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

HELP = "print the environment fingerprint seen from a real page (browser, GPU, wasm, CPU, versions)"


def add_arguments(parser) -> None:
    parser.add_argument("--browser", metavar="PATH", help="Chromium binary (default: found on PATH)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text: a table of facts (default); json: the fingerprint as stored with results")


def run(args) -> int:
    from webdlbench.browser import find_browser
    from webdlbench.textout import print_json, print_lines, terminal_width

    browser = find_browser(args.browser)
    fingerprint = asyncio.run(_fingerprint(browser))
    if args.format == "json":
        print_json(dict(sorted(fingerprint.items())))
    else:
        print_lines(render(fingerprint, terminal_width()))
    return 0


def render(fingerprint: dict, width: int) -> list[str]:
    """The fingerprint as a fact/value table: plain facts first, then each nested one (library
    versions, the WebGPU adapter) under its own heading; lists joined, long values wrapped within the
    width; the software-GPU warning first when it applies."""
    from webdlbench.software_gpu import webgl_is_software, webgpu_is_software
    from webdlbench.textout import Column, Title, table_lines, wrap

    flat = {k: v for k, v in fingerprint.items() if not (isinstance(v, dict) and v)}
    nested = {k: v for k, v in fingerprint.items() if k not in flat}
    rows: list = [[key, _value(value)] for key, value in sorted(flat.items())]
    for key, value in sorted(nested.items()):
        rows += [Title(key), *[[f"  {sub}", _value(v)] for sub, v in sorted(value.items())]]
    lines = []
    software = [name for name, probe in (("WebGL", webgl_is_software), ("WebGPU", webgpu_is_software))
                if probe(fingerprint)]
    if software:
        lines += wrap(f"note: {' and '.join(software)} run on a software GPU (SwiftShader) here: GPU backends "
                      "measure the CPU.", width) + [""]
    return lines + table_lines([Column("fact"), Column("value", wrap=True, min_width=20)],
                               rows, width)


def _value(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value) or "-"
    if isinstance(value, dict):
        return "-"
    return str(value) if str(value) != "" else '""'


async def _fingerprint(browser: str) -> dict:
    from webdlbench.runners.browser import BrowserRunner

    with tempfile.TemporaryDirectory(prefix="webdlbench-env-") as cache:
        session = BrowserRunner(browser, Path(cache))
        await session.start()
        try:
            return await session.environment_fingerprint()
        finally:
            await session.stop()
