"""This machine's float32 GEMM peak, measured as a peak: the best of the native libraries' large
square matmuls (numpy's BLAS and PyTorch, several sizes, several repeats) at each thread count the
native specs use. The efficiency table (analysis/peak.py) divides achieved GFLOP/s by it, so a
result can only exceed 100% of it if this measurement missed the machine's best, and the table
flags that.

Each thread count is measured once per environment in a subprocess whose thread pools are pinned
before the libraries load (environment variables, then threadpoolctl and torch.set_num_threads),
and cached in the cache folder by environment key and thread count.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from webdlbench import subprocesses

GEMM_SIZES = (1024, 2048)   # 2.1 and 17 GFLOP: large enough for BLAS's steady state
GEMM_REPEATS = 5
GEMM_WARMUP = 2
PEAK_CACHE_FILE = "gemm-peak.json"
PEAK_TIMEOUT_S = 300
STDERR_TAIL_CHARS = 1000
METHOD = (f"best of {GEMM_REPEATS} float32 square matmuls of sides {' and '.join(map(str, GEMM_SIZES))} in numpy "
          "(BLAS) and PyTorch, per thread count")


def environment_key() -> dict:
    """What the peak depends on: the CPU and the libraries that multiply."""
    import numpy as np

    from webdlbench.hostinfo import cpu_model

    return {"cpu_model": cpu_model(), "numpy_version": np.__version__, "blas": _blas_name(),
            "torch_version": _torch_version()}


def measure_peak(cache_dir: Path, threads=(1,), refresh: bool = False) -> dict:
    """The peak at each of `threads` (always including 1, which the browser's single-threaded
    backends are held against): {"gflops": the 1-thread peak, "by_threads": {"1": {...}, ...},
    "method", and the environment key}. Measured in pinned subprocesses where not cached; raises
    RuntimeError if a measurement fails."""
    key = environment_key()
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    path = Path(cache_dir) / PEAK_CACHE_FILE
    wanted = sorted({1, *(int(t) for t in threads if t and int(t) > 0)})
    cached = _read_json(path).get(digest, {})
    by_threads = {} if refresh else dict(cached.get("by_threads", {}))
    for count in wanted:
        if str(count) not in by_threads:
            by_threads[str(count)] = {**_measure_in_subprocess(count), "measured_at": time.time()}
    figure = {"gflops": by_threads["1"]["gflops"], "by_threads": by_threads, "method": METHOD, **key}
    if by_threads != cached.get("by_threads"):
        _write(path, digest, figure)
    return figure


def _measure_in_subprocess(count: int) -> dict:
    # -c, not -m: the native package imports its submodules while discovering runtimes.
    child = f"from webdlbench.native.gemm_peak import main; main({count})"
    done = subprocesses.run_python_sync(["-c", child], subprocesses.python_environment(threads=count), PEAK_TIMEOUT_S)
    if done.timed_out:
        raise RuntimeError(f"GEMM peak measurement ({count} threads) took over {PEAK_TIMEOUT_S} s")
    if done.returncode != 0:
        raise RuntimeError(f"GEMM peak measurement ({count} threads) failed: {done.stderr_tail(STDERR_TAIL_CHARS)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _write(path: Path, digest: str, figure: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cached = _read_json(path)  # another process may have added its own meanwhile
    cached[digest] = figure
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(cached, indent=1, sort_keys=True))
    tmp.replace(path)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _blas_name() -> str:
    try:
        from threadpoolctl import threadpool_info
        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                return f"{pool.get('internal_api')} {pool.get('version')} {pool.get('architecture', '')}".strip()
    except Exception:  # threadpoolctl missing or confused: the key is coarser, not wrong
        pass
    return "unknown"


def _torch_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "not installed"


# -- the measuring subprocess ------------------------------------------------------------------------------
def _best_gflops(multiply, n: int) -> dict:
    """Warm up, then time `multiply` GEMM_REPEATS times; GFLOP/s of the fastest and of the median."""
    for _ in range(GEMM_WARMUP):
        multiply()
    seconds = []
    for _ in range(GEMM_REPEATS):
        start = time.perf_counter_ns()
        multiply()
        seconds.append((time.perf_counter_ns() - start) / 1e9)
    flops = 2.0 * n ** 3
    seconds.sort()
    return {"gflops": flops / seconds[0] / 1e9, "gflops_median": flops / seconds[len(seconds) // 2] / 1e9, "n": n}


def _numpy(n: int) -> dict:
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    out = np.empty((n, n), dtype=np.float32)
    return _best_gflops(lambda: np.matmul(a, b, out=out), n)


def _torch(n: int) -> dict:
    import torch

    generator = torch.Generator().manual_seed(0)
    a, b = (torch.randn(n, n, dtype=torch.float32, generator=generator) for _ in range(2))
    out = torch.empty(n, n, dtype=torch.float32)
    return _best_gflops(lambda: torch.matmul(a, b, out=out), n)


def measure_here(count: int) -> dict:
    """Every library at every size with `count` threads in this process; the best is the peak."""
    from threadpoolctl import threadpool_limits

    libraries: dict[str, dict] = {}
    with threadpool_limits(limits=count):
        libraries["numpy"] = max((_numpy(n) for n in GEMM_SIZES), key=lambda r: r["gflops"])
        try:
            import torch

            torch.set_num_threads(count)
            libraries["torch"] = max((_torch(n) for n in GEMM_SIZES), key=lambda r: r["gflops"])
        except ImportError as exc:
            libraries["torch"] = {"error": str(exc)}
    measured = {name: r for name, r in libraries.items() if "gflops" in r}
    best = max(measured, key=lambda name: measured[name]["gflops"])
    return {"gflops": measured[best]["gflops"], "library": best, "n": measured[best]["n"], "threads": count,
            "libraries": libraries}



def main(count: int) -> None:
    """Subprocess body: the thread pools are pinned by the parent's environment variables."""
    print(json.dumps(measure_here(count)))
