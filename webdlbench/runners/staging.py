"""Model folders made once and cached: written into a temporary sibling that becomes the folder
whole or not at all, with a `files.json` manifest of its files and sizes. Shared by every way a
model file is made: saved by a framework in a page, written by a Python writer, saved by a native
runtime in its worker."""
from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import tempfile
from pathlib import Path
from typing import Awaitable, Callable

from webdlbench.models import mlp

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


def model_folder(fw, spec) -> str:
    """Where, under the cache, a browser framework's model of a spec's MLP weights is kept: per
    framework version and weights and, for a model written in Python, the writer's code."""
    weights_key = mlp.weights_key(spec.depth, spec.width, spec.seed)
    return f"models/{fw.name}-{fw.version()}-{weights_key}{_writer_tag(fw)}"


def _writer_tag(fw) -> str:
    """A Python-written model is cached per version of its writer's code: a changed writer remakes it."""
    if fw.write_model is None:
        return ""
    source = Path(inspect.getsourcefile(fw.write_model)).read_bytes()
    return "-w" + hashlib.sha256(source).hexdigest()[:8]


async def written_model(cache_dir: Path, fw, spec) -> tuple[str, dict[str, int]]:
    """(folder under the cache, its files) of the model fw.write_model writes from the spec's
    weights: the file the page loads, and the one native ONNX Runtime profiles beside it."""
    from webdlbench.runners.skeleton import Failed

    relative = model_folder(fw, spec)

    async def written_by_python(staging: Path) -> None:
        try:
            fw.write_model(mlp.make_weights(spec.depth, spec.width, spec.seed), staging)
        except Exception as exc:  # the writer's own words are the outcome
            raise Failed("error", f"writing the {fw.title} model failed: {exc}") from None
    return relative, await staged_folder(cache_dir / relative, written_by_python)
