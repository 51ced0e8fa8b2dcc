"""Native runtimes (runtime = "native"): the same Specs measured outside the browser.

Each module in this package defines RUNTIME, a `NativeRuntime`; they are found automatically,
like the browser frameworks. Specs are measured by runners/native.py, each replicate in a fresh
subprocess (`python -m webdlbench.native.worker`, started by `run_worker` here) whose threads are
pinned before the library is imported. The runtime modules import their library only inside the
worker, never here.
"""
from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import importlib.util
import json
import os
import pkgutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from webdlbench.hostinfo import machine_facts

# Importing TensorFlow takes 3-12 s here and loading a model more: time a child may spend outside
# the spec's own time budget before it counts as hung.
SETUP_ALLOWANCE_S = 180
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


def _gemm_peak(cache_dir: Path) -> dict:
    """This environment's single-thread GEMM peak, measured once and cached (see analysis/peak.py)."""
    from webdlbench.analysis import peak

    try:
        return peak.measure_peak(cache_dir)
    except Exception as exc:  # a missing figure must not fail the spec it rides along with
        return {"error": f"{type(exc).__name__}: {exc}"}


# -- environment facts -----------------------------------------------------------------------------
def host_facts() -> dict:
    """What the parent knows about the machine; the worker adds the library's own view."""
    return {"runtime": "native", **machine_facts()}
