"""How close to the machine's limit: FLOPs of the work, achieved GFLOP/s, fraction of a GEMM peak.

The peak is native single-thread float32 GEMM (numpy's BLAS, one thread), measured once per
environment in a subprocess whose thread pools are pinned to 1 (environment variables set before
numpy loads, and threadpoolctl inside), and cached in the cache folder by environment key.

FLOP counting rule (stated once, used everywhere):
* a multiply-add counts 2 FLOPs; only the matrix products are counted (bias adds, ReLU, softmax and
  the loss are O(width) per sample against O(width^2) and are left out);
* one forward pass of a sample through a Dense layer [in, out] costs 2 * in * out;
* training costs 3 x the forward pass (forward, plus two products of the same size in backward:
  the gradient of the weights and of the layer's input), per sample, times the batch;
* inference is one forward pass of one sample.
The converted kinds (CNN, LSTM, Keras applications) take their forward FLOPs from the model facts
their results recorded (the converter counts them with TensorFlow's profiler, or analytically for
the LSTM: models/keras_models.py); the same training and inference rules apply.

Everything but `measure_peak` (which runs the subprocess) is a pure function.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

# A square GEMM large enough to reach BLAS's steady state (2.1 GFLOP, ~20-100 ms single-threaded),
# small enough to measure in about a second.
GEMM_N = 1024
GEMM_REPEATS = 10
GEMM_WARMUP = 2
TRAIN_FORWARD_MULTIPLE = 3  # forward + two backward products of the same size
HEADLINE = {"train": "train_batch_ms", "infer": "infer_ms"}
PEAK_CACHE_FILE = "gemm-peak.json"
PEAK_TIMEOUT_S = 300
PINNED_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS")
FLOP_RULE = ("multiply-add = 2 FLOPs; matrix products only; training = 3 x forward per sample x batch; "
             "inference = 1 forward pass of 1 sample")


# -- FLOPs (pure) -------------------------------------------------------------------------------------
def mlp_forward_flops(depth: int, width: int, samples: int = 1) -> int:
    """FLOPs of a forward pass of `samples` inputs through the 784-[width]xdepth-10 MLP."""
    from webdlbench.models.mlp import layer_shapes

    return 2 * samples * sum(fan_in * fan_out for fan_in, fan_out in layer_shapes(depth, width))


def mlp_train_flops(depth: int, width: int, batch: int) -> int:
    """FLOPs of one SGD step on a batch (3 x forward, see the module's rule)."""
    return TRAIN_FORWARD_MULTIPLE * mlp_forward_flops(depth, width, batch)


def task_flops(model: str, task: str, depth: int, width: int, batch: int,
               forward_flops: float | None = None) -> float:
    """FLOPs of the work one headline sample times (a train batch, or one inference); NaN if unknown.
    `forward_flops` (one sample's forward pass) is needed for every kind but the MLP."""
    if model == "mlp":
        forward_flops = mlp_forward_flops(depth, width, 1)
    if not forward_flops:
        return float("nan")
    return float(forward_flops) * (TRAIN_FORWARD_MULTIPLE * batch if task == "train" else 1)


def recorded_forward_flops(results: pd.DataFrame | None) -> dict[tuple, float]:
    """(model, depth, width) -> the forward FLOPs of one sample recorded in a result's
    info.model_facts (the converted kinds); the first found per model."""
    found: dict[tuple, float] = {}
    if results is None or results.empty:
        return found
    for row in results.itertuples():
        facts = row.info.get("model_facts") if isinstance(row.info, dict) else None
        flops = facts.get("flops") if isinstance(facts, dict) else None
        if flops:
            found.setdefault((row.model, int(row.depth), int(row.width)), float(flops))
    return found


def efficiency_frame(summary: pd.DataFrame, peak_gflops: float | None,
                     results: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per headline summary row (train_batch_ms / infer_ms, outcome ok): FLOPs, achieved GFLOP/s at
    the median, and its fraction of the single-thread GEMM peak (NaN when no peak is known).
    `results` (Store.frames) gives the converted kinds' FLOPs; without it they are NaN."""
    keep = summary[(summary["outcome"] == "ok") & (summary["n"] > 0)
                   & (summary["metric"] == summary["task"].map(HEADLINE))].copy()
    recorded = recorded_forward_flops(results)
    keep["flops"] = [task_flops(r.model, r.task, r.depth, r.width, r.batch,
                                recorded.get((r.model, int(r.depth), int(r.width))))
                     for r in keep.itertuples()]
    keep["achieved_gflops"] = keep["flops"] / (keep["median"] * 1e-3) / 1e9
    peak = float(peak_gflops) if peak_gflops else float("nan")
    keep["peak_gflops"] = peak
    keep["fraction_of_peak"] = keep["achieved_gflops"] / peak
    columns = ["runtime", "framework", "backend", "task", "model", "depth", "width", "batch", "threads",
               "metric", "median", "n", "flops", "achieved_gflops", "peak_gflops", "fraction_of_peak"]
    order = ["runtime", "framework", "backend", "task", "model", "depth", "width", "batch", "threads"]
    return keep[columns].sort_values(order, kind="stable").reset_index(drop=True)


# -- the GEMM peak ------------------------------------------------------------------------------------
def gemm_gflops(n: int = GEMM_N, repeats: int = GEMM_REPEATS, warmup: int = GEMM_WARMUP) -> dict:
    """Time float32 [n,n] @ [n,n] in this process (threads as they are); GFLOP/s best and median."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), dtype=np.float32)
    for _ in range(warmup):
        np.matmul(a, b, out=out)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        np.matmul(a, b, out=out)
        seconds.append((time.perf_counter_ns() - start) / 1e9)
    flops = 2.0 * n ** 3
    return {"gflops": flops / min(seconds) / 1e9, "gflops_median": flops / float(np.median(seconds)) / 1e9,
            "n": n, "repeats": repeats, "dtype": "float32"}


def environment_key() -> dict:
    """What the peak depends on: the CPU, numpy and its BLAS."""
    from webdlbench.hostinfo import cpu_model

    return {"cpu_model": cpu_model(), "numpy_version": np.__version__, "blas": _blas_name()}


def measure_peak(cache_dir: Path, refresh: bool = False) -> dict:
    """The single-thread GEMM peak of this environment: measured once in a pinned subprocess, then
    read from `cache_dir/gemm-peak.json`. Raises RuntimeError if the subprocess fails."""
    key = environment_key()
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    path = Path(cache_dir) / PEAK_CACHE_FILE
    cached = _read_json(path)
    if digest in cached and not refresh:
        return cached[digest]
    env = {**os.environ, **{name: "1" for name in PINNED_VARIABLES}}
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    done = subprocess.run([sys.executable, "-m", "webdlbench.analysis.peak"], capture_output=True, text=True,
                          env=env, timeout=PEAK_TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"GEMM peak measurement failed: {done.stderr.strip()[-1000:]}")
    figure = {**json.loads(done.stdout.strip().splitlines()[-1]), **key, "measured_at": time.time(),
              "method": f"best of {GEMM_REPEATS} float32 {GEMM_N}x{GEMM_N} numpy matmuls, 1 thread"}
    path.parent.mkdir(parents=True, exist_ok=True)
    cached = _read_json(path)  # another process may have added its own meanwhile
    cached[digest] = figure
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(cached, indent=1, sort_keys=True))
    tmp.replace(path)
    return figure


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


def _child() -> None:
    """Subprocess body: pin BLAS to one thread (env already says so; threadpoolctl makes sure)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    with threadpool_limits(limits=1):
        figure = gemm_gflops()
        figure["threads"] = max((p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"),
                                default=1)
    print(json.dumps(figure))


if __name__ == "__main__":
    _child()
