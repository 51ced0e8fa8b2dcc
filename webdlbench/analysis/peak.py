"""How close to the machine's limit: FLOPs of the work, achieved GFLOP/s, fraction of a GEMM peak.

The peak is the machine's float32 GEMM peak at the result's thread count, measured by
native/gemm_peak.py (the best of numpy's and PyTorch's large matmuls) and recorded with the native
results. A fraction above 1 means the measured peak was not the machine's best: such rows are
flagged, never shown as more than 100% silently.

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

Pure functions; the measuring lives in native/gemm_peak.py.
"""
from __future__ import annotations

import pandas as pd

from webdlbench.models import kinds
from webdlbench.models.mlp import forward_flops as mlp_forward_flops
from webdlbench.models.training import TRAIN_FORWARD_MULTIPLE  # forward + two backward products of the same size
from webdlbench.spec import HEADLINE

OVER_PEAK = "above the measured peak: that peak was not the machine's best (measure it again)"
FLOP_RULE = ("multiply-add = 2 FLOPs; matrix products only; training = 3 x forward per sample x batch; "
             "inference = 1 forward pass of 1 sample")


# -- FLOPs (pure) -------------------------------------------------------------------------------------
def mlp_train_flops(depth: int, width: int, batch: int) -> int:
    """FLOPs of one SGD step on a batch (3 x forward, see the module's rule)."""
    return TRAIN_FORWARD_MULTIPLE * mlp_forward_flops(depth, width, batch)


def task_flops(model: str, task: str, depth: int, width: int, batch: int,
               forward_flops: float | None = None) -> float:
    """FLOPs of the work one headline sample times (a train batch, or one inference); NaN if unknown.
    `forward_flops` (one sample's forward pass) is needed for every kind that does not count its own
    (the converted kinds: their results record it)."""
    counted = kinds.KINDS[model].forward_flops if model in kinds.KINDS else None
    if counted is not None:
        forward_flops = counted(depth, width)
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


def peak_by_threads(figure: dict | float | None) -> dict[int, float]:
    """Thread count -> GFLOP/s from a recorded peak: native/gemm_peak.py's by_threads, or a
    single-thread figure (stores from before peaks per thread count)."""
    if figure is None:
        return {}
    if isinstance(figure, (int, float)):
        return {1: float(figure)}
    found = {int(k): float(v["gflops"]) for k, v in (figure.get("by_threads") or {}).items() if "gflops" in v}
    if not found and figure.get("gflops"):
        found[int(figure.get("threads", 1))] = float(figure["gflops"])
    return found


def _peak_for(peaks: dict[int, float], threads) -> tuple[float, float]:
    """(the peak of the row's thread count, that count): exact, else the largest count below it,
    else the smallest measured; NaN when there is none."""
    if not peaks:
        return float("nan"), float("nan")
    wanted = int(threads) if threads and not pd.isna(threads) and int(threads) > 0 else 1
    below = [t for t in peaks if t <= wanted]
    chosen = max(below) if below else min(peaks)
    return peaks[chosen], float(chosen)


def efficiency_frame(summary: pd.DataFrame, peak: dict | float | None,
                     results: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per headline summary row (train_batch_ms / infer_ms, outcome ok): FLOPs, achieved GFLOP/s at
    the median, and its fraction of the GEMM peak at the row's thread count (NaN when no peak is
    known), with a flag where it exceeds that peak. `peak`: the recorded figure (native/gemm_peak.py)
    or a single-thread GFLOP/s. `results` (Store.frames) gives the converted kinds' FLOPs."""
    keep = summary[(summary["outcome"] == "ok") & (summary["n"] > 0)
                   & (summary["metric"] == summary["task"].map(HEADLINE))].copy()
    recorded = recorded_forward_flops(results)
    keep["flops"] = [task_flops(r.model, r.task, r.depth, r.width, r.batch,
                                recorded.get((r.model, int(r.depth), int(r.width))))
                     for r in keep.itertuples()]
    keep["achieved_gflops"] = keep["flops"] / (keep["median"] * 1e-3) / 1e9
    peaks = peak_by_threads(peak)
    chosen = [_peak_for(peaks, t) for t in keep["threads"]]
    keep["peak_gflops"] = [c[0] for c in chosen]
    keep["peak_threads"] = [c[1] for c in chosen]
    keep["fraction_of_peak"] = keep["achieved_gflops"] / keep["peak_gflops"]
    keep["flag"] = [OVER_PEAK if f > 1 else "" for f in keep["fraction_of_peak"]]
    columns = ["runtime", "framework", "backend", "task", "model", "depth", "width", "batch", "threads",
               "metric", "median", "n", "flops", "achieved_gflops", "peak_gflops", "peak_threads", "fraction_of_peak",
               "flag"]
    order = ["runtime", "framework", "backend", "task", "model", "depth", "width", "batch", "threads"]
    return keep[columns].sort_values(order, kind="stable").reset_index(drop=True)
