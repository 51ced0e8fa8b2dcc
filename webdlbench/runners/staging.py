"""Model folders made once and cached: written into a temporary sibling that becomes the folder
whole or not at all, with a `files.json` manifest of its files and sizes. Shared by every way a
model file is made: saved by a framework in a page, written by a Python writer, saved by a native
runtime in its worker."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Awaitable, Callable

MANIFEST = "files.json"


async def staged_folder(folder: Path, fill: Callable[[Path], Awaitable[None]]) -> dict[str, int]:
    """The files of `folder` ({relative path: bytes}), made by `await fill(staging)` if the folder
    is not there yet. `fill` raises to fail; then nothing is left behind."""
    manifest = folder / MANIFEST
    if manifest.is_file():
        return json.loads(manifest.read_text())
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", suffix=".partial", dir=folder.parent))
    try:
        await fill(staging)
        files = {p.relative_to(staging).as_posix(): p.stat().st_size
                 for p in sorted(staging.rglob("*")) if p.is_file()}
        (staging / MANIFEST).write_text(json.dumps(files))
        try:
            staging.replace(folder)  # appears whole or not at all
        except OSError:  # another sweep made it meanwhile: theirs is as good
            if not manifest.is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return json.loads(manifest.read_text())
