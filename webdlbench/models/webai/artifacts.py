"""Where RQ4 models live: one folder per (kind, seed) under the sweep's cache, made once by
build.py in a subprocess and cached by a key that hashes everything that determines its content
(the kind's geometry, the seed, the code that makes it, the tokenizer corpus and the library
versions). The results server serves the cache at /data/; model folders sit under models/, which
it serves with `Cache-Control: no-store` (server.py), so a browser only ever reuses them through a
runtime's own cache (Cache Storage), never the HTTP cache.

    manifest.json         facts (parameters, vocabulary, geometry, opset, exporter), versions
    model/                config.json, model.safetensors, tokenizer files, onnx/model.onnx
    ref-<length>/         ids.i32 (the reference token ids) and PyTorch's outputs: an encoder's
                          embeddings (reference.f32), a decoder's generated tokens (tokens.i32)
    gguf/                 a decoder's model-f32.gguf (llama.cpp's converter) and gguf.json
    gguf-<type>/          the same weights quantised by the converter (model-q8_0.gguf: a quantised kind's)
    onnx-<type>.json      an encoder's ONNX file in another weight type, model/onnx/model_<suffix>.onnx
                          beside model.onnx (where transformers.js looks for that dtype), and its facts
An image classifier's folder is one per (kind, seed, input side), made whole by one build:
    model/                each runtime's file (IMAGE_FILES): MobileNetV2's tfjs/, keras/, onnx/model.onnx
                          and model.tflite; ViT's transformers folder with onnx/model.onnx
    ref/                  inputs.f32 (the preprocessed images) and reference.f32 (native's outputs)
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from webdlbench import subprocesses
from webdlbench.models import artifacts as converted  # the converted kinds' cache: its error, versions()
from webdlbench.models.webai import build, corpus
from webdlbench.models.webai.kinds import GENERATED_TOKENS, ONNX_SUFFIXES, WebAIKind, model_kind

CACHE_FOLDER = "models/webai"  # under models/: served no-store (server.py)
BUILD_MODULE = "webdlbench.models.webai.build"
# Training the tokenizer and exporting MiniLM-L6 takes ~1 minute on 2 shared cores; a build that
# runs longer than this is hung.
BUILD_TIMEOUT_S = 1200
STDERR_TAIL_CHARS = 3000
SOURCE_FILES = ("kinds.py", "build.py", "corpus.py", "decoder.py", "exporters.py")
# What transformers.js fetches from a model folder (its layout: env.localModelPath + model id);
# the ONNX file last (ONNX Runtime Web's model_url).
BROWSER_FILES = {"encoder": ("config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"),
                 "decoder": ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                             "onnx/model.onnx")}
# An image classifier's file (or folder) per runtime, in model/: the one its loader is pointed at,
# and what model_file_bytes counts. transformers.js fetches its folder's config.json and ONNX file.
IMAGE_FILES = {"tfjs": ("tfjs/model.json", ("tfjs",)), "tensorflow": ("keras/model.keras", ("keras",)),
               "onnxruntime_web": ("onnx/model.onnx", ("onnx/model.onnx",)),
               "onnxruntime": ("onnx/model.onnx", ("onnx/model.onnx",)),
               "litertjs": ("model.tflite", ("model.tflite",)), "tflite": ("model.tflite", ("model.tflite",)),
               "transformersjs": ("onnx/model.onnx", ("config.json", "onnx/model.onnx")),
               "pytorch": ("model.safetensors", ("config.json", "model.safetensors"))}
IMAGE_REFERENCE_COUNT = converted.IMAGE_REFERENCE_COUNT  # the photo's views, as the converted kinds'


# Making the model failed; the message is the library's own words.
BuildError = converted.ArtifactError


@dataclass(frozen=True)
class Artifact:
    folder: Path      # absolute
    relative: str     # relative to the cache folder (for /data/ URLs)
    manifest: dict

    @property
    def model_dir(self) -> Path:
        return self.folder / "model"

    @property
    def onnx_file(self) -> Path:
        return self.model_dir / "onnx" / "model.onnx"

    @property
    def family(self) -> str:
        return self.manifest["family"]

    def browser_files(self, onnx_name: str = "model.onnx") -> dict[str, int]:
        """The files transformers.js fetches (with this ONNX file) and their sizes (model_file_bytes
        counts these)."""
        names = (*BROWSER_FILES[self.family][:-1], f"onnx/{onnx_name}")
        return {name: (self.model_dir / name).stat().st_size for name in names}

    def facts(self) -> dict:
        return {**self.manifest["facts"], "artifact": self.folder.name, "versions": self.manifest["versions"]}

    def image_files(self, runtime: str) -> tuple[Path, dict[str, int]]:
        """An image classifier's file for this runtime (browser or native) and the sizes of the
        files it loads."""
        entry, loaded = IMAGE_FILES[runtime]
        sizes = {}
        for name in loaded:
            path = self.model_dir / name
            for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
                if file.is_file():
                    sizes[file.relative_to(self.model_dir).as_posix()] = file.stat().st_size
        return self.model_dir / entry, sizes


@dataclass(frozen=True)
class Reference:
    """One sequence length's reference: the token ids every runtime embeds and PyTorch's output."""

    folder: Path
    relative: str
    count: int
    length: int
    hidden: int  # an encoder's embedding width; a decoder's generated tokens

    def ids(self) -> np.ndarray:
        return np.fromfile(self.folder / "ids.i32", dtype="<i4").reshape(self.count, self.length)

    def outputs(self) -> np.ndarray:
        """An encoder's embeddings [count, hidden]; a decoder's generated tokens [1, generated]."""
        if (self.folder / "tokens.i32").is_file():
            return np.fromfile(self.folder / "tokens.i32", dtype="<i4")[None, :]
        return np.fromfile(self.folder / "reference.f32", dtype="<f4").reshape(self.count, self.hidden).astype(np.float64)

    def facts(self) -> dict:
        return json.loads((self.folder / "reference.json").read_text())


def artifact_key(kind: WebAIKind, seed: int, width: int | None = None) -> str:
    """The folder's name: a hash of everything that makes its content (an image classifier's also
    hashes its input side and the Keras builder and converter it uses)."""
    here = Path(__file__).resolve().parent
    # An image classifier's key hashes its own maker too (the text models' keys stay as they were).
    sized = {"width": width, "image_sources": _image_sources(), "image_versions": converted.versions(build.IMAGE_VERSIONED)} \
        if kind.family == "image" else {}
    blob = json.dumps({"kind": kind.name, "geometry": kind.geometry.__dict__, "seed": seed, **sized,
                       "sources": {n: hashlib.sha256((here / n).read_bytes()).hexdigest() for n in SOURCE_FILES},
                       "corpus": corpus.sha256(), "versions": converted.versions(build.VERSIONED)}, sort_keys=True).encode()
    slug = kind.name.replace(":", "-").lower() + (f"-{width}px" if kind.family == "image" else "")
    return f"{slug}-s{seed}-{hashlib.sha256(blob).hexdigest()[:12]}"


async def ensure_artifact(kind: WebAIKind, seed: int, cache_dir: Path) -> Artifact:
    """The model of this kind and seed, made now if not cached (a quantised kind's: its base's).
    Raises BuildError."""
    kind = model_kind(kind)
    relative = f"{CACHE_FOLDER}/{artifact_key(kind, seed)}"
    folder = Path(cache_dir).resolve() / relative
    await _made_once(folder, {"action": "model", "kind": kind.name, "seed": seed}, "manifest.json")
    return Artifact(folder, relative, json.loads((folder / "manifest.json").read_text()))


def _image_sources() -> dict[str, str]:
    """The code that makes an image classifier: image.py, and the Keras builder and the TF.js
    converter's module (models/) that it uses."""
    here = Path(__file__).resolve().parent
    files = (here / "image.py", here.parent / "keras_models.py", here.parent / "tfjs_converter.py")
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


async def ensure_image(kind: WebAIKind, seed: int, width: int, cache_dir: Path) -> tuple[Artifact, Reference]:
    """An image classifier's files and reference at this input side, made now if not cached. Raises
    BuildError."""
    job = {"action": "model", "kind": kind.name, "seed": seed, "width": width, "reference_count": IMAGE_REFERENCE_COUNT}
    relative = f"{CACHE_FOLDER}/{artifact_key(kind, seed, width)}"
    folder = Path(cache_dir).resolve() / relative
    await _made_once(folder, job, "manifest.json")
    artifact = Artifact(folder, relative, json.loads((folder / "manifest.json").read_text()))
    meta = json.loads((folder / "ref" / "reference.json").read_text())
    return artifact, Reference(folder / "ref", f"{relative}/ref", meta["count"], 1, meta["hidden"])


async def ensure_reference(artifact: Artifact, length: int) -> Reference:
    """The reference inputs and PyTorch's outputs at this sequence (prompt) length, made now if not cached."""
    folder = artifact.folder / f"ref-{length}"
    await _made_once(folder, {"action": "reference", "model_dir": str(artifact.model_dir), "width": length,
                              "family": artifact.family, "generated": GENERATED_TOKENS}, "reference.json")
    meta = json.loads((folder / "reference.json").read_text())
    return Reference(folder, f"{artifact.relative}/ref-{length}", meta["count"], meta["length"],
                     meta.get("hidden", meta.get("generated")))


async def ensure_gguf(artifact: Artifact, weight_type: str = "f32") -> Path:
    """A decoder's GGUF file of this weight type (llama.cpp's converter), made now if not cached.
    Raises BuildError."""
    from webdlbench.models.webai import gguf_converter

    missing = gguf_converter.missing_reason()
    folder = artifact.folder / ("gguf" if weight_type == "f32" else f"gguf-{weight_type}")
    if missing and not (folder / "gguf.json").is_file():
        raise BuildError(missing)
    await _made_once(folder, {"action": "gguf", "model_dir": str(artifact.model_dir), "weight_type": weight_type,
                              "converter": str(gguf_converter.SCRIPT)}, "gguf.json")
    return folder / f"model-{weight_type}.gguf"


async def ensure_onnx_type(artifact: Artifact, weight_type: str) -> Path:
    """An encoder's ONNX file in this weight type (build.py `onnx_type`), made now if not cached,
    beside model.onnx under the name transformers.js looks for. Raises BuildError."""
    name = f"model{ONNX_SUFFIXES[weight_type]}.onnx"
    target = artifact.model_dir / "onnx" / name
    facts = artifact.folder / f"onnx-{weight_type}.json"
    if facts.is_file() and target.is_file():
        return target
    with tempfile.TemporaryDirectory(prefix="webdlbench-onnx-type-", dir=artifact.folder) as out:
        await _run_build({"action": "onnx_type", "onnx_file": str(artifact.onnx_file), "weight_type": weight_type,
                          "file_name": name, "out": out}, Path(out) / "onnx_type.json")
        Path(out, name).replace(target)  # the file first, then the facts that say it is whole
        Path(out, "onnx_type.json").replace(facts)
    return target


def onnx_type_facts(artifact: Artifact, weight_type: str) -> dict:
    return json.loads((artifact.folder / f"onnx-{weight_type}.json").read_text())


async def forced_top1(artifact: Artifact, ids: list[int], sequences: list[list[int]]) -> list[list[int]]:
    """PyTorch fp32's top-1 token at every position of each sequence (build.py `forced`), in a
    subprocess (the sweep never imports torch). Raises BuildError."""
    with tempfile.TemporaryDirectory(prefix="webdlbench-forced-") as out:
        expected = Path(out) / "forced.json"
        await _run_build({"action": "forced", "model_dir": str(artifact.model_dir), "ids": [int(i) for i in ids],
                          "sequences": [[int(t) for t in s] for s in sequences], "out": out}, expected)
        return json.loads(expected.read_text())["top1"]


async def _made_once(folder: Path, job: dict, marker: str) -> None:
    """Run build.py into a temporary sibling that becomes `folder` whole, unless it exists."""
    if (folder / marker).is_file():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", suffix=".partial", dir=folder.parent))
    try:
        await _run_build({**job, "out": str(staging)}, staging / marker)
        try:
            staging.replace(folder)
        except OSError:  # made meanwhile by another sweep: theirs is as good
            if not (folder / marker).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


async def _run_build(job: dict, expected: Path) -> None:
    env = subprocesses.python_environment(overrides={**build.LIBRARY_ENVIRONMENT, "CUDA_VISIBLE_DEVICES": ""})
    done = await subprocesses.run_python(["-m", BUILD_MODULE], env, BUILD_TIMEOUT_S, json.dumps(job).encode())
    if done.timed_out:
        raise BuildError(f"making the {job['action']} took over {BUILD_TIMEOUT_S} s")
    failure = Path(job["out"]) / "failure.json"
    if failure.is_file():
        raise BuildError(json.loads(failure.read_text())["error"])
    if not expected.is_file():
        tail = done.stderr_tail(STDERR_TAIL_CHARS)
        raise BuildError(f"the model builder {done.how} without a result: {tail or '(nothing on stderr)'}")
