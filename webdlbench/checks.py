"""Checks that a measurement did the work: training lowers the loss, inference outputs equal the
reference computed from the same weights (numpy's for the MLP, TensorFlow's for the converted
kinds), within the model kind's tolerance (models/kinds.py)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from webdlbench.models.kinds import ModelKind

# Softmax probabilities in float32 (and WebGL's float32 textures) agree with a float64 reference
# to ~1e-6; 1e-4 leaves room for summation order while still catching a wrong or missing layer.
OUTPUT_ATOL = 1e-4
LOSS_WINDOW = 3  # batches averaged at the end of the run, against the first batch
# How a failed relative check names a kind's reference (ModelKind.reference).
REFERENCE_NAMES = {"numpy": "the numpy reference", "tensorflow": "TensorFlow's",
                   "onnxruntime": "native ONNX Runtime's"}


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


def check_kind_outputs(outputs: list, reference: np.ndarray, kind: "ModelKind") -> dict:
    """check_outputs with the kind's tolerance: absolute where it has no relative part (the MLP),
    else numpy.allclose's |got - want| <= atol + rtol * |want| (the converted kinds: their
    outputs span 1e-3 to 1)."""
    if not kind.output_rtol:
        return check_outputs(outputs, reference, kind.output_atol)
    check = check_outputs(outputs, reference, float("inf"))
    if "max_abs_error" not in check:  # no outputs, or the wrong shape: already failed with its reason
        return check
    got = np.asarray(outputs, dtype=np.float64)
    want = reference[: len(got)]
    excess = np.abs(got - want) - (kind.output_atol + kind.output_rtol * np.abs(want))
    worst = int(np.argmax(excess))
    check.update(passed=bool(excess.flat[worst] <= 0), atol=kind.output_atol, rtol=kind.output_rtol,
                 max_rel_error=float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-30))))
    if not check["passed"]:
        check["reason"] = (f"outputs differ from {REFERENCE_NAMES.get(kind.reference, kind.reference)}: "
                           f"{got.flat[worst]:.6g} against {want.flat[worst]:.6g} "
                           f"(tolerance {kind.output_atol} + {kind.output_rtol} x |reference|)")
    return check
