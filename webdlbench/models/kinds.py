"""The registry of model kinds: what `depth` and `width` mean for each, its input, its data, how
it is built and its weights seeded, and where its reference outputs come from.

A Spec names its kind in `model` ("mlp", "cnn", "lstm", "keras:MobileNetV2", ...); `depth` and
`width` keep their columns in the store, with the meaning the kind gives them:

| kind | network | depth | width | input | data |
|---|---|---|---|---|---|
| mlp | DNN | hidden Dense layers | units per hidden layer | 784 | MNIST |
| cnn | CNN | Keras layers (>= 6; 6 = the TF.js MNIST example) | filters of every Conv2D | 28x28x1 | MNIST |
| lstm | RNN | stacked LSTM layers | units per LSTM layer | 40 one-hot characters | corpus.py |
| keras:NAME | Keras application | 1 (one fixed architecture) | input side in pixels (default: the model's own) | width x width x 3 | a real photo |

The MLP is the paper's §4 network: weights from models/mlp.py, numpy reference, every framework.
Every other kind is a tf_keras model (models/keras_models.py) converted once with the official TF.js
converter into an *artifact* (below), loaded by TF.js in the page and by native TensorFlow from the
same weights; its reference outputs come from TensorFlow itself (no numpy twin of an LSTM or
InceptionV3). Other frameworks and native runtimes record `unsupported` for these kinds, with why.

An artifact is one folder under CACHE_FOLDER, made once by the converting subprocess
(`python -m webdlbench.models.tfjs_converter`) and cached by a key that hashes everything that
determines its content (kind, depth, width, seed, the code of the builders, converter and data,
and the TensorFlow / tf_keras / tensorflowjs versions):
    manifest.json   facts (parameters, FLOPs and method, layers), shapes, files and their sha256
    tfjs/           model.json + weight shards, written by tensorflowjs.converters.save_keras_model
    keras/          model.keras, written by tf_keras itself (what native TensorFlow loads)
    inputs.f32      the reference inputs [R, *input_shape], float32 little-endian
    reference.f32   TensorFlow's outputs for them [R, classes], float32 little-endian
"""
from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import json
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
# The code whose change changes an artifact (the key hashes these files).
SOURCE_FILES = ("keras_models.py", "tfjs_converter.py", "corpus.py", "mnist.py")
IMAGE_REFERENCE_COUNT = 4  # views of the photo; each 224x224x3 input is 600 KB
# The Keras applications are the paper's §5.1 comparison (Table 4, Figure 5), not one of Table 5's
# factor sweeps: their browser/native ratios are listed under this network type, with no tree.
APPLICATION_NETWORK = "Keras application"
TREE_NETWORKS = ("DNN", "CNN", "RNN")  # Table 5's rows: one decision tree each
# Output tolerances of the converted kinds against TensorFlow's float32 outputs (see ModelKind). Seen
# here (TF.js cpu, wasm, WebGL and WebGPU on SwiftShader): CNN and LSTM within 6e-8 absolute and 1e-6
# relative; ResNet50, VGG16, InceptionV3 and MobileNetV2 within 3.8e-5 relative.
CONVERTED_ATOL = 1e-6
CONVERTED_RTOL = 1e-3
# Page time allowances (page_allowance_s): the slowest backend seen here is TF.js's plain-JavaScript
# cpu backend training the CNN at 0.075 GFLOP/s (2 shared cores); with a margin:
SLOWEST_FLOPS = 0.05e9
SLOWEST_LOAD_BYTES = 10e6     # bytes/s for fetching and parsing weights into the backend
MAX_PAGE_ALLOWANCE_S = 3600   # beyond this a spec is recorded as `timeout`: too slow to measure here
TRAIN_FORWARD_MULTIPLE = 3    # training = forward + two products of the same size (analysis/peak.py)


@dataclass(frozen=True)
class ModelKind:
    name: str
    network: str                 # Table 5's row (DNN, CNN, RNN), or APPLICATION_NETWORK
    title: str
    depth_means: str
    width_means: str
    data: str                    # "mnist", "text" or "image"
    tasks: tuple[str, ...] = ("train", "infer")
    browser_frameworks: tuple[str, ...] | None = None  # None: every framework
    native_runtimes: tuple[str, ...] | None = None     # None: every runtime
    reference: str = "numpy"     # where the reference outputs come from: numpy or tensorflow
    min_depth: int = 1
    min_width: int = 1
    fixed_depth: int | None = None    # the only depth (fixed architectures); filled in when omitted
    default_width: int | None = None  # filled in when a grid omits width
    # Output check: |output - reference| <= output_atol + output_rtol * |reference| per output
    # (numpy.allclose's rule; the MLP keeps checks.py's absolute 1e-4 against float64 numpy). For the
    # converted kinds the reference is TensorFlow's float32: softmax outputs range from ~1e-3 (the
    # near-uniform guesses of randomly initialised networks: 1000 or 96 classes) to ~1 (saturated);
    # a relative tolerance keeps the check as strict for the small ones as for the large ones.
    output_atol: float = 1e-4
    output_rtol: float = 0.0

    @property
    def converted(self) -> bool:
        """True for kinds whose model files come from the TF.js converter (everything but the MLP)."""
        return self.name != "mlp"

    def input_shape(self, depth: int, width: int) -> tuple[int, ...]:
        if self.name == "mlp":
            return (784,)
        if self.data == "mnist":
            return (28, 28, 1)
        if self.data == "text":
            from webdlbench.models import corpus
            return (corpus.SEQUENCE_LENGTH, len(corpus.vocabulary()))
        return (width, width, 3)

    def classes(self) -> int:
        if self.data == "text":
            from webdlbench.models import corpus
            return len(corpus.vocabulary())
        return 1000 if self.data == "image" else 10

    def problem(self, depth: int, width: int) -> str:
        """'' when (depth, width) is a model of this kind, else what is wrong, in one phrase."""
        if self.fixed_depth is not None and depth != self.fixed_depth:
            return f"{self.name} has one architecture: depth must be {self.fixed_depth} (or left out)"
        if depth < self.min_depth:
            return f"{self.name} needs depth >= {self.min_depth} ({self.depth_means})"
        if width < self.min_width:
            return f"{self.name} needs width >= {self.min_width} ({self.width_means})"
        return ""


def _application(name: str, size: int, min_size: int) -> ModelKind:
    return ModelKind(
        name=f"keras:{name}", network=APPLICATION_NETWORK, title=f"Keras {name}",
        depth_means="1: one fixed architecture", width_means=f"input side in pixels (the model's own: {size})",
        data="image", tasks=("infer",), browser_frameworks=("tfjs",), native_runtimes=("tensorflow",),
        reference="tensorflow", min_width=min_size, fixed_depth=1, default_width=size,
        output_atol=CONVERTED_ATOL, output_rtol=CONVERTED_RTOL)


# The eleven Keras applications of the paper's §5.1 (name, input side, smallest side Keras allows).
APPLICATIONS = (
    ("VGG16", 224, 32), ("VGG19", 224, 32), ("ResNet50", 224, 32), ("MobileNet", 224, 32),
    ("MobileNetV2", 224, 32), ("DenseNet121", 224, 32), ("DenseNet169", 224, 32), ("NASNetLarge", 331, 32),
    ("Xception", 299, 71), ("InceptionV3", 299, 75), ("InceptionResNetV2", 299, 75),
)

KINDS: dict[str, ModelKind] = {k.name: k for k in (
    ModelKind(name="mlp", network="DNN", title="MLP (paper §4.1)", depth_means="hidden Dense layers",
              width_means="units per hidden layer", data="mnist"),
    ModelKind(name="cnn", network="CNN", title="CNN (TF.js MNIST example)",
              depth_means="Keras layers, >= 6: 6 is the TF.js MNIST example (conv-pool-conv-pool-flatten-dense), "
                          "each one more is a 3x3 'same' Conv2D after the second pool",
              width_means="filters of every Conv2D", data="mnist", browser_frameworks=("tfjs",),
              native_runtimes=("tensorflow",), reference="tensorflow", min_depth=6,
              output_atol=CONVERTED_ATOL, output_rtol=CONVERTED_RTOL),
    ModelKind(name="lstm", network="RNN", title="LSTM character model (TF.js text-generation example)",
              depth_means="stacked LSTM layers", width_means="units per LSTM layer", data="text",
              browser_frameworks=("tfjs",), native_runtimes=("tensorflow",), reference="tensorflow",
              output_atol=CONVERTED_ATOL, output_rtol=CONVERTED_RTOL),
    *(_application(*a) for a in APPLICATIONS),
)}


def get(name: str) -> ModelKind:
    return KINDS[name]


def unsupported_reason(kind: ModelKind, who: str, runtime: str) -> str:
    """'' when `who` (a browser framework or native runtime) runs this kind, else why not."""
    allowed = kind.browser_frameworks if runtime == "browser" else kind.native_runtimes
    if allowed is None or who in allowed:
        return ""
    return (f"{who} runs only the MLP here: the {kind.title} is a tf_keras model converted with the TF.js "
            f"converter, which only {', '.join(allowed)} ({runtime}) loads; no {who} definition of the same "
            f"weights exists")


def page_allowance_s(artifact: "Artifact | None", task: str, batch: int, warmup: int) -> float:
    """Seconds a page (or native worker) may take beyond budget + setup before it counts as hung.

    The time budget caps the samples, but loading the model, the warm-up iterations and the first
    sample always run: for a big model on a slow backend they alone take minutes to hours. They are
    estimated from the model's FLOPs at SLOWEST_FLOPS (a multiply-add = 2; training = 3 x forward x
    batch), plus its files at SLOWEST_LOAD_BYTES, capped at MAX_PAGE_ALLOWANCE_S. The MLP: none."""
    if artifact is None:
        return 0.0
    flops = artifact.manifest["facts"].get("flops") or 0
    per_iteration = flops * (TRAIN_FORWARD_MULTIPLE * batch if task == "train" else 1)
    iterations = max(warmup, 1) + 1  # warm-up (the first prediction at least) and one sample
    load = sum(artifact.tfjs_files.values()) / SLOWEST_LOAD_BYTES
    return float(min(MAX_PAGE_ALLOWANCE_S, load + iterations * per_iteration / SLOWEST_FLOPS))


def check_outputs(outputs: list, reference: np.ndarray, kind: ModelKind) -> dict:
    """checks.check_outputs with the kind's tolerance: absolute for the MLP, numpy.allclose's
    |got - want| <= atol + rtol * |want| for the converted kinds (their outputs span 1e-3 to 1)."""
    from webdlbench.checks import check_outputs as check_absolute

    if not kind.output_rtol:
        return check_absolute(outputs, reference, kind.output_atol)
    check = check_absolute(outputs, reference, float("inf"))
    if "max_abs_error" not in check:  # no outputs, or the wrong shape: already failed with its reason
        return check
    got = np.asarray(outputs, dtype=np.float64)
    want = reference[: len(got)]
    excess = np.abs(got - want) - (kind.output_atol + kind.output_rtol * np.abs(want))
    worst = int(np.argmax(excess))
    check.update(passed=bool(excess.flat[worst] <= 0), atol=kind.output_atol, rtol=kind.output_rtol,
                 max_rel_error=float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-30))))
    if not check["passed"]:
        check["reason"] = (f"outputs differ from TensorFlow's: {got.flat[worst]:.6g} against "
                           f"{want.flat[worst]:.6g} (tolerance {kind.output_atol} + {kind.output_rtol} x |reference|)")
    return check


# -- artifacts ---------------------------------------------------------------------------------------
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


def versions() -> dict[str, str | None]:
    found = {}
    for dist in VERSIONED_DISTRIBUTIONS:
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


async def _run_converter(job: dict, timeout_s: float) -> None:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["CUDA_VISIBLE_DEVICES"] = ""  # the reference outputs are computed on the CPU, in float32
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", CONVERTER_MODULE, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env, start_new_session=True)
    try:
        _, stderr = await asyncio.wait_for(process.communicate(json.dumps(job).encode()), timeout=timeout_s)
    except TimeoutError:
        _kill_group(process)
        await process.wait()
        raise ArtifactError(f"converting {job['kind']} {job['depth']}x{job['width']} took over "
                            f"{timeout_s:.0f} s") from None
    except BaseException:  # interrupted: leave no converter behind
        _kill_group(process)
        raise
    failure = Path(job["out"]) / "failure.json"
    if failure.is_file():
        raise ArtifactError(json.loads(failure.read_text())["error"])
    if process.returncode != 0 or not (Path(job["out"]) / "manifest.json").is_file():
        text = stderr.decode(errors="replace").strip()
        how = (f"was killed by signal {-process.returncode}" if process.returncode < 0
               else f"exited with status {process.returncode}")
        raise ArtifactError(f"the TF.js converter process {how}: {text[-STDERR_TAIL_CHARS:] or '(nothing on stderr)'}")


def _kill_group(process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the converter and anything it started (its own session)
    except (ProcessLookupError, PermissionError):
        pass


# -- data, as both sides see it ------------------------------------------------------------------------
def training_batch(kind: ModelKind, batch: int, number: int) -> tuple[np.ndarray, np.ndarray]:
    """Batch `number` (0-based) of training examples [i*B .. (i+1)*B) modulo the training set, exactly
    as the page's cursor walks it: inputs float32 [B, *input_shape] and labels uint8 [B]."""
    if kind.data == "mnist":
        from webdlbench.models import mnist
        x, y = mnist.load_digits()
        rows = (np.arange(batch) + number * batch) % mnist.TRAIN_COUNT
        return x[rows].reshape(batch, *kind.input_shape(0, 0)), y[rows]
    if kind.data == "text":
        from webdlbench.models import corpus
        return corpus.windows((np.arange(batch) + number * batch) % corpus.train_windows())
    raise ValueError(f"{kind.name} has no training data (inference only)")


def page_data(kind: ModelKind, cache_dir: Path) -> dict:
    """Additions to the page job's `data` for the training loop (URLs under /data/)."""
    if kind.data == "text":
        from webdlbench.models import corpus
        path = corpus.write_tokens(Path(cache_dir))
        return {"kind": "text", "tokens": "/data/" + path.name, "vocabulary": len(corpus.vocabulary()),
                "sequence_length": corpus.SEQUENCE_LENGTH, "step": corpus.STEP,
                "train_count": corpus.train_windows()}
    return {}


# The kinds of today's web-AI stack (RQ4), made by models/webai/: it adds them to KINDS.
from webdlbench.models.webai import kinds as _webai_kinds  # noqa: E402,F401  (builds on ModelKind)
