"""The separate passes a spec may add after its timed replicates (like the profiling pass, they never
run inside a timed sample): each is one more fresh page whose job kind names the pass, and a probe
that watches that page from outside over CDP at the page's marks.

* memory (`--memory`): the memory accounting and the leak check. The page (web/memory.js) loads,
  runs and disposes the model `cycles` times; after every dispose the probe forces a garbage
  collection and reads the JS heap (CDP HeapProfiler.collectGarbage, Runtime.getHeapUsage), and all
  through the pass it samples the heap for its peak. The page adds the framework's own counters
  (tf.memory(): bytes, GPU bytes, tensors; the wasm linear memory) where its adapter has memory().
* ops (`--ops`): the library's own per-operator profiler over OPS_PREDICTIONS predictions (the
  page: web/ops.js, TF.js's tf.profile(); natively: native/ops_profile.py, torch.profiler), kept in
  info['passes']['ops'] for analysis/operators.py.
* qoe (`--qoe`): responsiveness. The page (web/qoe.js) runs a fixed requestAnimationFrame animation
  while the model loads and runs its first inference, then while it infers in a steady loop, on the
  main thread and then in a Web Worker; the probe
  dispatches a mouse click through CDP (Input.dispatchMouseEvent) every INPUT_INTERVAL_S while the
  loop runs, and the page measures each input's delay and the frame after it.

The pass metrics are named in pass_metrics.py. A pass that cannot run records why in the result's
info (never a zero): `passes.<name>` holds its outcome and its words.
"""
from __future__ import annotations

import asyncio
import contextlib

from webdlbench.spec import Spec

LEAK_CYCLES = 5              # load -> infer -> dispose cycles in one page
PREDICTIONS_PER_CYCLE = 5    # inferences per cycle: enough to allocate what inference allocates
HEAP_SAMPLE_INTERVAL_S = 0.05
QOE_SECONDS = 3.0            # the inference loop per thread (shorter when the spec's budget is)
QOE_IDLE_SECONDS = 1.0       # the animation alone first: the frame rate nothing disturbs
INPUT_INTERVAL_S = 0.1
INPUT_SETTLE_S = 5.0         # how long the end of a phase waits for inputs still being delivered
# first / worker_first: the model's load + first inference on the main thread / in the worker (web/qoe.js)
QOE_THREADS = ("first", "main", "worker_first", "worker")
OPS_PREDICTIONS = 10         # profiled predictions (each kernel's time, per prediction)
PASS_NAMES = ("memory", "qoe", "ops")


def passes_for(spec: Spec, asked: tuple[str, ...] = ()) -> list[str]:
    """The passes a spec gets: those the run asked for (`--memory`, `--qoe`) and those its suite
    turned on; inference only (both load and run a saved model), in a fixed order."""
    wanted = set(asked) | {name for name in PASS_NAMES if getattr(spec, name, False)}
    return [name for name in PASS_NAMES if name in wanted] if spec.task == "infer" else []


def not_measured(spec: Spec, asked: tuple[str, ...]) -> dict:
    """The info a training spec gets for passes that were asked for but measure inference only."""
    wanted = set(asked) | {name for name in PASS_NAMES if getattr(spec, name, False)}
    if spec.task == "infer" or not wanted:
        return {}
    return {"passes": {name: {"outcome": "unsupported", "error": f"the {name} pass measures inference only"}
                       for name in PASS_NAMES if name in wanted}}


class MemoryProbe:
    """The outside of the memory pass: the heap's peak and its size after each cycle's dispose."""

    name = "memory"

    def __init__(self):
        self.peak = 0.0
        self.after_cycles: list[float] = []
        self.unavailable = ""
        self._sampler: asyncio.Task | None = None

    def settings(self, spec: Spec) -> dict:
        return {"cycles": LEAK_CYCLES, "predictions": PREDICTIONS_PER_CYCLE}

    async def on_mark(self, page, name: str) -> None:
        if name == "memory-start":
            if await self._heap(page) is None:
                self.unavailable = "this driver cannot read the page's heap over CDP (Runtime.getHeapUsage)"
                return
            self._sampler = asyncio.create_task(self._sample(page))
        elif name == "memory-cycle" and not self.unavailable:
            await page.send_cdp("HeapProfiler.collectGarbage")
            used = await self._heap(page)
            if used is not None:
                self.after_cycles.append(used)
        elif name == "done":
            await self.stop()

    async def _sample(self, page) -> None:
        while True:
            await self._heap(page)
            await asyncio.sleep(HEAP_SAMPLE_INTERVAL_S)

    async def _heap(self, page) -> float | None:
        usage = await page.send_cdp("Runtime.getHeapUsage")
        if not usage or "usedSize" not in usage:
            return None
        self.peak = max(self.peak, float(usage["usedSize"]))
        return float(usage["usedSize"])

    async def stop(self) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
            self._sampler = None

    def metrics(self) -> tuple[dict[str, list[float]], dict]:
        """What the probe measured, and why what it did not is absent."""
        if self.unavailable:
            return {}, {"absent": {"memory_js_heap_peak_bytes": self.unavailable,
                                   "leak_js_heap_bytes": self.unavailable}}
        metrics = {"leak_js_heap_bytes": self.after_cycles}
        if self.peak:
            metrics["memory_js_heap_peak_bytes"] = [self.peak]
        return metrics, {}


class InputProbe:
    """The outside of the responsiveness pass: a click through CDP every INPUT_INTERVAL_S while
    the page's inference loop runs (between its 'qoe-inputs' and 'qoe-inputs-end' marks). Each is
    sent without waiting for the one before: a blocked page gets its inputs late, not fewer."""

    name = "qoe"

    def __init__(self):
        self.dispatched = 0
        self.failed = 0
        self._ticker: asyncio.Task | None = None
        self._sent: set[asyncio.Task] = set()

    def settings(self, spec: Spec) -> dict:
        return {"seconds": min(QOE_SECONDS, float(spec.time_budget_s)), "idle_seconds": QOE_IDLE_SECONDS,
                "input_interval_ms": INPUT_INTERVAL_S * 1e3, "threads": list(QOE_THREADS), "warmup": spec.warmup}

    async def on_mark(self, page, name: str) -> None:
        if name == "qoe-inputs":
            self._ticker = asyncio.create_task(self._tick(page))
        elif name == "qoe-inputs-end":
            await self.stop(settle_s=INPUT_SETTLE_S)
        elif name == "done":
            await self.stop()

    async def _tick(self, page) -> None:
        while True:
            task = asyncio.create_task(self._click(page))
            self._sent.add(task)
            task.add_done_callback(self._sent.discard)
            await asyncio.sleep(INPUT_INTERVAL_S)

    async def _click(self, page) -> None:
        self.dispatched += 1
        for kind in ("mousePressed", "mouseReleased"):
            answer = await page.send_cdp("Input.dispatchMouseEvent",
                                         {"type": kind, "x": 20, "y": 20, "button": "left", "clickCount": 1})
            if answer is None:
                self.failed += 1
                return

    async def stop(self, settle_s: float = 0.0) -> None:
        """Stop sending; with `settle_s`, wait that long at most for inputs still being delivered."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._sent and settle_s:
            await asyncio.wait(set(self._sent), timeout=settle_s)
        for task in list(self._sent):
            task.cancel()

    def metrics(self) -> tuple[dict[str, list[float]], dict]:
        facts = {"inputs_dispatched": self.dispatched}
        if self.failed:
            facts["inputs_failed"] = self.failed
            if self.failed == self.dispatched:
                facts["absent"] = {"input_delay_ms": "this driver cannot dispatch inputs over CDP"}
        return {}, facts


class OpsProbe:
    """The operators pass needs nothing from outside the page: the library's profiler runs inside."""

    name = "ops"

    def settings(self, spec: Spec) -> dict:
        return {"predictions": OPS_PREDICTIONS}

    async def on_mark(self, page, name: str) -> None:
        return None

    async def stop(self, settle_s: float = 0.0) -> None:
        return None

    def metrics(self) -> tuple[dict[str, list[float]], dict]:
        return {}, {}


PROBES = {"memory": MemoryProbe, "qoe": InputProbe, "ops": OpsProbe}


def pass_result(name: str, reply: dict, probe) -> tuple[dict[str, list[float]], dict]:
    """(metrics, info) of one pass from its page's reply and its probe: the page's pass metrics and
    the probe's, and under info['passes'][name] the outcome, its words and what is absent and why."""
    from webdlbench.pass_metrics import PASS_METRICS

    page_info = reply.get("info") or {}
    facts = {"outcome": reply["outcome"], "error": reply.get("error", "")}
    facts.update(page_info.get(f"{name}_pass") or {})
    if reply["outcome"] != "ok":
        return {}, {"passes": {name: facts}}
    metrics = {k: v for k, v in reply["metrics"].items() if k in PASS_METRICS}
    probed, probe_facts = probe.metrics()
    metrics.update(probed)
    absent = {**(facts.get("absent") or {}), **probe_facts.pop("absent", {})}
    facts.update(probe_facts)
    if absent:
        facts["absent"] = absent
    return {k: v for k, v in metrics.items() if v}, {"passes": {name: facts}}
