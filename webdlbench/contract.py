"""The messages between the harness and what it drives, written once: the job a page (or a native
worker) is given, the reply it posts back, and the adapter methods a framework's page needs.

The results server validates every posted reply against REPLY_FIELDS, the native runner validates
its workers' replies the same way, and the harness (web/harness.js) refuses an adapter that lacks a
method its job needs (`required_methods`, sent with the job). `python -m webdlbench.contract` writes
web/contract.schema.json, the same definitions as a JSON Schema for anyone writing another harness
or adapter; a test keeps that file equal to this module, and a Node test (tests/js/) holds
harness.js and every adapter to it.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from webdlbench.spec import METRIC_UNITS

SCHEMA_FILE = Path(__file__).resolve().parent / "web" / "contract.schema.json"

# The job a page fetches from /api/job (the native worker gets its twin on stdin). JSON types.
JOB_FIELDS = {
    "kind": ("string", "train | infer | embed, generate, classify (RQ4, web/webai.js) | prepare (save the model) | env "
                       "(fingerprint only) | memory | qoe | ops (the separate passes, runners/passes.py)"),
    "framework": ("string|null", "the adapter to use (null: an env page loads every adapter)"),
    "spec": ("object", "the Spec being measured (spec.py), budgets included"),
    "scripts": ("array", "bundle URLs to load, in order"),
    "adapters": ("array", "adapter script URLs to load after the bundles"),
    "options": ("object", "learning_rate, batch_size, threads and the framework's own settings"),
    "data": ("object", "URLs of the MNIST digits / corpus tokens / reference inputs, and counts"),
    "weights": ("object|null", "the MLP's seeded weights: url and layer shapes (null for converted models)"),
    "required_methods": ("array", "adapter methods this job calls; the page refuses an adapter lacking one"),
}
OPTIONAL_JOB_FIELDS = {
    "model_url": ("string", "the model file to load (infer; converted models also to train)"),
    "upload_url": ("string", "where a prepare page posts the model its framework saved"),
    "survey": ("object", "what the survey probe page is asked"),
    "model_folder": ("string", "embed, generate, classify: the model's folder as transformers.js lays it out (runners/webai.py)"),
    "visit": ("string", "embed, generate, classify: 'cold' (a fresh browser context, every cache empty) or 'warm' (the second visit)"),
    "runtime_scripts": ("array", "classify: the framework's bundle URLs, which the adapter loads inside the timed "
                                 "cold load (a page loads no bundle before an RQ4 task)"),
    "encodings": ("object", "infer, Finding 6: json_url (the same weights as JSON numbers) and rounds: after "
                            "measuring, load the model from its binary files and from JSON, alternately"),
    "pass": ("object", "a memory, qoe or ops page's settings: cycles, seconds, input interval, predictions"),
}

# The reply a page posts to /api/result and a native worker writes: every field, always.
REPLY_FIELDS = {
    "page": ("string", "the page id the harness gave this page load"),
    "outcome": ("string", "ok | unsupported | error (the harness decides check_failed)"),
    "error": ("string", "the framework's or browser's own words when not ok"),
    "metrics": ("object", "metric name -> list of numbers (units: METRIC_UNITS)"),
    "outputs": ("array", "infer: the output vector of every reference input, in order"),
    "losses": ("array", "train: the loss of every batch, warm-up included"),
    "info": ("object", "backend actually used, library version, wasm threads, ..."),
    "environment": ("object", "fingerprint seen from the page (UA, WebGL renderer, WebGPU adapter, ...)"),
    "warmup_output": ("array", "infer: the output of the first (warm-up) prediction, checked too"),
    "sampling": ("object", "warm-up calls and whether they settled, calls per timed region, timer "
                           "resolution, where the page's time went"),
}
OUTCOMES_POSTED = ("ok", "unsupported", "error")
JSON_TYPES = {"string": (str,), "object": (dict,), "array": (list,), "null": (type(None),)}

# Adapter methods (frameworks/<name>/adapter.js) by what a job does; anything else is optional.
ADAPTER_METHODS = {
    "always": ("version", "init"),
    "train": ("build", "prepareBatch", "trainBatch"),      # the MLP from its seeded weights
    "train_converted": ("loadTrainable", "prepareBatch", "trainBatch"),  # a converted model's file
    "infer": ("load", "predict"),
    "prepare": ("build", "save"),                           # the page saves the model it built
    "embed": ("loadEncoder", "embed", "backendUsed"),        # RQ4's text encoder (web/webai.js)
    "generate": ("loadGenerator", "generate", "backendUsed"),  # RQ4's decoder LLM (web/webai.js)
    "classify": ("loadClassifier", "classify", "backendUsed"),  # RQ4's image classifier (web/webai.js)
}
OPTIONAL_ADAPTER_METHODS = {
    "releaseBatch": "free a batch's tensors after its timed call",
    "dispose": "free a model after the task",
    "describe": "the survey's introspection of layers, activations, optimizers (survey-probe.js)",
    "loadJsonEncoded": "load the model from the JSON encoding of its weights (required by jobs with encodings)",
    "memory": "the framework's own memory counters (framework_bytes, framework_gpu_bytes, framework_tensors, "
              "wasm_bytes), for the memory pass",
    "profile": "one prediction under the library's own profiler: its kernels' names, times, bytes and shapes "
               "(the operators pass)",
    "profileRuns": "several predictions under a profiler read once at their end (ONNX Runtime Web's session "
                   "profiler): {profiler, timer, kernels per prediction} (the operators pass)",
}


def required_methods(task: str, converted: bool = False, saves_in_page: bool = False) -> list[str]:
    """The adapter methods a job of `task` calls ("prepare" for the saving page)."""
    needed = list(ADAPTER_METHODS["always"])
    if task == "train":
        needed += ADAPTER_METHODS["train_converted" if converted else "train"]
    elif task in ("infer", "memory", "qoe", "ops"):  # the passes load and run the model as inference does
        needed += ADAPTER_METHODS["infer"]
    elif task in ("embed", "generate", "classify"):  # RQ4's tasks (web/webai.js)
        needed += ADAPTER_METHODS[task]
    elif task == "prepare" or saves_in_page:
        needed += ADAPTER_METHODS["prepare"]
    return list(dict.fromkeys(needed))


def framework_methods(fw, converted_kinds: bool = False) -> list[str]:
    """Every method a framework's declared backends x tasks need (the page saves the model for
    inference when the framework has no Python writer)."""
    needed = list(ADAPTER_METHODS["always"])
    for task in sorted(fw.tasks()):
        needed += required_methods(task, converted=False)
        if task == "infer" and fw.write_model is None:
            needed += ADAPTER_METHODS["prepare"]
        if task == "train" and converted_kinds:
            needed += ADAPTER_METHODS["train_converted"]
    return list(dict.fromkeys(needed))


def validate_reply(message) -> str:
    """'' when `message` has exactly the reply's shape, else what is wrong (one phrase)."""
    if not isinstance(message, dict):
        return "not an object"
    for name, (kind, _) in REPLY_FIELDS.items():
        if name not in message:
            return f"missing field {name!r}"
        if not isinstance(message[name], JSON_TYPES[kind]):
            return f"field {name!r} must be a JSON {kind}"
    extra = set(message) - set(REPLY_FIELDS)
    if extra:
        return f"unknown field {sorted(extra)[0]!r}"
    if message["outcome"] not in OUTCOMES_POSTED:
        return f"outcome {message['outcome']!r} is not {', '.join(OUTCOMES_POSTED)}"
    for metric, values in message["metrics"].items():
        if metric not in METRIC_UNITS:
            return f"unknown metric {metric!r}"
        if not isinstance(values, list) or not all(_finite_number(v) for v in values):
            return f"metric {metric!r} must be a list of finite numbers"
    for vector in [*message["outputs"], message["warmup_output"]]:
        if not isinstance(vector, list) or not all(_finite_number(v) for v in vector):
            return "outputs must be lists of finite numbers"
    if not all(_finite_number(v) or v is None for v in message["losses"]):
        return "losses must be numbers"
    return ""


def _finite_number(v) -> bool:
    import math
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def json_schema() -> dict:
    """The contract as JSON Schema (draft 2020-12), plus the adapter methods and metric units."""
    def props(fields):
        return {name: {"type": kind.split("|"), "description": text} for name, (kind, text) in fields.items()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "webdlbench page contract (generated by `python -m webdlbench.contract`; do not edit)",
        "$defs": {
            "job": {"type": "object", "properties": {**props(JOB_FIELDS), **props(OPTIONAL_JOB_FIELDS)},
                    "required": list(JOB_FIELDS)},
            "reply": {"type": "object", "properties": props(REPLY_FIELDS), "required": list(REPLY_FIELDS),
                      "additionalProperties": False},
        },
        "adapter_methods": {"required": ADAPTER_METHODS, "optional": OPTIONAL_ADAPTER_METHODS},
        "metric_units": METRIC_UNITS,
        "outcomes_posted": list(OUTCOMES_POSTED),
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(schema_text())
    print(f"wrote {SCHEMA_FILE}", file=sys.stderr)
