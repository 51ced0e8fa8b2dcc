"""The grid driver: Selenium WebDriver against a Selenium Grid 4 (the protocol browser farms speak).

One driver holds one WebDriver session, i.e. one browser on one node, for as long as that browser
lives: every page of a spec runs in the same browser, in a fresh tab (and with the HTTP cache
cleared where the node passes CDP commands through). Selenium's client is blocking, so every
command runs in a daemon thread and the event loop (results server, other workers) never waits on it.

What the harness can see of a grid browser: the node that runs it (Grid 4's GraphQL, see
grid_api), its capabilities, and, through ChromeDriver's CDP pass-through, the JS heap and V8's
profiler. Its processes only where the node is this very machine (the browser's pid from the
capabilities, confirmed by its private user-data-dir); elsewhere CPU/RSS figures are absent, never
invented.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
import time
from urllib.parse import urlsplit

import psutil

from webdlbench.browser import choose_flags
from webdlbench.drivers import Driver, PageSession
from webdlbench.drivers.grid_api import api_root, node_of_session, normalise_grid_url

HEARTBEAT_S = 2.0  # how soon a dead node is noticed while its page runs (one cheap command each time)
HEARTBEAT_TIMEOUT_S = 60  # a node that answers nothing for this long is treated as gone
COMMAND_TIMEOUT_S = 60  # any other single WebDriver command
# A new session waits in the grid's queue while every node is busy; after this long the driver gives
# up for now (the request stays queued and is taken over by the next attempt, so none is orphaned).
# Short enough that a spec whose browser died between two of its pages is soon handed to another worker.
SESSION_WAIT_S = 45
SESSION_RETRY_PAUSE_S = 1.0  # a request the grid failed at once (a node that just died): ask again
# The HTTP client must outlast any queue wait: a request whose client gave up stays in the grid's
# queue until the grid's own timeout, may still be served, and would start a browser nobody quits.
HTTP_TIMEOUT_S = 24 * 3600
LATE_SESSION_WAIT_S = 15  # at stop, how long a session request still in flight may take to arrive and be quit
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _in_thread(fn, *args) -> concurrent.futures.Future:
    """Run a blocking call in a daemon thread (a hung node must not keep the process from exiting)."""
    future: concurrent.futures.Future = concurrent.futures.Future()

    def run():
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # handed to the awaiting side as is
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True, name="webdlbench-grid").start()
    return future


async def _call(fn, *args, timeout: float = COMMAND_TIMEOUT_S):
    return await asyncio.wait_for(asyncio.wrap_future(_in_thread(fn, *args)), timeout)


class GridUnavailable(Exception):
    """No browser could be had from the grid within the wait."""


class GridPage(PageSession):
    """One page load in the driver's browser: a fresh tab; a heartbeat notices a dead node."""

    def __init__(self, grid: "GridDriver"):
        super().__init__()
        self.grid = grid
        self.node = grid.node
        self._heartbeat: asyncio.Task | None = None

    async def goto(self, url: str) -> None:
        if self.failure.done():
            raise RuntimeError("no browser to open the page in")
        try:
            # pageLoadStrategy "none": returns once navigation starts, like Playwright's wait_until="commit".
            await _call(self.grid.webdriver.get, url)
        except Exception as exc:
            self.grid.lost(self, exc)
            raise
        self._heartbeat = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        webdriver = self.grid.webdriver
        while not self.failure.done():
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await _call(lambda: webdriver.window_handles, timeout=HEARTBEAT_TIMEOUT_S)
            except asyncio.CancelledError:
                raise
            except asyncio.TimeoutError:
                self.grid.lost(self, TimeoutError(f"no answer within {HEARTBEAT_TIMEOUT_S} s"))
            except Exception as exc:
                self.grid.lost(self, exc)

    def facts(self) -> dict:
        return self.grid.page_facts(self.node)

    async def js_heap_bytes(self) -> float | None:
        try:
            await self.grid.cdp("Performance.enable")
            metrics = await self.grid.cdp("Performance.getMetrics")
        except Exception:  # no CDP through this node, or the page is gone: unavailable, not invented
            return None
        return {m["name"]: m["value"] for m in (metrics or {}).get("metrics", [])}.get("JSHeapUsedSize")

    async def send_cdp(self, method: str, params: dict | None = None) -> dict | None:
        try:
            return await self.grid.cdp(method, params or {})
        except Exception:  # the node passes no CDP, or the page is gone: unavailable, not invented
            return None

    async def start_profiler(self) -> bool:
        from webdlbench.profiler import SAMPLING_INTERVAL_US
        try:
            await self.grid.cdp("Profiler.enable")
            await self.grid.cdp("Profiler.setSamplingInterval", {"interval": SAMPLING_INTERVAL_US})
            await self.grid.cdp("Profiler.start")
        except Exception:
            return False
        return True

    async def stop_profiler(self) -> dict | None:
        try:
            return (await self.grid.cdp("Profiler.stop"))["profile"]
        except Exception:
            return None

    async def close(self) -> None:
        if self._heartbeat:
            self._heartbeat.cancel()
        if self.grid.webdriver is not None and not self.grid.dead:
            try:  # stop whatever the page still runs (a timed-out page), bounded
                await _call(self.grid.webdriver.get, "about:blank", timeout=10)
            except Exception as exc:
                self.grid.lost(self, exc)


class GridDriver(Driver):
    """A browser from a Selenium Grid 4: Chromium with the same flags as locally, headless, plus
    whatever capabilities the suite or the command line ask the grid for (browser version, platform,
    a farm's own options)."""

    name = "grid"

    def __init__(self, grid_url: str, browser_binary: str | None = None, gpu: bool | None = None,
                 session_wait_s: float = SESSION_WAIT_S, trusted_origin: str | None = None,
                 capabilities: dict | None = None):
        self.grid_url = normalise_grid_url(grid_url)
        self.hub = api_root(self.grid_url)
        self.browser_binary = browser_binary  # a path on the nodes, not here
        self.requested = dict(capabilities or {})  # checked by grid_api.requested_capabilities
        # The nodes' GPUs are unknown from here: GPU flags only when WEBDLBENCH_GPU says so. Without
        # them a node with a GPU still uses it for WebGL (the page records the renderer either way).
        self.gpu = os.environ.get("WEBDLBENCH_GPU", "0") not in ("0", "", "no", "false") if gpu is None else gpu
        self.flags = choose_flags(self.gpu)
        if trusted_origin and urlsplit(trusted_origin).hostname not in LOOPBACK:
            # Cross-origin isolation (wasm threads, 5 µs timers) needs a secure context; plain http to
            # another host is not one unless the browser is told to treat the results server as secure.
            self.flags.append(f"--unsafely-treat-insecure-origin-as-secure={trusted_origin}")
        self.session_wait_s = session_wait_s
        self.webdriver = None
        self.dead = False
        self.node: str | None = None
        self.capabilities: dict = {}
        self.local = False  # is the browser on this machine (its processes visible)?
        self.cdp_ok: bool | None = None  # does this node pass CDP commands to ChromeDriver?
        self._pending: concurrent.futures.Future | None = None  # a session request still in flight
        self._current: GridPage | None = None

    # -- sessions -------------------------------------------------------------------------------
    def options(self):
        from selenium.webdriver.chrome.options import Options

        options = Options()
        if self.browser_binary:
            options.binary_location = self.browser_binary
        for flag in (*self.flags, "--headless=new"):
            options.add_argument(flag)
        options.page_load_strategy = "none"
        for key, value in self.requested.items():
            options.set_capability(key, value)
        return options

    def _new_session(self):
        from selenium import webdriver
        from selenium.webdriver.remote.client_config import ClientConfig

        config = ClientConfig(remote_server_addr=self.grid_url, timeout=HTTP_TIMEOUT_S)
        return webdriver.Remote(command_executor=self.grid_url, options=self.options(), client_config=config)

    async def start(self) -> None:
        await self._connect()

    async def _connect(self) -> None:
        """A new session; retried while the grid fails it at once (e.g. a node that just died)."""
        deadline = time.monotonic() + self.session_wait_s
        last_error = "none"
        while True:
            if self._pending is None:
                self._pending = _in_thread(self._new_session)
            pending = self._pending
            try:
                webdriver = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(pending)),
                                                   max(0.1, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                # Still queued at the grid (every node busy): keep the request for the next attempt.
                raise GridUnavailable(f"no browser from the grid at {self.hub} within {self.session_wait_s:.0f} s "
                                      f"(every node busy or down; last error: {last_error})") from None
            except asyncio.CancelledError:
                raise  # the request stays pending; stop() quits what it brings
            except Exception as exc:
                self._pending = None
                last_error = _first_line(exc)
                if time.monotonic() + SESSION_RETRY_PAUSE_S >= deadline:
                    raise GridUnavailable(f"no browser from the grid at {self.hub}: {last_error}") from None
                await asyncio.sleep(SESSION_RETRY_PAUSE_S)
                continue
            self._pending = None
            await self._adopt(webdriver)
            return

    async def _adopt(self, webdriver) -> None:
        self.webdriver, self.dead, self.cdp_ok = webdriver, False, None
        self.capabilities = dict(webdriver.capabilities or {})
        webdriver.command_executor.add_command("executeCdpCommand", "POST", "/session/$sessionId/goog/cdp/execute")
        self.node = await asyncio.wrap_future(_in_thread(node_of_session, self.grid_url, webdriver.session_id))
        self.local = self.browser_process() is not None  # decided once per browser, so a spec's facts stay put

    def lost(self, page: GridPage | None, exc: BaseException) -> None:
        """A command failed: the node, its driver or its browser is gone (the grid's own words kept)."""
        self.dead = True
        if page is not None:
            page.fail(f"the grid browser on node {page.node or 'unknown'} is gone: {_first_line(exc)}")

    async def _quit(self) -> None:
        webdriver, self.webdriver = self.webdriver, None
        if webdriver is not None:
            try:
                await _call(webdriver.quit, timeout=15)
            except Exception:  # the node is gone: the grid releases its session itself
                pass

    async def stop(self) -> None:
        await self._quit()
        pending, self._pending = self._pending, None
        if pending is not None:  # a request still queued at the grid: quit the browser it brings
            try:
                late = await asyncio.wait_for(asyncio.wrap_future(pending), LATE_SESSION_WAIT_S)
            except Exception:
                pending.add_done_callback(_quit_late_session)
            else:
                await _call(late.quit, timeout=15)

    async def ensure_running(self) -> None:
        if self.webdriver is None or self.dead:
            await self._quit()
            await self._connect()

    async def new_page(self, share: str | None = None) -> PageSession:
        page = self._current = GridPage(self)
        if self.webdriver is None or self.dead:
            page.fail("no grid session (the node was lost before this page)")
            return page
        try:
            await _call(self._fresh_tab)
        except Exception as exc:
            self.lost(page, exc)
        return page

    def _fresh_tab(self) -> None:
        """Each page in a new tab (its own renderer), the previous one closed; HTTP cache cleared."""
        webdriver = self.webdriver
        old = webdriver.current_window_handle
        webdriver.switch_to.new_window("tab")
        new = webdriver.current_window_handle
        webdriver.switch_to.window(old)
        webdriver.close()
        webdriver.switch_to.window(new)
        if self.cdp_ok is not False:
            try:
                webdriver.execute("executeCdpCommand", {"cmd": "Network.clearBrowserCache", "params": {}})
                self.cdp_ok = True
            except Exception:  # a node without CDP pass-through: pages then share the HTTP cache
                self.cdp_ok = False

    async def cdp(self, method: str, params: dict | None = None) -> dict:
        if self.cdp_ok is False or self.webdriver is None:
            raise RuntimeError("no CDP through this grid node")
        answer = await _call(self.webdriver.execute, "executeCdpCommand", {"cmd": method, "params": params or {}})
        return answer.get("value") if isinstance(answer, dict) else None

    # -- what the harness can see ---------------------------------------------------------------
    def browser_process(self) -> psutil.Process | None:
        """Only a browser on this machine, proven by its private user-data-dir on its command line."""
        pid = self.capabilities.get("goog:processID")
        user_data_dir = (self.capabilities.get("chrome") or {}).get("userDataDir")
        node_host = urlsplit(self.node).hostname if self.node else None
        if not pid or not user_data_dir or node_host not in LOOPBACK:
            return None
        try:
            process = psutil.Process(int(pid))
            if f"--user-data-dir={user_data_dir}" in process.cmdline():
                return process
        except (psutil.Error, ValueError):
            pass
        return None

    def facts(self) -> dict:
        caps = self.capabilities
        return {
            "driver": self.name,
            "grid_hub": self.hub,
            "node": self.node,
            "browser_name": caps.get("browserName"),
            "browser_version": caps.get("browserVersion") or "",
            "browser_platform": caps.get("platformName"),
            "chromedriver_version": ((caps.get("chrome") or {}).get("chromedriverVersion") or "").split(" ")[0] or None,
            "browser_executable": self.browser_binary or "(the node's default)",
            "browser_flags": self.flags,
            "requested_capabilities": self.requested,
            # what the session says it got for each (a farm may refine a version, or drop what it ignores)
            "granted_capabilities": {key: caps.get(key) for key in self.requested},
            "gpu_flags": "nvidia" if self.gpu else "none (software unless the node's GPU is used by default)",
            "page_isolation": {True: "fresh tab, HTTP cache cleared", False: "fresh tab, shared HTTP cache"}.get(
                self.cdp_ok, "fresh tab"),
        }

    def page_facts(self, node: str | None) -> dict:
        """Per page: the node that ran it. Facts of the harness machine do not describe a remote node."""
        facts = {"node": node}
        if not self.local:
            facts.update(cpu_model=None, cpu_count=None, platform=None)
        return facts


def _quit_late_session(future: concurrent.futures.Future) -> None:
    if future.cancelled() or future.exception() is not None:
        return
    try:
        future.result().quit()
    except Exception:  # best effort: the node's session timeout reclaims it otherwise
        pass
