"""The operators pass natively (runners/passes.py `--ops`), run inside the native worker: the same
model and reference inputs as `infer`, warmed up, then OPS predictions under the runtime's own
profiler. An adapter offers it with `profile_ops(model, inputs) -> {"profiler", "kernels"}`, each
kernel list one prediction's operators in execution order ({name, ms, inputs}); PyTorch does
(torch.profiler), ONNX Runtime does (its session profiler, on the .onnx file ONNX Runtime Web
profiles). A runtime without it is unsupported for this pass, in its own words.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def run_ops(job: dict, adapter, reply: dict, refs: list[np.ndarray]) -> None:
    """The worker's `ops` job on the inference inputs `refs`: info['ops_pass'] as the page's
    web/ops.js writes it."""
    from webdlbench.native import Unsupported

    if not hasattr(adapter, "profile_ops"):
        raise Unsupported(f"{type(adapter).__name__} has no per-operator profiler the harness reads (profile_ops)")
    # A runtime whose profiler must be on from the model's loading offers load_profiled (ONNX Runtime);
    # ops_model_dir: the very file the page profiled, where the runner gives it (runners/native.py).
    load = getattr(adapter, "load_profiled", adapter.load)
    model = load(Path(job.get("ops_model_dir") or job["model_dir"]))
    for i in range(max(1, job["spec"]["warmup"])):
        adapter.predict(model, refs[i % len(refs)])
    predictions = job["pass"]["predictions"]
    found = adapter.profile_ops(model, [refs[i % len(refs)] for i in range(predictions)])
    reply["info"]["ops_pass"] = {"predictions": predictions, "profiler": found["profiler"],
                                 "timer": found.get("timer", {"trusted": True}), "kernels": found["kernels"]}
