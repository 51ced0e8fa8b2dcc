"""The native subprocess: `python -m webdlbench.native.worker` reads one job (JSON) on stdin,
runs it with the runtime's adapter, and writes one reply (JSON) to the job's `reply_path`.

This is the native twin of web/harness.js: the same loops, the same batches, the same timed
regions. Each timed region holds exactly one adapter call, and the adapter returns plain numbers
(its result read back to the host), so nothing of the harness runs inside it.

Adapter (the class named by the job's "adapter", "module:Class"), constructed as Adapter(spec):
  init() -> dict            import the library, pin threads, pick the device; raise Unsupported
  environment() -> dict     library versions, threads in effect, device name
  build(layers, lr)         a trainable model from [(kernel [in,out], bias)], SGD at lr
  build_from_file(folder, lr)  (converted kinds, models/artifacts.py) the same from the saved model file;
                            an adapter without it cannot run those kinds
  prepare_batch(x, labels)  the batch in the library's own form (not timed, as in the page)
  train_batch(model, b)     one SGD step; returns the batch's loss as a float (read back)
  save(layers, folder)      write the model file(s) with the library's own serializer
  load(folder)              read them back into a model ready to predict
  predict(model, x)         x float32 [1, *input shape] -> probabilities [1, classes] as numpy (read back)
"""
from __future__ import annotations

import importlib
import json
import math
import sys
import time
import traceback
from pathlib import Path

import numpy as np

INPUT_SIZE = 784


def main() -> int:
    job = json.loads(sys.stdin.read())
    reply = {"outcome": "ok", "error": "", "metrics": {}, "losses": [], "outputs": [], "info": {},
             "environment": {}, "warmup_output": [], "sampling": {}}
    adapter = None
    try:
        from webdlbench.native import Unsupported
        try:
            adapter = _load_named(job["adapter"])(job["spec"])
            reply["info"].update(adapter.init() or {})
            reply["environment"].update(adapter.environment())
            runner(job)(job, adapter, reply)
        except Unsupported as exc:
            reply["outcome"], reply["error"] = "unsupported", str(exc)
    except Exception as exc:  # the library's own words are the outcome; stderr keeps the trace
        traceback.print_exc()
        reply["outcome"], reply["error"] = "error", f"{type(exc).__name__}: {exc}".strip()
    if adapter is not None and not reply["environment"]:
        try:
            reply["environment"].update(adapter.environment())
        except Exception:  # the library never loaded: there is nothing more to say about it
            pass
    path = Path(job["reply_path"])
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(reply, default=_plain))
    tmp.replace(path)
    return 0


def _load_named(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _plain(value):
    """JSON for numpy scalars that an adapter may leave in its info."""
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


# -- data, as the page sees it -----------------------------------------------------------------------
def load_data(job: dict) -> tuple[np.ndarray, np.ndarray]:
    """The same files the page fetches: float32 images [n, 784] and uint8 labels."""
    images = np.fromfile(job["data"]["images"], dtype="<f4").reshape(-1, INPUT_SIZE)
    labels = np.fromfile(job["data"]["labels"], dtype=np.uint8)
    return images, labels


def load_layers(job: dict):
    from webdlbench.models import mlp

    spec = job["spec"]
    return mlp.make_weights(spec["depth"], spec["width"], spec["seed"])


def reference_inputs(job: dict, images: np.ndarray) -> list[np.ndarray]:
    offset, count = job["data"]["reference_offset"], job["data"]["reference_count"]
    return [images[offset + i:offset + i + 1].copy() for i in range(count)]


def batch_indices(batch: int, number: int, train_count: int) -> np.ndarray:
    """Digits of batch `number` (0-based): [i*B .. (i+1)*B) modulo train_count, as the page's cursor."""
    return (np.arange(batch) + number * batch) % train_count


# -- the runs -------------------------------------------------------------------------------------------
def training_batches(job: dict, adapter):
    """(model, batch(i) -> (inputs, labels)): the MLP from its weights and MNIST rows; a converted
    kind from its model file and models/datasets.py's batches (the twin of the page's cursor)."""
    spec = job["spec"]
    if job.get("model_kind"):
        from webdlbench.models import datasets, kinds

        kind = kinds.get(job["model_kind"]["name"])
        model = adapter.build_from_file(Path(job["model_dir"]), job["learning_rate"])
        return model, lambda i: datasets.training_batch(kind, spec["batch"], i)
    images, labels = load_data(job)
    model = adapter.build(load_layers(job), job["learning_rate"])

    def batch(i):
        rows = batch_indices(spec["batch"], i, job["data"]["train_count"])
        return images[rows], labels[rows]
    return model, batch


# -- the sampling rules: the twins of web/sampling.js (tests/test_sampling_rules.py holds them equal) --
WINDOW = 5             # warm-up settles when the median of the last WINDOW timings ...
TOLERANCE = 0.10       # ... is within this of the median of the WINDOW before
TICKS_PER_REGION = 100  # a timed region spans at least this many ticks of the timer
MAX_BLOCK = 10000
WARMUP_SHARE = 0.25    # warm-up may use at most this share of the sampling budget
MAX_SAMPLES = 1000     # a replicate's samples at most, however short its calls
SAMPLES_TARGET = 200   # calls too short to fill sample_time_s in about this many samples are blocked


def wants_sample(taken: int, timed_ms: float, samples: int, sample_time_s: float) -> bool:
    """Another sample? Until `samples` and `sample_time_s` inside timed regions (MAX_SAMPLES at most)."""
    if taken < samples:
        return True
    return taken < MAX_SAMPLES and timed_ms < sample_time_s * 1000


def settled(timings: list[float], minimum: int) -> bool:
    if len(timings) < max(minimum, 2 * WINDOW):
        return False
    last, before = float(np.median(timings[-WINDOW:])), float(np.median(timings[-2 * WINDOW:-WINDOW]))
    return abs(last - before) <= TOLERANCE * before


def min_region_ms(resolution_ms: float, sample_time_s: float) -> float:
    return max(TICKS_PER_REGION * resolution_ms, sample_time_s * 1000 / SAMPLES_TARGET)


def block_size(per_call_ms: float, region_ms: float) -> int:
    if not per_call_ms > 0 or not region_ms > 0:
        return 1
    return max(1, min(MAX_BLOCK, math.ceil(region_ms / per_call_ms)))


def timer_resolution_ms() -> float:
    """The smallest step perf_counter_ns takes here."""
    smallest = math.inf
    for _ in range(20):
        start = time.perf_counter_ns()
        now = time.perf_counter_ns()
        while now == start:
            now = time.perf_counter_ns()
        smallest = min(smallest, now - start)
    return smallest / 1e6


def calibrate_block(time_block, per_call_ms: float, resolution_ms: float, sample_time_s: float) -> int:
    """Calls per timed region (see harness.js calibrateBlock)."""
    region = min_region_ms(resolution_ms, sample_time_s)
    k = block_size(per_call_ms if per_call_ms > 0 else resolution_ms / TICKS_PER_REGION, region)
    if k > 1:
        k = block_size(time_block(k) / k, region)
    return k


def _warming(timings: list[float], done: int, spec: dict, warmup_deadline: float) -> bool:
    """Another warm-up call? At least spec["warmup"] calls in all (`done` counts them), then until
    the timings settle, at most max_warmup, within the warm-up's share of the budget."""
    return done < spec["warmup"] or (len(timings) < spec["max_warmup"] and not settled(timings, spec["warmup"])
                                     and time.perf_counter() < warmup_deadline)


def run_train(job: dict, adapter, reply: dict) -> None:
    spec = job["spec"]
    model, next_batch = training_batches(job, adapter)
    resolution = timer_resolution_ms()
    warmup, samples, losses = [], [], []
    cursor = iter(range(2 ** 62))

    def train(count: int) -> float:  # one timed region: `count` batches, losses read back
        batches = [adapter.prepare_batch(*next_batch(next(cursor))) for _ in range(count)]
        start = time.perf_counter_ns()
        values = [adapter.train_batch(model, batch) for batch in batches]
        elapsed = (time.perf_counter_ns() - start) / 1e6
        losses.extend(_number(v, "train_batch") for v in values)
        return elapsed

    started = time.perf_counter()
    deadline = started + spec["time_budget_s"]
    warmup_deadline = started + WARMUP_SHARE * spec["time_budget_s"]
    while _warming(warmup, len(warmup), spec, warmup_deadline):
        warmup.append(train(1))
    k = calibrate_block(train, float(np.median(warmup[-WINDOW:])) if warmup else 0.0, resolution,
                        spec["sample_time_s"])
    timed = 0.0
    while wants_sample(len(samples), timed, spec["samples"], spec["sample_time_s"]):
        if samples and time.perf_counter() > deadline:
            break  # at least one sample
        elapsed = train(k)
        timed += elapsed
        samples.append(elapsed / k)
    reply["metrics"] = {"train_warmup_ms": warmup, "train_batch_ms": samples}
    reply["losses"] = losses
    reply["sampling"] = {"warmup_calls": len(warmup), "warmup_settled": settled(warmup, spec["warmup"]),
                         "block_calls": k, "timer_resolution_ms": resolution}


def steady_state(call, first_ms: float, spec: dict, resolution: float) -> tuple[list[float], dict]:
    """Steady-state samples of `call(count, offset)` (one timed region of `count` calls, read back;
    its ms), after warm-up calls until the timings settle (the first call, `first_ms`, counts as
    one); and the sampling facts. The twin of the page's steadyState (harness.js)."""
    warm: list[float] = []
    started = time.perf_counter()
    deadline = started + spec["time_budget_s"]
    warmup_deadline = started + WARMUP_SHARE * spec["time_budget_s"]
    while _warming(warm, len(warm) + 1, spec, warmup_deadline):
        warm.append(call(1, len(warm) + 1))
    k = calibrate_block(call, float(np.median(warm[-WINDOW:])) if warm else first_ms, resolution,
                        spec["sample_time_s"])
    samples: list[float] = []
    timed = 0.0
    while wants_sample(len(samples), timed, spec["samples"], spec["sample_time_s"]):
        if samples and time.perf_counter() > deadline:
            break
        elapsed = call(k, len(samples) * k)
        timed += elapsed
        samples.append(elapsed / k)
    return samples, {"warmup_calls": len(warm) + 1, "warmup_settled": settled(warm, spec["warmup"]),
                     "block_calls": k, "timer_resolution_ms": resolution}


def inference_inputs(job: dict) -> list[np.ndarray]:
    """The reference inputs inference runs on: held-out digits, or (converted kinds) the artifact's
    own reference inputs, any shape."""
    if job.get("model_kind"):
        shape = [job["model_kind"]["reference_count"], 1, *job["model_kind"]["input_shape"]]
        return list(np.fromfile(job["model_kind"]["reference_inputs"], dtype="<f4").reshape(shape))
    images, _ = load_data(job)
    return reference_inputs(job, images)


def run_infer(job: dict, adapter, reply: dict) -> None:
    spec = job["spec"]
    refs = inference_inputs(job)
    resolution = timer_resolution_ms()
    folder = Path(job["model_dir"])
    start = time.perf_counter_ns()
    model = adapter.load(folder)
    load_ms = (time.perf_counter_ns() - start) / 1e6
    start = time.perf_counter_ns()
    first = adapter.predict(model, refs[0])
    warmup_ms = (time.perf_counter_ns() - start) / 1e6
    reply["warmup_output"] = _vector(first, "predict")

    def predict(count: int, offset: int = 0) -> float:  # one timed region: `count` predictions, read back
        start = time.perf_counter_ns()
        for j in range(count):
            out = adapter.predict(model, refs[(offset + j) % len(refs)])
        elapsed = (time.perf_counter_ns() - start) / 1e6
        _vector(out, "predict")
        return elapsed

    samples, reply["sampling"] = steady_state(predict, warmup_ms, spec, resolution)
    reply["metrics"] = {"load_ms": [load_ms], "warmup_ms": [warmup_ms], "infer_ms": samples}
    # The output check, untimed: every reference input once.
    reply["outputs"] = [_vector(adapter.predict(model, ref), "predict") for ref in refs]


def run_prepare(job: dict, adapter, reply: dict) -> None:
    folder = Path(job["model_dir"])
    folder.mkdir(parents=True, exist_ok=True)
    adapter.save(load_layers(job), folder)


def _number(value, what: str) -> float:
    if not isinstance(value, (float, int, np.floating)):
        raise TypeError(f"adapter {what} returned {type(value).__name__}, not a number read back")
    return float(value)


def _vector(value, what: str) -> list[float]:
    if not isinstance(value, np.ndarray):
        raise TypeError(f"adapter {what} returned {type(value).__name__}, not a numpy array read back")
    return [float(v) for v in value.reshape(-1)]


def run_ops(job: dict, adapter, reply: dict) -> None:
    from webdlbench.native.ops_profile import run_ops as profile_ops  # the operators pass (--ops)
    profile_ops(job, adapter, reply, inference_inputs(job))


def run_device(job: dict, adapter, reply: dict) -> None:
    """Nothing beyond init(): it has picked the spec's device, or raised Unsupported saying why not."""


RUNNERS = {"train": run_train, "infer": run_infer, "prepare": run_prepare, "ops": run_ops, "device": run_device}


def runner(job: dict):
    """The loop of a job: the one the job names ("module:function", a task added elsewhere, e.g.
    RQ4's embed in native/webai.py, which builds on this module), else this module's for its kind."""
    return _load_named(job["runner"]) if job.get("runner") else RUNNERS[job["kind"]]


if __name__ == "__main__":
    sys.exit(main())
