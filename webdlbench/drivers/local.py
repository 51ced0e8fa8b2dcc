"""The local driver: Playwright launching this machine's Chromium. Each page is a new tab, with its
own renderer process; pages opened with the same `share` key (a spec's replicates) share a browser
context — its HTTP cache, so V8 reuses its compiled bundles — and any other page gets a fresh one."""
from __future__ import annotations

import uuid

import psutil
from playwright.async_api import async_playwright

from webdlbench.browser import choose_flags, has_nvidia_gpu
from webdlbench.drivers import Driver, PageSession
from webdlbench.errors import UserError


class PlaywrightPage(PageSession):
    """A Playwright page; closing it closes its context too unless the context is shared."""

    def __init__(self, context, page, shared: bool = False):
        super().__init__()
        self.context, self.page, self.shared = context, page, shared
        self._cdp = None
        page.on("crash", lambda *_: self.fail("the page's renderer process crashed"))
        page.on("close", lambda *_: self.fail("the page closed before reporting"))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda msg: msg.type in ("error", "warning") and self.errors.append(msg.text))

    async def goto(self, url: str) -> None:
        await self.page.goto(url, wait_until="commit")

    async def _session(self):
        if self._cdp is None:
            self._cdp = await self.context.new_cdp_session(self.page)
        return self._cdp

    async def js_heap_bytes(self) -> float | None:
        try:
            cdp = await self._session()
            await cdp.send("Performance.enable")
            metrics = await cdp.send("Performance.getMetrics")
        except Exception:  # the page is gone: the figure is unavailable, not invented
            return None
        return {m["name"]: m["value"] for m in metrics.get("metrics", [])}.get("JSHeapUsedSize")

    async def send_cdp(self, method: str, params: dict | None = None) -> dict | None:
        try:
            return await (await self._session()).send(method, params or {})
        except Exception:  # the page is gone or the command is unknown here: unavailable, not invented
            return None

    async def start_profiler(self) -> bool:
        from webdlbench.profiler import SAMPLING_INTERVAL_US
        cdp = await self._session()
        await cdp.send("Profiler.enable")
        await cdp.send("Profiler.setSamplingInterval", {"interval": SAMPLING_INTERVAL_US})
        await cdp.send("Profiler.start")
        return True

    async def stop_profiler(self) -> dict | None:
        cdp = await self._session()
        return (await cdp.send("Profiler.stop"))["profile"]

    async def close(self) -> None:
        try:
            await (self.page.close() if self.shared else self.context.close())
        except Exception:  # the browser may be gone; the driver restarts it before the next page
            pass


class PlaywrightDriver(Driver):
    """What the Playwright-backed drivers share: closing and restarting their browser connection."""

    _playwright = _browser = None
    _shared: tuple = (None, None)

    async def stop(self) -> None:
        if self._browser:
            try:
                await self._browser.close()
            except Exception:  # already gone (crashed or killed): nothing left to close
                pass
        if self._playwright:
            await self._playwright.stop()
        self._browser = self._playwright = None
        self._shared = (None, None)  # its contexts went with the browser

    async def ensure_running(self) -> None:
        if not (self._browser and self._browser.is_connected()):
            await self.stop()
            await self.start()


class LocalDriver(PlaywrightDriver):
    """Chromium on this machine, launched by Playwright with flags chosen from what the machine has."""

    name = "local"

    def __init__(self, executable: str, gpu: bool | None = None):
        self.executable = executable
        self.gpu = has_nvidia_gpu() if gpu is None else gpu
        self.flags = choose_flags(self.gpu)
        # An unknown switch Chromium ignores; it lets psutil find this browser's processes.
        self.marker = f"--webdlbench-instance={uuid.uuid4().hex}"
        self._playwright = self._browser = None
        self._current: PageSession | None = None
        self._process: psutil.Process | None = None  # found once per launch (a scan of every process)
        self._shared: tuple = (None, None)  # (share key, the context its pages share)

    async def start(self) -> None:
        self._playwright = await async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=self.executable, headless=True, args=[*self.flags, self.marker])
        except Exception as exc:
            await self._playwright.stop()
            raise UserError(f"could not start the browser {self.executable}: {str(exc).splitlines()[0]}") from None
        self._browser.on("disconnected", lambda *_: self._current and self._current.fail("the browser process exited"))

    @property
    def connected(self) -> bool:
        return bool(self._browser and self._browser.is_connected())

    async def new_page(self, share: str | None = None) -> PageSession:
        # Renderers alive now belong to earlier pages or to Chromium's own UI, never to this page:
        # the monitor tells the page's renderer by elimination (monitor.py).
        earlier = renderer_pids(self.browser_process())
        key, context = self._shared
        if share is None or share != key or context is None:
            if context is not None:
                await _close_quietly(context)
            context = await self._browser.new_context()
            self._shared = (share, context) if share is not None else (None, None)
        self._current = PlaywrightPage(context, await context.new_page(), shared=share is not None)
        self._current.earlier_renderers = earlier
        return self._current

    def browser_process(self) -> psutil.Process | None:
        if self._process is not None and self._process.is_running():
            return self._process
        self._process = None
        for proc in psutil.process_iter(["cmdline"]):
            cmdline = proc.info.get("cmdline") or []
            if self.marker in cmdline and not any(a.startswith("--type=") for a in cmdline):
                self._process = proc
                return proc
        return None

    def facts(self) -> dict:
        return {
            "driver": self.name,
            "browser_executable": self.executable,
            "browser_version": self._browser.version if self._browser else "",
            "browser_flags": self.flags,
            "gpu_flags": "nvidia" if self.gpu else "software (SwiftShader)",
        }


async def _close_quietly(context) -> None:
    try:
        await context.close()
    except Exception:  # the browser may be gone; the driver restarts it before the next page
        pass


def renderer_pids(browser: psutil.Process | None) -> set[int]:
    """The pids of a browser's renderer processes (none for a browser we cannot see)."""
    if browser is None:
        return set()
    found = set()
    try:
        children = browser.children(recursive=True)
    except psutil.NoSuchProcess:
        return found
    for child in children:
        try:
            if "--type=renderer" in child.cmdline():
                found.add(child.pid)
        except psutil.NoSuchProcess:
            continue
    return found
