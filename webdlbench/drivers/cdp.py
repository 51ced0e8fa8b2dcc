"""The cdp driver: Playwright `connect_over_cdp` to a Chromium started elsewhere with
`--remote-debugging-port` (a desktop Chrome, Chrome on Android through `adb forward`, a headless
Chromium on another machine). Each page runs in its own browser context, as locally; the JS heap and
V8's profiler come over CDP. The browser's processes are not this harness's to see (a loopback
address may be an `adb forward`ed phone), so CPU/RSS figures are absent, never invented.

The browser belongs to whoever started it: stopping the driver disconnects and closes only the
contexts it made.
"""
from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlsplit

from playwright.async_api import async_playwright

from webdlbench.drivers import PageSession
from webdlbench.drivers.local import PlaywrightDriver, PlaywrightPage
from webdlbench.errors import UserError

CONNECT_TIMEOUT_MS = 30_000
PROBE_TIMEOUT_S = 10


def probe(cdp_url: str) -> dict:
    """The endpoint's /json/version (http URLs), or a UserError naming the URL; ws:// URLs are not probed."""
    parts = urlsplit(cdp_url)
    if parts.scheme in ("ws", "wss"):
        return {}
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UserError(f"--cdp-url {cdp_url!r} is not a CDP endpoint: give http://HOST:PORT of a browser started "
                        "with --remote-debugging-port=PORT (or its ws:// URL)")
    try:
        with urllib.request.urlopen(f"{parts.scheme}://{parts.netloc}/json/version", timeout=PROBE_TIMEOUT_S) as r:
            return json.loads(r.read())
    except (OSError, ValueError) as exc:
        raise UserError(f"no browser answers CDP at {cdp_url} ({exc}): start Chromium with "
                        "--remote-debugging-port=PORT and give --cdp-url http://HOST:PORT") from None


class RemotePlaywrightPage(PlaywrightPage):
    """A page in a remote browser: the harness machine's facts do not describe it."""

    def __init__(self, context, page, endpoint: str):
        super().__init__(context, page)
        self.endpoint = endpoint

    def facts(self) -> dict:
        return {"node": self.endpoint, "cpu_model": None, "cpu_count": None, "platform": None}


class CDPDriver(PlaywrightDriver):
    name = "cdp"

    def __init__(self, cdp_url: str):
        self.cdp_url = cdp_url
        self._playwright = self._browser = None
        self._current: PageSession | None = None

    async def start(self) -> None:
        self._playwright = await async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.connect_over_cdp(self.cdp_url, timeout=CONNECT_TIMEOUT_MS)
        except Exception:
            await self._playwright.stop()
            self._playwright = None
            raise
        self._browser.on("disconnected", lambda *_: self._current and self._current.fail(
            f"the connection to the browser at {self.cdp_url} closed"))

    async def new_page(self, share: str | None = None) -> PageSession:
        context = await self._browser.new_context()
        self._current = RemotePlaywrightPage(context, await context.new_page(), self.cdp_url)
        return self._current

    def facts(self) -> dict:
        return {
            "driver": self.name,
            "cdp_url": self.cdp_url,
            "node": self.cdp_url,
            "browser_version": self._browser.version if self._browser else "",
            "browser_executable": "(started elsewhere)",
        }
