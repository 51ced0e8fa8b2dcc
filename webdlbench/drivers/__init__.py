"""Drivers: what opens the page URL. The page protocol (a page at a spec URL runs the spec and posts
its result to the results server) works with any driver that can open a URL; drivers differ only
in what else they can see (processes, CDP metrics, profiles).

A driver gives `PageSession`s, one per page load. What a driver cannot observe it reports as
unavailable (None), never invented.
"""
from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod

import psutil


class PageSession(ABC):
    """One page load. `failure` resolves to a reason when the page or its browser dies."""

    def __init__(self):
        self.failure: asyncio.Future = asyncio.get_running_loop().create_future()
        self.errors: list[str] = []  # the browser's own words (page errors, console errors/warnings)
        # Renderer processes that existed before this page was opened (so are not its own), where
        # the driver can see processes (monitor.py tells the page's renderer by elimination).
        self.earlier_renderers: set[int] = set()

    def fail(self, reason: str) -> None:
        if not self.failure.done():
            self.failure.set_result(reason)

    @abstractmethod
    async def goto(self, url: str) -> None: ...

    async def js_heap_bytes(self) -> float | None:
        return None

    async def start_profiler(self) -> bool:
        """Start V8's sampling profiler; False where this driver cannot."""
        return False

    async def stop_profiler(self) -> dict | None:
        return None

    async def send_cdp(self, method: str, params: dict | None = None) -> dict | None:
        """One CDP command to the page (the memory and responsiveness passes); None where this
        driver cannot send one or the page is gone."""
        return None

    @abstractmethod
    async def close(self) -> None: ...


class Driver(ABC):
    """Where pages run: a local browser, a remote one over CDP, or a Selenium Grid node."""

    name = "driver"

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def new_page(self, share: str | None = None) -> PageSession:
        """A new page. Pages opened with the same `share` key may share a browser context (its
        HTTP cache); each is still a new tab with its own renderer. Drivers may ignore the key."""

    async def ensure_running(self) -> None:
        """Restart what crashed, before the next page."""

    def browser_process(self) -> psutil.Process | None:
        """The browser's main process where the harness can see it (local only), else None."""
        return None

    def facts(self) -> dict:
        """What the harness knows about this browser that the page cannot see."""
        return {"driver": self.name}
