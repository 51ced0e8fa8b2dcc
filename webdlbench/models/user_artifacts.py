"""A user's model made ready once and cached: the *artifact* of a `file:` model (models/user_models.py)
and a seed, the twin of models/artifacts.py for the converted kinds.

One folder under CACHE_FOLDER (in the sweep's cache folder, which the results server serves at
/data/), keyed by a hash of the model's bytes (the file, its weight shards, the native model beside
it), the input shape, the inputs, the seed, this code and the runtime versions:
    model/          the file a page loads: model.onnx, or model.json with its shards
    native/         what native TensorFlow loads (a TF.js model's .keras / .h5 / SavedModel), if given
    inputs.f32      the inputs [count, *input shape], float32: seeded random, or the suite's .npy
    reference.f32   the native runtime's outputs for them [count, size] (models/user_reference.py)
    manifest.json   shapes, files, sha256 of the model, versions, what computed the reference
A folder appears whole or not at all; a model the native runtime refuses leaves nothing behind.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from webdlbench import subprocesses
from webdlbench.models.user_ids import ONNX
from webdlbench.models.user_models import UserModel
from webdlbench.runners.staging import staged_folder

CACHE_FOLDER = "models/user"
REFERENCE_COUNT = 4       # random inputs when the suite gives none
REFERENCE_MODULE = "webdlbench.models.user_reference"
REFERENCE_TIMEOUT_S = 900  # importing TensorFlow and loading a big model on 2 busy cores
STDERR_TAIL_CHARS = 2000
ONNX_ENTRY = "model.onnx"  # the name native/onnxruntime_runner.py loads
VERSIONED = {ONNX: ("onnxruntime", "onnx"), "tfjs": ("tensorflow-cpu", "tensorflow", "tf-keras", "tensorflowjs")}
SAVED_MODEL_PARTS = ("saved_model.pb", "fingerprint.pb", "keras_metadata.pb", "variables", "assets")


class UserArtifactError(Exception):
    """Preparing the model failed; `outcome` (unsupported or error) and the runtime's own words."""

    def __init__(self, outcome: str, message: str):
        super().__init__(message)
        self.outcome = outcome


@dataclass(frozen=True)
class UserArtifact:
    folder: Path      # absolute
    relative: str     # relative to the cache folder (for /data/ URLs)
    manifest: dict

    @property
    def entry(self) -> str:
        """The file a page loads, relative to the folder."""
        return "model/" + self.manifest["entry"]

    @property
    def page_files(self) -> dict[str, int]:
        return self.manifest["files"]["model"]

    @property
    def tfjs_files(self) -> dict[str, int]:
        """The files a page loads (budget.py sizes a page's allowance by them, as for a converted model)."""
        return self.page_files

    @property
    def native_files(self) -> dict[str, int]:
        return self.manifest["files"].get("native") or self.page_files

    def reference_outputs(self) -> np.ndarray:
        shape = [self.manifest["reference_count"], self.manifest["output_size"]]
        return np.fromfile(self.folder / "reference.f32", dtype="<f4").reshape(shape).astype(np.float64)

    def facts(self) -> dict:
        """What a result records about the model."""
        return {"file": self.manifest["file"], "format": self.manifest["format"], "sha256": self.manifest["sha256"],
                "input_name": self.manifest["input_name"], "input_shape": self.manifest["input_shape"],
                "inputs": self.manifest["inputs"], "output_size": self.manifest["output_size"],
                "reference": self.manifest["reference"]["computed_by"], "artifact": self.folder.name,
                "model_bytes": sum(self.page_files.values()), "flops": None}


def _versions(fmt: str) -> dict[str, str | None]:
    found = {}
    for dist in VERSIONED[fmt]:
        try:
            found[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            found[dist] = None
    return found


def _files_of(model: UserModel) -> list[Path]:
    """Every file whose bytes make the model: the file, its shards, the native model beside it."""
    files = [model.path, *(model.path.parent / shard for shard in model.weight_files)]
    if model.native_file is not None:
        native = model.native_file
        files += [native] if native.is_file() else sorted(p for part in SAVED_MODEL_PARTS
                                                           for p in _walk(native / part))
    return files


def _walk(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())


@functools.lru_cache(maxsize=64)
def _digest(path: Path, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def sha256(path: Path) -> str:
    stat = path.stat()
    return _digest(path, stat.st_mtime_ns, stat.st_size)


def artifact_key(model: UserModel, seed: int) -> str:
    base = model.path.parent
    files = {str(p.relative_to(base)) if base in p.parents else str(p): sha256(p) for p in _files_of(model)}
    here = Path(__file__).resolve().parent
    sources = {name: hashlib.sha256((here / name).read_bytes()).hexdigest()
               for name in ("user_artifacts.py", "user_reference.py", "../native/user_files.py")}
    blob = json.dumps({"files": files, "shape": model.input_shape, "seed": seed, "sources": sources,
                       "inputs": sha256(model.inputs) if model.inputs else None,
                       "versions": _versions(model.format)}, sort_keys=True).encode()
    stem = "".join(c if c.isalnum() or c in "-_." else "-" for c in model.path.stem)[:40]
    return f"{stem}-s{seed}-{hashlib.sha256(blob).hexdigest()[:12]}"


def make_inputs(model: UserModel, seed: int) -> np.ndarray:
    """[count, *input shape] float32: the suite's .npy, or uniform [0, 1) numbers from the seed."""
    if model.inputs is not None:
        array = np.load(model.inputs, allow_pickle=False).astype(np.float32)
        return array.reshape(-1, *model.input_shape)
    rng = np.random.default_rng(seed)
    return rng.random((REFERENCE_COUNT, *model.input_shape), dtype=np.float32)


async def ensure_user_artifact(model: UserModel, seed: int, cache_dir: Path) -> UserArtifact:
    """The artifact of this model and seed, made now if not cached. Raises UserArtifactError."""
    relative = f"{CACHE_FOLDER}/{artifact_key(model, seed)}"
    folder = Path(cache_dir).resolve() / relative
    await staged_folder(folder, lambda staging: _fill(model, seed, staging))  # whole or not at all
    return UserArtifact(folder, relative, json.loads((folder / "manifest.json").read_text()))


async def _fill(model: UserModel, seed: int, out: Path) -> None:
    entry = ONNX_ENTRY if model.format == ONNX else model.path.name
    (out / "model").mkdir()
    shutil.copyfile(model.path, out / "model" / entry)
    for shard in model.weight_files:
        (out / "model" / shard).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(model.path.parent / shard, out / "model" / shard)
    native = None
    if model.native_file is not None:
        native = out / "native"
        native.mkdir()
        if model.native_file.is_file():
            shutil.copyfile(model.native_file, native / model.native_file.name)
        else:
            for part in SAVED_MODEL_PARTS:
                source = model.native_file / part
                if source.is_dir():
                    shutil.copytree(source, native / part)
                elif source.is_file():
                    shutil.copyfile(source, native / part)
    inputs = make_inputs(model, seed).astype("<f4")
    (out / "inputs.f32").write_bytes(inputs.tobytes())
    if model.format == ONNX:
        loaded, computed_by = out / "model", "native ONNX Runtime (CPU)"
    elif native is not None:
        loaded, computed_by = native, f"native TensorFlow on {model.native_file.name}"
    else:
        loaded, computed_by = out / "model" / entry, "native TensorFlow on model.json (tensorflowjs's loader)"
    await _run_reference({"format": model.format, "model": str(loaded), "inputs": str(out / "inputs.f32"),
                          "count": len(inputs), "shape": list(model.input_shape), "out": str(out),
                          "computed_by": computed_by}, model.name)
    reference = json.loads((out / "reference.json").read_text())
    files = {part: {p.relative_to(out / part).as_posix(): p.stat().st_size
                    for p in sorted((out / part).rglob("*")) if p.is_file()}
             for part in ("model", "native") if (out / part).is_dir()}
    manifest = {"file": model.name, "format": model.format, "entry": entry, "sha256": sha256(model.path),
                "input_name": model.input_name, "input_shape": list(model.input_shape),
                "inputs": f"{model.inputs.name}" if model.inputs else f"uniform [0, 1) from seed {seed}",
                "reference_count": len(inputs), "output_size": reference["size"], "reference": reference,
                "files": files, "versions": _versions(model.format),
                "facts": {"flops": None}}  # budget.py reads a model's FLOPs here: not counted for a user's file
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, default=str))
    tmp.replace(out / "manifest.json")  # written last: its presence means the artifact is whole


async def _run_reference(job: dict, name: str) -> None:
    # The reference is computed on the CPU, in float32: GPUs hidden.
    env = subprocesses.python_environment(1, overrides={"CUDA_VISIBLE_DEVICES": ""},
                                          defaults={"TF_CPP_MIN_LOG_LEVEL": "2"})
    done = await subprocesses.run_python(["-m", REFERENCE_MODULE], env, REFERENCE_TIMEOUT_S,
                                         stdin=json.dumps(job).encode())
    if done.timed_out:
        raise UserArtifactError("timeout", f"computing the reference outputs of {name} took over "
                                           f"{REFERENCE_TIMEOUT_S} s")
    failure = Path(job["out"]) / "failure.json"
    if failure.is_file():
        found = json.loads(failure.read_text())
        # The runtime's words, naming the user's file instead of its copy in the cache.
        words = found["error"].replace(str(Path(job["model"]) / ONNX_ENTRY), name).replace(job["model"], name)
        raise UserArtifactError(found["outcome"], f"{job['computed_by']} cannot run {name}: {words}")
    if done.returncode != 0 or not (Path(job["out"]) / "reference.json").is_file():
        raise UserArtifactError("error", f"the reference process for {name} {done.how}: "
                                         f"{done.stderr_tail(STDERR_TAIL_CHARS) or '(nothing on stderr)'}")
