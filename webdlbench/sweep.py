"""The sweep loop: a suite's specs measured by N >= 1 workers that share one results server.

Each worker owns one BrowserRunner (one driver: a local Chromium, a CDP endpoint, a grid browser)
— or none when the suite has no browser specs — and takes specs from one queue, one at a time, only
while it holds a working browser. Native specs run through one NativeRunner, one at a time (they
share this machine's CPU). A spec whose failure was the environment's (`is_environmental`: a browser
that died or hung, a lost GPU context) goes back to the front of the queue, to be measured by
another worker where there is one, at most `retries` times; its earlier attempts are kept in the
result's info. Every spec is handed to `on_result` exactly once, in the harness process, which alone
writes the store. A spec no worker could take (every browser gone) ends as `browser_crashed` with
the reason, so nothing is silently lost. The local driver with one worker is this same loop.
With `refill` (rounds.py), the queue asks it for the next round whenever the current one is delivered.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

from webdlbench.budget import OverLimit, hit_limit
from webdlbench.runners.skeleton import measure_spec
from webdlbench.spec import Spec, SpecResult

# Failures of the environment, not of the framework: worth another try. An unsupported backend,
# a framework error or a failed check would fail the same way again and are not retried.
RETRIED_OUTCOMES = ("browser_crashed", "timeout")
# A lost GPU context or device is the environment too (driver reset, memory pressure elsewhere:
# gpu.js on SwiftShader loses its context now and then); an out-of-memory error is not retried.
RETRIED_ERRORS = ("webglcontextlost", "WebGPU device lost")

# A worker that cannot get a browser this many times in a row stops (each try waits as its driver
# does), unless it is the last one and had a browser before: that one keeps trying this long.
CONNECT_TRIES = 3
LAST_WORKER_PATIENCE_S = 600
CONNECT_PAUSE_S = 2.0
STOP_TIMEOUT_S = 60  # stopping one worker's browser at the end


def is_environmental(result: SpecResult) -> bool:
    """The one retry rule: True when measuring again may succeed (the environment failed)."""
    if hit_limit(result):  # too slow for the suite's time limit: would be again
        return False
    if result.outcome in RETRIED_OUTCOMES:
        return True
    return result.outcome == "error" and any(marker in result.error for marker in RETRIED_ERRORS)


@dataclass
class Worker:
    """One measuring slot: its browser (None for a sweep of native specs only)."""

    browser: object | None
    last_connect_error: str = ""


@dataclass
class _Item:
    spec: Spec
    attempts: list = field(default_factory=list)  # earlier attempts: worker, node, outcome, error
    tried_by: set = field(default_factory=set)
    extras: bool = True       # the profiling and extra passes run with this measurement
    round: dict | None = None  # rounds.py: which round of the spec this is


class _Queue:
    """Pending specs and who may take which; every change wakes the waiting workers. With `refill`,
    a delivered round is followed by the next one (rounds.py) until refill has none."""

    def __init__(self, specs, refill=None):
        self.refill = refill
        self.pending: deque[_Item] = deque(_Item(s) for s in specs)
        self.in_flight = 0
        self.ready: set[int] = set()  # workers that hold a working browser
        self.active: set[int] = set()  # workers not stopped
        self.changed = asyncio.Condition()
        self.over_limit = OverLimit()  # specs ruled out by a smaller one's timeout (budget.py)

    @property
    def finished(self) -> bool:
        return not self.pending and self.in_flight == 0

    def refill_if_drained(self) -> None:
        """The next round, once everything of this one is delivered (call under the lock)."""
        if self.finished and self.refill is not None:
            self.pending.extend(_Item(p.spec, extras=p.extras, round=None if p.spec.rounds <= 1
                                      else {"round": p.round + 1, "of": p.spec.rounds, "top_up": p.top_up})
                                for p in self.refill())

    def _pick(self, worker: int) -> _Item | None:
        for item in self.pending:
            # Another worker's browser first; the same one again only when no other could take it.
            others = (self.ready - {worker}) - item.tried_by
            if worker not in item.tried_by or not others:
                return item
        return None

    async def take(self, worker: int) -> _Item | None:
        async with self.changed:
            while True:
                if self.finished:
                    return None
                item = self._pick(worker)
                if item is not None:
                    self.pending.remove(item)
                    self.in_flight += 1
                    return item
                await self.changed.wait()

    async def update(self, change) -> None:
        async with self.changed:
            change()
            self.changed.notify_all()


async def sweep(specs, workers: list[Worker], native_runner, on_result, retries: int = 1, on_start=None,
                on_requeue=None, over_limit: OverLimit | None = None, profile: bool = False,
                passes: tuple[str, ...] = (), refill=None) -> None:
    """Measure `specs` with `workers` (their BrowserRunners share one started server) and
    `native_runner`; each final SpecResult goes to `on_result(result)` once. The workers' browsers
    are started and stopped here. `over_limit` skips specs that a smaller one's timeout rules out
    (budget.py); `profile` adds the profiling pass to every spec, `passes` the memory / qoe / ops passes;
    `refill` () -> [rounds.Planned] gives the next round whenever the queue is drained."""
    queue = _Queue(specs, refill)
    queue.refill_if_drained()
    queue.over_limit = over_limit or queue.over_limit
    context = _Context(native_runner, on_result, retries, on_start, on_requeue, profile, tuple(passes))
    tasks = [asyncio.create_task(_worker(i, worker, queue, context)) for i, worker in enumerate(workers)]
    try:
        done_waiter = asyncio.create_task(_wait_finished(queue))
        while not done_waiter.done() and not all(t.done() for t in tasks):
            await asyncio.wait({done_waiter, *[t for t in tasks if not t.done()]},
                               return_when=asyncio.FIRST_COMPLETED)
        done_waiter.cancel()
        for task in tasks:  # a worker that failed with a bug ends the sweep with it
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()
        # Every worker has stopped with specs left: no browser remains to measure them.
        reasons = "; ".join(sorted({w.last_connect_error for w in workers} - {""})) or "unknown"
        while queue.pending:
            item = queue.pending.popleft()
            now = time.time()
            result = SpecResult(spec=item.spec, outcome="browser_crashed", started_at=now, finished_at=now,
                                error=f"no browser left to measure it: {reasons}")
            _annotate(result, item, None)
            on_result(result)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*[_stop(w.browser) for w in workers if w.browser is not None])


@dataclass
class _Context:
    """What every worker of one sweep shares."""

    native_runner: object
    on_result: object
    retries: int
    on_start: object
    on_requeue: object
    profile: bool
    passes: tuple = ()


async def _wait_finished(queue: _Queue) -> None:
    async with queue.changed:
        await queue.changed.wait_for(lambda: queue.finished)


async def _stop(browser) -> None:
    try:
        await asyncio.wait_for(browser.stop(), STOP_TIMEOUT_S)
    except Exception:  # a browser that will not stop must not keep the sweep from ending
        pass


async def _worker(index: int, worker: Worker, queue: _Queue, context: _Context) -> None:
    queue.active.add(index)
    try:
        await _work(index, worker, queue, context)
    finally:  # a worker that stops can take nothing more: the others must not wait for it
        async with queue.changed:
            queue.ready.discard(index)
            queue.active.discard(index)
            queue.changed.notify_all()


async def _hold_a_browser(index: int, worker: Worker, queue: _Queue, state: dict) -> bool | None:
    """Make sure the worker's browser works: True when it does, False to try again after a pause,
    None when the worker should stop."""
    browser = worker.browser
    try:
        if state["started"]:
            await browser.driver.ensure_running()
        else:
            await browser.start()
            state["started"] = True
        state["failures"], state["failing_since"] = 0, None
        return True
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        state["failures"] += 1
        state["failing_since"] = state["failing_since"] or time.monotonic()
        worker.last_connect_error = f"worker {index}: {_first_line(exc)}"
        await queue.update(lambda: queue.ready.discard(index))
        # Patience only for a browser that worked before (a node restarting); a grid that never
        # gave one (a wrong binary path, no matching node) is reported soon.
        patient = state["started"] and queue.active == {index}
        if state["failures"] >= CONNECT_TRIES and (
                not patient or time.monotonic() - state["failing_since"] > LAST_WORKER_PATIENCE_S):
            await _stop(browser)  # e.g. withdraw a session request still queued at the hub
            return None
        return False


async def _work(index: int, worker: Worker, queue: _Queue, context: _Context) -> None:
    state = {"started": False, "failures": 0, "failing_since": None}
    while not queue.finished:
        # Hold a working browser before taking a spec: a worker waiting for one holds nothing.
        if worker.browser is not None:
            held = await _hold_a_browser(index, worker, queue, state)
            if held is None:
                return
            if not held:
                await asyncio.sleep(CONNECT_PAUSE_S)
                continue
        await queue.update(lambda: queue.ready.add(index))
        item = await queue.take(index)
        if item is None:
            return
        if context.on_start:
            context.on_start(index, item.spec)
        node = _node(worker.browser)  # where the attempt starts: a crashed one has no page facts to say so
        result = (queue.over_limit.skipped(item.spec)
                  or await _measure(item.spec, worker.browser, context, item.extras))
        node = result.environment.get("node") or node
        if is_environmental(result) and len(item.attempts) < context.retries:
            item.attempts.append({"worker": index, "node": node, "outcome": result.outcome, "error": result.error})
            item.tried_by.add(index)
            if context.on_requeue:
                context.on_requeue(index, item.spec, result)

            def requeue():
                queue.pending.appendleft(item)
                queue.in_flight -= 1
                queue.ready.discard(index)  # its browser is suspect until ensure_running says otherwise
            await queue.update(requeue)
            continue
        _annotate(result, item, index)
        queue.over_limit.note(result)
        context.on_result(result)  # synchronous: the store writes it in this (the harness) process

        def delivered():
            queue.in_flight -= 1
            queue.refill_if_drained()
        await queue.update(delivered)


async def _measure(spec: Spec, browser, context: _Context, extras: bool = True) -> SpecResult:
    """One attempt; a driver that fails outside a page (browser gone at new_page) is a crashed browser.
    Without `extras` (an early round, rounds.py) no profiling or extra pass runs."""
    started = time.time()
    passes = context.passes if extras else ()
    try:
        if spec.runtime == "native":
            async with context.native_runner.lock:
                return await measure_spec(spec, context.native_runner, passes=passes)
        if browser is None:
            raise RuntimeError("a browser spec reached a sweep without browsers")
        return await measure_spec(spec, browser, profile=context.profile and extras, passes=passes)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if spec.runtime == "native":  # a bug or a full disk here must not end the sweep: the spec's outcome
            return SpecResult(spec=spec, outcome="error", started_at=started, finished_at=time.time(),
                              error=f"measuring natively failed: {type(exc).__name__}: {exc}")
        try:
            environment = {**browser.host_facts()}
        except Exception:
            environment = {}
        return SpecResult(spec=spec, outcome="browser_crashed", started_at=started, finished_at=time.time(),
                          error=f"the browser could not be driven: {_first_line(exc)}", environment=environment)


def _node(browser) -> str | None:
    if browser is None:
        return None
    try:
        return browser.driver.facts().get("node")
    except Exception:  # a driver that cannot say: the attempt is recorded without it
        return None


def _annotate(result: SpecResult, item: _Item, worker: int | None) -> None:
    result.info["attempt"] = len(item.attempts) + 1
    if item.round is not None:
        result.info["round"] = item.round
    if worker is not None:
        result.info["worker"] = worker
    if item.attempts:
        result.info["earlier_attempts"] = item.attempts


def _first_line(exc: BaseException) -> str:
    text = (getattr(exc, "msg", None) or str(exc) or type(exc).__name__).strip()
    return text.splitlines()[0] if text else type(exc).__name__
