"""The reference-computing subprocess of a user's model: `python -m webdlbench.models.user_reference`
reads one job (JSON) on stdin and writes, into the job's `out` folder, the native runtime's outputs
for the model's inputs: `reference.f32` (float32 [count, size]) and `reference.json` (what computed
them), or `failure.json` with the runtime's own words and the outcome they mean.

The native runtime on the CPU, one thread, one input at a time (as the specs predict): ONNX Runtime
for an ONNX file; TensorFlow for a TF.js model, on the Keras file or SavedModel beside it, or else on
model.json itself read back by the TF.js converter's loader (native/user_files.py). It runs in its own
process so that importing TensorFlow, or a runtime that crashes on the file, never touches the sweep.
"""
from __future__ import annotations

import json
import re
import sys
import traceback
from pathlib import Path

import numpy as np

# Words with which a runtime refuses what it cannot run (an operator, a layer, a data type): the
# outcome is `unsupported`, with those words; any other failure is an `error`.
REFUSALS = re.compile(r"NOT_IMPLEMENTED|not a registered function/op|Could not find an implementation|"
                      r"Unknown layer|is not supported|Unsupported", re.IGNORECASE)


def outcome_of(message: str) -> str:
    return "unsupported" if REFUSALS.search(message) else "error"


def compute(job: dict) -> tuple[np.ndarray, dict]:
    """The reference outputs [count, size] float32 and what computed them."""
    from webdlbench.native.user_files import OnnxFileAdapter, TensorFlowFileAdapter

    adapter = (OnnxFileAdapter if job["format"] == "onnx" else TensorFlowFileAdapter)({"backend": "cpu", "threads": 1})
    adapter.init()
    model = adapter.load(Path(job["model"]))
    inputs = np.fromfile(job["inputs"], dtype="<f4").reshape(job["count"], 1, *job["shape"])
    outputs = [np.asarray(adapter.predict(model, x), dtype=np.float64).reshape(-1) for x in inputs]
    if len({len(o) for o in outputs}) != 1 or not len(outputs[0]):
        raise ValueError(f"the first output has {sorted({len(o) for o in outputs})} values for inputs of one shape")
    outputs = np.stack(outputs)
    if not np.all(np.isfinite(outputs)):
        raise ValueError("the native outputs for the inputs are not finite (NaN or infinity)")
    return outputs.astype("<f4"), {"size": int(outputs.shape[1]), "computed_by": job["computed_by"],
                                   "environment": adapter.environment()}


def main() -> int:
    job = json.loads(sys.stdin.read())
    out = Path(job["out"])
    try:
        outputs, facts = compute(job)
    except Exception as exc:  # the runtime's own words are the outcome; stderr keeps the trace
        traceback.print_exc()
        message = f"{type(exc).__name__}: {exc}".strip()
        (out / "failure.json").write_text(json.dumps({"outcome": outcome_of(message), "error": message}))
        return 0
    (out / "reference.f32").write_bytes(outputs.tobytes())
    (out / "reference.json").write_text(json.dumps(facts, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
