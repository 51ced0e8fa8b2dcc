"""Which process renders a page: read from the browser's own trace of the navigation.

Chromium may start the renderer that will host a page before the page is opened (the blank page of
a new tab becomes the page's renderer), so a renderer cannot be told by when it started. The
browser's trace says which one it is: the renderer commits the page's main frame and reports it as
a `CommitLoad` event (category `devtools.timeline`) whose pid is that renderer's and whose URL is
the page's. Tracing runs only around the navigation, never while a page measures.
"""
from __future__ import annotations

import asyncio

TRACE_CATEGORIES = ["devtools.timeline"]  # CommitLoad lives here; nothing heavier is switched on
TRACE_END_TIMEOUT_S = 10


def committing_renderer(events: list[dict], url: str) -> int | None:
    """The pid of the process that committed `url` as an outermost main frame, or None."""
    for event in events:
        if event.get("name") != "CommitLoad":
            continue
        data = (event.get("args") or {}).get("data") or {}
        main = data.get("isOutermostMainFrame", data.get("isMainFrame"))
        if main and data.get("url") == url and isinstance(event.get("pid"), int):
            return event["pid"]
    return None


class NavigationTracer:
    """Traces one navigation at a time over a browser-level CDP session."""

    def __init__(self, browser_session):
        self.session = browser_session
        self._events: list[dict] = []
        self._complete: asyncio.Future | None = None
        browser_session.on("Tracing.dataCollected", lambda params: self._events.extend(params.get("value", [])))
        browser_session.on("Tracing.tracingComplete", self._on_complete)

    def _on_complete(self, _params) -> None:
        if self._complete is not None and not self._complete.done():
            self._complete.set_result(None)

    async def renderer_of(self, navigate, url: str) -> int | None:
        """Run `navigate()` (a coroutine function) under a trace; the pid that committed `url`, or
        None when the trace could not tell. A failed navigation raises as it would untraced."""
        self._events = []
        self._complete = asyncio.get_running_loop().create_future()
        try:
            await self.session.send("Tracing.start", {"traceConfig": {"includedCategories": TRACE_CATEGORIES},
                                                      "transferMode": "ReportEvents"})
            tracing = True
        except Exception:  # e.g. the browser is gone: the navigation below says so in its own words
            tracing = False
        try:
            await navigate()
        finally:
            if tracing:
                try:
                    await self.session.send("Tracing.end")
                    await asyncio.wait_for(self._complete, TRACE_END_TIMEOUT_S)
                except Exception:  # an incomplete trace cannot name the renderer
                    self._events = []

        return committing_renderer(self._events, url)
