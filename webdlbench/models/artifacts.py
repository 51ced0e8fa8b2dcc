"""Converted models, made once and cached: the *artifact* of a (kind, depth, width, seed).

An artifact is one folder under CACHE_FOLDER (inside the sweep's cache folder, which the results
server serves at /data/, so a page fetches it at /data/<relative>/...), made once by the converting
subprocess (`python -m webdlbench.models.tfjs_converter`, started through subprocesses.py) and
cached by a key that hashes everything that determines its content (kind, depth, width, seed, the
code of the builders, converter and data, and the TensorFlow / tf_keras / tensorflowjs versions):
    manifest.json   facts (parameters, FLOPs and method, layers), shapes, files and their sha256
    tfjs/           model.json + weight shards, written by tensorflowjs.converters.save_keras_model
    keras/          model.keras, written by tf_keras itself (what native TensorFlow loads)
    inputs.f32      the reference inputs [R, *input_shape], float32 little-endian
    reference.f32   TensorFlow's outputs for them [R, classes], float32 little-endian
A folder appears whole or not at all (it is filled as a `.partial` sibling first). Artifacts
converted on another machine can be adopted from $WEBDLBENCH_ARTIFACTS (adopt_prebuilt).
"""
from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from webdlbench import subprocesses

if TYPE_CHECKING:
    from webdlbench.models.kinds import ModelKind

CACHE_FOLDER = "models/kinds"  # under the sweep's cache folder, which the results server serves at /data/
# A folder of artifacts converted on another machine (same layout as CACHE_FOLDER), for measuring
# where TensorFlow is not installed, e.g. a lent GPU machine: see adopt_prebuilt.
PREBUILT_VARIABLE = "WEBDLBENCH_ARTIFACTS"
# Converting NASNetLarge or VGG19 (550 MB of weights), profiling its FLOPs and writing both formats
# takes minutes on 2 cores; a converter that runs longer than this is hung.
CONVERT_TIMEOUT_S = 1800
STDERR_TAIL_CHARS = 3000
CONVERTER_MODULE = "webdlbench.models.tfjs_converter"
VERSIONED_DISTRIBUTIONS = ("tensorflow-cpu", "tensorflow", "tf-keras", "tensorflowjs", "numpy", "pillow")
# The code whose change changes an artifact (the key hashes these files, in this folder).
SOURCE_FILES = ("keras_models.py", "tfjs_converter.py", "corpus.py", "mnist.py")
IMAGE_REFERENCE_COUNT = 4  # views of the photo; each 224x224x3 input is 600 KB


class ArtifactError(Exception):
    """Building, converting or checking the model failed; the message is the converter's own words."""


@dataclass(frozen=True)
class Artifact:
    folder: Path           # absolute
    relative: str          # relative to the cache folder (for /data/ URLs)
    manifest: dict

    @property
    def tfjs_files(self) -> dict[str, int]:
        return self.manifest["files"]["tfjs"]

    @property
    def keras_files(self) -> dict[str, int]:
        return self.manifest["files"]["keras"]

    def reference_inputs(self) -> np.ndarray:
        shape = [self.manifest["reference_count"], *self.manifest["input_shape"]]
        return np.fromfile(self.folder / "inputs.f32", dtype="<f4").reshape(shape)

    def reference_outputs(self) -> np.ndarray:
        shape = [self.manifest["reference_count"], self.manifest["classes"]]
        return np.fromfile(self.folder / "reference.f32", dtype="<f4").reshape(shape).astype(np.float64)

    def facts(self) -> dict:
        """What a result records about the model (Table 4: parameters, FLOPs, file size)."""
        return {**self.manifest["facts"], "artifact": self.folder.name,
                "converter": f"tensorflowjs {self.manifest['versions'].get('tensorflowjs')}",
                "tfjs_model_bytes": sum(self.tfjs_files.values()),
                "keras_model_bytes": sum(self.keras_files.values()),
                "input_shape": self.manifest["input_shape"], "classes": self.manifest["classes"],
                **({"data": self.manifest["data"]} if self.manifest.get("data") else {}),
                **({"prebuilt_from": self.manifest["prebuilt_from"]} if self.manifest.get("prebuilt_from") else {})}


def versions(distributions: tuple[str, ...] = VERSIONED_DISTRIBUTIONS) -> dict[str, str | None]:
    """The installed version of each distribution (None: not installed)."""
    found = {}
    for dist in distributions:
        try:
            found[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            found[dist] = None
    return found


def artifact_key(kind: ModelKind, depth: int, width: int, seed: int) -> str:
    here = Path(__file__).resolve().parent
    sources = {name: hashlib.sha256((here / name).read_bytes()).hexdigest() for name in SOURCE_FILES}
    blob = json.dumps({"kind": kind.name, "depth": depth, "width": width, "seed": seed, "sources": sources,
                       "versions": versions()}, sort_keys=True).encode()
    slug = kind.name.replace(":", "-").lower()
    return f"{slug}-{depth}x{width}-s{seed}-{hashlib.sha256(blob).hexdigest()[:12]}"


def artifact_job(kind: ModelKind, depth: int, width: int, seed: int) -> dict:
    """What the converting subprocess needs to make one artifact."""
    return {"kind": kind.name, "data": kind.data, "depth": depth, "width": width, "seed": seed,
            "input_shape": list(kind.input_shape(depth, width)), "classes": kind.classes(),
            "image_reference_count": IMAGE_REFERENCE_COUNT}


def cached_artifact(kind: ModelKind, depth: int, width: int, seed: int, cache_dir: Path) -> Artifact | None:
    relative = f"{CACHE_FOLDER}/{artifact_key(kind, depth, width, seed)}"
    folder = Path(cache_dir).resolve() / relative
    if (folder / "manifest.json").is_file():
        return Artifact(folder, relative, json.loads((folder / "manifest.json").read_text()))
    return adopt_prebuilt(kind, depth, width, seed, folder, relative)


def adopt_prebuilt(kind: ModelKind, depth: int, width: int, seed: int, folder: Path, relative: str) -> Artifact | None:
    """The artifact of this model from $WEBDLBENCH_ARTIFACTS, copied into the cache as `folder`, or None.

    Its key there was made where it was converted (other TensorFlow / converter versions, or none
    here): it is found by kind, depth, width and seed alone, and its manifest keeps the versions
    that converted it (the results' model facts say so). Keep that folder to one code version."""
    where = os.environ.get(PREBUILT_VARIABLE)
    if not where:
        return None
    slug = kind.name.replace(":", "-").lower()
    candidates = [c for c in sorted(Path(where).glob(f"{slug}-{depth}x{width}-s{seed}-*"))
                  if (c / "manifest.json").is_file() and not c.name.endswith(".partial")]
    if not candidates:
        return None
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", suffix=".partial", dir=folder.parent))
    try:
        shutil.copytree(candidates[0], staging, dirs_exist_ok=True)
        manifest = json.loads((staging / "manifest.json").read_text())
        manifest["prebuilt_from"] = candidates[0].name
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        staging.replace(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Artifact(folder, relative, json.loads((folder / "manifest.json").read_text()))


async def ensure_artifact(kind: ModelKind, depth: int, width: int, seed: int, cache_dir: Path,
                          timeout_s: float = CONVERT_TIMEOUT_S) -> Artifact:
    """The artifact of this model, made now by the converting subprocess if not cached.

    Raises ArtifactError with the converter's verbatim error (a conversion failure is an outcome)."""
    found = cached_artifact(kind, depth, width, seed, cache_dir)
    if found:
        return found
    relative = f"{CACHE_FOLDER}/{artifact_key(kind, depth, width, seed)}"
    folder = Path(cache_dir).resolve() / relative
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", suffix=".partial", dir=folder.parent))
    try:
        await _run_converter({**artifact_job(kind, depth, width, seed), "out": str(staging)}, timeout_s)
        try:
            staging.replace(folder)  # appears whole or not at all
        except OSError:  # made meanwhile by another sweep: theirs is as good
            if not (folder / "manifest.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Artifact(folder, relative, json.loads((folder / "manifest.json").read_text()))


def ensure_artifact_sync(kind: ModelKind, depth: int, width: int, seed: int, cache_dir: Path) -> Artifact:
    return asyncio.run(ensure_artifact(kind, depth, width, seed, cache_dir))


async def _run_converter(job: dict, timeout_s: float, module: str = CONVERTER_MODULE,
                         expected: str = "manifest.json", who: str = "the TF.js converter process",
                         what: str = "") -> None:
    """Run a converting module in a subprocess with `job` on stdin; ArtifactError with its own
    words unless it wrote `expected` (relative to job["out"])."""
    # The reference outputs are computed on the CPU, in float32: GPUs hidden.
    env = subprocesses.python_environment(overrides={"CUDA_VISIBLE_DEVICES": ""},
                                          defaults={"TF_CPP_MIN_LOG_LEVEL": "2"})
    done = await subprocesses.run_python(["-m", module], env, timeout_s, stdin=json.dumps(job).encode())
    if done.timed_out:
        what = what or f"{job['kind']} {job['depth']}x{job['width']}"
        raise ArtifactError(f"converting {what} took over {timeout_s:.0f} s")
    failure = Path(job["out"]) / "failure.json"
    if failure.is_file():
        raise ArtifactError(json.loads(failure.read_text())["error"])
    if done.returncode != 0 or not (Path(job["out"]) / expected).is_file():
        raise ArtifactError(f"{who} {done.how}: "
                            f"{done.stderr_tail(STDERR_TAIL_CHARS) or '(nothing on stderr)'}")


TORCH_GRAPH_MODULE = "webdlbench.models.torch_graph_maker"  # the ONNX conversion of a converted kind


async def ensure_onnx(artifact: Artifact, timeout_s: float = CONVERT_TIMEOUT_S) -> tuple[Path, Path]:
    """The artifact's model in ONNX (onnx/model.onnx, for ONNX Runtime Web) and as a graph pack for
    PyTorch (torch-graph/, native/torch_graph.py), made now from its tf_keras file where missing.
    A prebuilt artifact brings them (the machine it runs on may have no TensorFlow); where one is
    missing, the ArtifactError says so. Raises ArtifactError with the converter's words."""
    from webdlbench.models.torch_graph_maker import GRAPH_FILE, GRAPH_FOLDER, ONNX_FILE, ONNX_FOLDER

    onnx_file, graph = artifact.folder / ONNX_FOLDER / ONNX_FILE, artifact.folder / GRAPH_FOLDER
    if onnx_file.is_file() and (graph / GRAPH_FILE).is_file():
        return onnx_file, graph
    keras_file = artifact.folder / "keras" / "model.keras"
    if artifact.manifest.get("prebuilt_from") or not keras_file.is_file():
        if (graph / GRAPH_FILE).is_file() or onnx_file.is_file():
            return onnx_file, graph  # what was carried; the runner that needs the other says it is missing
        raise ArtifactError(f"no ONNX conversion of {artifact.folder.name}: it is made where TensorFlow and tf2onnx "
                            f"are (scripts/device/prepare.sh packs it with the TF.js files)")
    staging = Path(tempfile.mkdtemp(prefix="onnx.", suffix=".partial", dir=artifact.folder))
    try:
        job = {"keras_file": str(keras_file), "input_shape": artifact.manifest["input_shape"], "out": str(staging)}
        await _run_converter(job, timeout_s, TORCH_GRAPH_MODULE, f"{GRAPH_FOLDER}/{GRAPH_FILE}",
                             "the ONNX converter process", f"{artifact.folder.name} to ONNX")
        for made, target in ((staging / ONNX_FOLDER, onnx_file.parent), (staging / GRAPH_FOLDER, graph)):
            try:
                made.replace(target)  # each appears whole
            except OSError:  # made meanwhile by another sweep
                if not target.is_dir():
                    raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return onnx_file, graph
