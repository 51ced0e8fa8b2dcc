"""The metrics of the separate memory and responsiveness passes (runners/passes.py), written once:
name -> (unit, which way is better). spec.py makes them known metrics (units, value ranges by unit,
METRIC_SENSE); the report and the findings read them by these names.

Responsiveness metrics come per thread the inference ran on: `qoe_main_*` (the page's main thread)
and `qoe_worker_*` (a dedicated Web Worker), beside `qoe_idle_fps`, the animation's rate with no
inference running (the baseline the dropped frames are counted against).
"""
from __future__ import annotations

# "first" is the main thread while the model loads and runs its first (warm-up) inference: the
# first WebGPU inference compiles its shaders there, blocking the page. "worker_first" is the same
# load and first inference in the Web Worker, the page's frames counted meanwhile.
THREADS = ("first", "main", "worker_first", "worker")

MEMORY_METRICS = {
    "memory_js_heap_peak_bytes": ("bytes", "lower"),     # CDP Runtime.getHeapUsage, sampled through the pass
    "memory_wasm_bytes": ("bytes", "lower"),             # the framework's wasm linear memory (never shrinks)
    "memory_framework_bytes": ("bytes", "lower"),        # tf.memory().numBytes with the model loaded and run
    "memory_framework_gpu_bytes": ("bytes", "lower"),    # tf.memory().numBytesInGPU (GPU backends)
    "memory_framework_tensors": ("1", "lower"),          # tf.memory().numTensors with the model loaded and run
    "memory_webgpu_buffer_bytes": ("bytes", "lower"),    # WebGPU buffers the page created and still held, at most
    # The leak check: one value per load -> infer -> dispose cycle, in cycle order, after the dispose.
    "leak_js_heap_bytes": ("bytes", "lower"),            # JS heap after a forced garbage collection
    "leak_framework_bytes": ("bytes", "lower"),
    "leak_framework_tensors": ("1", "lower"),
    "leak_webgpu_buffer_bytes": ("bytes", "lower"),
}

_PER_THREAD = {
    "fps": ("frames/s", "higher"),               # animation frames delivered per second while inferring
    "dropped_frame_pct": ("%", "lower"),         # frames missed against the idle rate
    "long_frames": ("1", "lower"),               # Long Animation Frames (> 50 ms)
    "long_frame_blocking_ms": ("ms", "lower"),   # their blockingDuration, summed
    "long_tasks": ("1", "lower"),                # long tasks (> 50 ms)
    "total_blocking_ms": ("ms", "lower"),        # the long tasks' time beyond 50 ms, summed
    "input_delay_ms": ("ms", "lower"),           # per input: dispatch (event.timeStamp) -> its handler runs
    "input_to_paint_ms": ("ms", "lower"),        # per input: dispatch -> the next frame after its handler
    "infer_ms": ("ms", "lower"),                 # per inference while the animation runs (at most 300
                                                 # values: block means per call when there were more)
}

QOE_METRICS = {
    "qoe_idle_fps": ("frames/s", "higher"),
    "qoe_first_load_ms": ("ms", "lower"),        # the model's load in the 'first' phase (its infer_ms: the first inference)
    "qoe_worker_first_load_ms": ("ms", "lower"), # the same in the worker ('worker_first')
    **{f"qoe_{thread}_{name}": value for thread in THREADS for name, value in _PER_THREAD.items()},
}

PASS_METRICS = {**MEMORY_METRICS, **QOE_METRICS}
