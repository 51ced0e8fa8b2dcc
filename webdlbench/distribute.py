"""Spreading a sweep's specs over several browsers (workers) that share one results server.

Each worker owns one BrowserSession (one driver: a local Chromium, a CDP endpoint, a grid browser)
and takes specs from one queue, one at a time, only while it holds a working browser. A spec whose
browser died or hung (`browser_crashed`, `timeout`) goes back to the front of the queue, to be
measured by another worker where there is one, at most `retries` times; its earlier attempts are
kept in the result's info. Every spec is handed to `on_result` exactly once, in the harness process,
which alone writes the store. A spec no worker could take (every browser gone) ends as
`browser_crashed` with the reason, so nothing is silently lost.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from webdlbench import native
from webdlbench.budget import OverLimit, hit_limit
from webdlbench.scheduler import RETRIED_OUTCOMES
from webdlbench.spec import Spec, SpecResult

# A worker that cannot get a browser this many times in a row stops (each try waits as its driver
# does), unless it is the last one and had a browser before: that one keeps trying this long.
CONNECT_TRIES = 3
LAST_WORKER_PATIENCE_S = 600
CONNECT_PAUSE_S = 2.0
STOP_TIMEOUT_S = 60  # stopping one worker's browser at the end


@dataclass
class _Item:
    spec: Spec
    attempts: list = field(default_factory=list)  # earlier attempts: worker, node, outcome, error
    tried_by: set = field(default_factory=set)


class _Queue:
    """Pending specs and who may take which; every change wakes the waiting workers."""

    def __init__(self, specs):
        self.pending: deque[_Item] = deque(_Item(s) for s in specs)
        self.in_flight = 0
        self.ready: set[int] = set()  # workers that hold a working browser
        self.active: set[int] = set()  # workers not stopped
        self.changed = asyncio.Condition()
        self.over_limit = OverLimit()  # specs ruled out by a smaller one's timeout (budget.py)

    @property
    def finished(self) -> bool:
        return not self.pending and self.in_flight == 0

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


async def distribute(specs, sessions, cache_dir: Path, on_result, retries: int = 1, on_start=None,
                     on_requeue=None, over_limit: OverLimit | None = None) -> None:
    """Measure `specs` over `sessions` (BrowserSessions sharing one started server); each final
    SpecResult goes to `on_result(result)` once. The sessions are started and stopped here.
    `over_limit` skips specs that a smaller one's timeout rules out (budget.py)."""
    queue = _Queue(specs)
    queue.over_limit = over_limit or queue.over_limit
    native_lock = asyncio.Lock()  # native runs share this machine's CPU: never two at once
    tasks = [asyncio.create_task(_worker(i, session, queue, cache_dir, on_result, retries, native_lock,
                                         on_start, on_requeue)) for i, session in enumerate(sessions)]
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
        reasons = "; ".join(sorted({getattr(s, "last_connect_error", "") for s in sessions} - {""})) or "unknown"
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
        await asyncio.gather(*[_stop(s) for s in sessions])


async def _wait_finished(queue: _Queue) -> None:
    async with queue.changed:
        await queue.changed.wait_for(lambda: queue.finished)


async def _stop(session) -> None:
    try:
        await asyncio.wait_for(session.stop(), STOP_TIMEOUT_S)
    except Exception:  # a browser that will not stop must not keep the sweep from ending
        pass


async def _worker(index: int, session, queue: _Queue, cache_dir: Path, on_result, retries: int, native_lock,
                  on_start, on_requeue) -> None:
    queue.active.add(index)
    try:
        await _work(index, session, queue, cache_dir, on_result, retries, native_lock, on_start, on_requeue)
    finally:  # a worker that stops can take nothing more: the others must not wait for it
        async with queue.changed:
            queue.ready.discard(index)
            queue.active.discard(index)
            queue.changed.notify_all()


async def _work(index: int, session, queue: _Queue, cache_dir: Path, on_result, retries: int, native_lock,
                on_start, on_requeue) -> None:
    started = False
    failures, failing_since = 0, None
    while not queue.finished:
        # Hold a working browser before taking a spec: a worker waiting for one holds nothing.
        try:
            if started:
                await session.driver.ensure_running()
            else:
                await session.start()
                started = True
            failures, failing_since = 0, None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures += 1
            failing_since = failing_since or time.monotonic()
            session.last_connect_error = f"worker {index}: {_first_line(exc)}"
            await queue.update(lambda: queue.ready.discard(index))
            # Patience only for a browser that worked before (a node restarting); a grid that never
            # gave one (a wrong binary path, no matching node) is reported soon.
            patient = started and queue.active == {index}
            if failures >= CONNECT_TRIES and (not patient or time.monotonic() - failing_since > LAST_WORKER_PATIENCE_S):
                await _stop(session)  # e.g. withdraw a session request still queued at the hub
                return
            await asyncio.sleep(CONNECT_PAUSE_S)
            continue
        await queue.update(lambda: queue.ready.add(index))
        item = await queue.take(index)
        if item is None:
            return
        if on_start:
            on_start(index, item.spec)
        node = _node(session)  # where the attempt starts: a crashed one has no page facts to say so
        result = (queue.over_limit.skipped(item.spec)
                  or await _measure(item.spec, session, cache_dir, native_lock))
        node = result.environment.get("node") or node
        if (result.outcome in RETRIED_OUTCOMES and len(item.attempts) < retries
                and not hit_limit(result)):
            item.attempts.append({"worker": index, "node": node, "outcome": result.outcome, "error": result.error})
            item.tried_by.add(index)
            if on_requeue:
                on_requeue(index, item.spec, result)

            def requeue():
                queue.pending.appendleft(item)
                queue.in_flight -= 1
                queue.ready.discard(index)  # its browser is suspect until ensure_running says otherwise
            await queue.update(requeue)
            continue
        _annotate(result, item, index)
        queue.over_limit.note(result)
        on_result(result)  # synchronous: the store writes it in this (the harness) process

        def delivered():
            queue.in_flight -= 1
        await queue.update(delivered)


async def _measure(spec: Spec, session, cache_dir: Path, native_lock) -> SpecResult:
    """One attempt; a driver that fails outside a page (browser gone at new_page) is a crashed browser."""
    started = time.time()
    try:
        if spec.runtime == "native":
            async with native_lock:
                return await native.measure(spec, cache_dir)
        return await session.measure(spec)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        try:
            environment = {**session.host_facts()}
        except Exception:
            environment = {}
        return SpecResult(spec=spec, outcome="browser_crashed", started_at=started, finished_at=time.time(),
                          error=f"the browser could not be driven: {_first_line(exc)}", environment=environment)


def _node(session) -> str | None:
    try:
        return session.driver.facts().get("node")
    except Exception:  # a driver that cannot say: the attempt is recorded without it
        return None


def _annotate(result: SpecResult, item: _Item, worker: int | None) -> None:
    result.info["attempt"] = len(item.attempts) + 1
    if worker is not None:
        result.info["worker"] = worker
    if item.attempts:
        result.info["earlier_attempts"] = item.attempts


def _first_line(exc: BaseException) -> str:
    text = (getattr(exc, "msg", None) or str(exc) or type(exc).__name__).strip()
    return text.splitlines()[0] if text else type(exc).__name__
