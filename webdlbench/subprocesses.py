"""Starting a Python child of this package: one way for every launcher (the native worker, the TF.js
converter, the GEMM-peak measurement, WebDNN's isolated converter).

Every child
* imports this checkout of webdlbench whether or not it is installed (PYTHONPATH starts with it),
* may get its thread pools pinned before any library loads (THREAD_VARIABLES),
* runs in a session of its own, so that on a timeout or an interruption its whole process group —
  the child and anything it started — is killed, never left behind,
* hands back its exit and the tail of what it wrote, for the caller to word its own error.

The async entry (`run_python`) serves the sweep's event loop; the sync one (`run_python_sync`) the
callers that run outside it.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# The folder that holds the webdlbench package (a checkout's root, or site-packages).
PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])
# Environment variables that pin every thread pool a native library may start (BLAS, OpenMP,
# TensorFlow's own); set in the child, so they hold before anything is imported.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                    "TF_NUM_INTEROP_THREADS")
REAP_TIMEOUT_S = 10  # how long a killed child's pipes may take to close


def python_environment(threads: int | None = None, overrides: dict[str, str] | None = None,
                       defaults: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment for a Python child: the package importable first, every thread
    pool pinned to `threads` (when given), `defaults` where the parent has no value, `overrides`
    whatever the parent has."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([PACKAGE_ROOT, *filter(None, [env.get("PYTHONPATH")])])
    if threads is not None:
        env.update({name: str(threads) for name in THREAD_VARIABLES})
    for name, value in (defaults or {}).items():
        env.setdefault(name, value)
    env.update(overrides or {})
    return env


@dataclass(frozen=True)
class Finished:
    """How a child ended: its exit status (negative: killed by that signal), whether it ran out of
    time (then its group was killed), and what it wrote."""

    returncode: int
    timed_out: bool
    stdout: str
    stderr: str

    @property
    def how(self) -> str:
        """'exited with status N' or 'was killed by signal N', for the caller's own sentence."""
        if self.returncode == -signal.SIGKILL and not self.timed_out:
            # Nothing here sent it: on Linux that is almost always the kernel's out-of-memory killer.
            return f"was killed by signal {-self.returncode} (not by webdlbench: most likely out of memory)"
        if self.returncode < 0:
            return f"was killed by signal {-self.returncode}"
        return f"exited with status {self.returncode}"

    def stderr_tail(self, chars: int) -> str:
        """The last `chars` characters of stderr, stripped ('' when it wrote nothing)."""
        return self.stderr.strip()[-chars:]


async def run_python(arguments: list[str], env: dict[str, str], timeout_s: float, stdin: bytes = b"") -> Finished:
    """Run `python ARGUMENTS` with `stdin`, in its own session, for at most `timeout_s` seconds.

    Raises OSError when it cannot start; if the caller is cancelled or interrupted meanwhile, the
    child's group is killed and the exception goes on."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *arguments, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env, start_new_session=True)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(stdin), timeout=timeout_s)
    except TimeoutError:
        kill_group(process.pid)
        await _reap(process)
        return Finished(process.returncode if process.returncode is not None else -signal.SIGKILL, True, "", "")
    except BaseException:  # interrupted: leave no child behind
        kill_group(process.pid)
        await _reap(process)
        raise
    return Finished(process.returncode, False, _text(stdout), _text(stderr))


def run_python_sync(arguments: list[str], env: dict[str, str], timeout_s: float, stdin: bytes = b"") -> Finished:
    """`run_python` for callers outside an event loop (the same rules)."""
    process = subprocess.Popen([sys.executable, *arguments], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        stdout, stderr = process.communicate(stdin, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        kill_group(process.pid)
        process.wait()  # not its pipes: a descendant that left the group could hold them open
        for pipe in (process.stdin, process.stdout, process.stderr):
            pipe.close()
        return Finished(process.returncode, True, "", "")
    except BaseException:
        kill_group(process.pid)
        raise
    return Finished(process.returncode, False, _text(stdout), _text(stderr))


async def _reap(process) -> None:
    """Wait for a killed child while the loop still runs, so that its pipes close here. asyncio's
    wait also waits for the pipes: a descendant that left the group could hold them open, so the
    wait is bounded, and its running out is no error."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), REAP_TIMEOUT_S)


def kill_group(pid: int) -> None:
    """Kill the process group a child started with start_new_session leads (its id is the child's)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _text(data: bytes | None) -> str:
    return (data or b"").decode(errors="replace")
