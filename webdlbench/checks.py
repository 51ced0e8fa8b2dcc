"""Checks that a measurement did the work: training lowers the loss, inference outputs equal the
numpy reference computed from the same weights."""
from __future__ import annotations

import math

import numpy as np

# Softmax probabilities in float32 (and WebGL's float32 textures) agree with a float64 reference
# to ~1e-6; 1e-4 leaves room for summation order while still catching a wrong or missing layer.
OUTPUT_ATOL = 1e-4
LOSS_WINDOW = 3  # batches averaged at the end of the run, against the first batch


def check_training(losses: list) -> dict:
    """Passed when every loss is finite and the last batches' mean is below the first batch's."""
    values = [float("nan") if v is None else float(v) for v in losses]
    if len(values) < 2:
        return {"passed": False, "reason": f"{len(values)} batch(es): too few to see the loss fall"}
    if not all(math.isfinite(v) for v in values):
        return {"passed": False, "reason": "a loss was not finite (NaN or infinity)"}
    first = values[0]
    last = sum(values[-LOSS_WINDOW:]) / len(values[-LOSS_WINDOW:])
    check = {"passed": last < first, "loss_first": first, "loss_last": last, "batches": len(values)}
    if not check["passed"]:
        check["reason"] = f"loss did not fall: first batch {first:.4g}, last {LOSS_WINDOW} batches {last:.4g}"
    return check


def check_outputs(outputs: list, reference: np.ndarray, atol: float = OUTPUT_ATOL) -> dict:
    """Compare the page's output vectors (reference inputs in order) with the numpy reference."""
    if not outputs:
        return {"passed": False, "reason": "the page returned no outputs to check"}
    if len({len(vector) for vector in outputs}) > 1:  # not a matrix: no shape to compare
        return {"passed": False, "reason": f"output vectors differ in length ({sorted({len(v) for v in outputs})})"}
    got = np.asarray(outputs, dtype=np.float64)
    want = reference[: len(got)]
    if got.shape != want.shape:
        return {"passed": False, "reason": f"outputs have shape {got.shape}, the reference {want.shape}"}
    error = float(np.max(np.abs(got - want)))
    check = {"passed": bool(error <= atol), "max_abs_error": error, "atol": atol,
             "compared": int(len(got)),
             "argmax_agree": bool((got.argmax(axis=1) == want.argmax(axis=1)).all())}
    if not check["passed"]:
        check["reason"] = f"outputs differ from the numpy reference by up to {error:.3g} (tolerance {atol})"
    return check
