"""Playwright driving the system's Chromium: finding it, choosing flags, one fresh page per load.

Flags come from what the machine has: with an NVIDIA GPU, WebGL (ANGLE on Vulkan) and WebGPU go
to it; without one, both run on SwiftShader (software). The page records the renderer and
adapter it actually got, so the report never has to assume which one ran.
"""
from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from playwright.async_api import async_playwright

from webdlbench.errors import UserError

BROWSER_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Quiet, closed-network, reproducible: no background traffic, no spare renderer to confuse
# process sampling; --no-sandbox because these machines run as root.
BASE_FLAGS = (
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-default-apps",
    "--disable-features=SpareRendererForSitePerProcess",
    "--enable-unsafe-webgpu",
)
SOFTWARE_GPU_FLAGS = ("--enable-unsafe-swiftshader",)
# Proven on an NVIDIA H200 (shared/docs/ENVIRONMENT.md): both WebGL and WebGPU on the GPU.
NVIDIA_GPU_FLAGS = (
    "--use-angle=vulkan", "--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan",
    "--ignore-gpu-blocklist",
)


def find_browser(explicit: str | None = None) -> str:
    """The Chromium to drive: --browser, then $WEBDLBENCH_BROWSER, then the PATH."""
    wanted = explicit or os.environ.get("WEBDLBENCH_BROWSER")
    if wanted:
        path = shutil.which(wanted) or wanted
        if not Path(path).is_file() or not os.access(path, os.X_OK):
            raise UserError(f"browser {wanted} not found or not executable: give the path of a Chromium binary")
        return path
    for name in BROWSER_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise UserError("no Chromium found: install it (`apt-get install -y chromium`, or `make setup`) "
                    "or pass --browser PATH")


def has_nvidia_gpu() -> bool:
    override = os.environ.get("WEBDLBENCH_GPU")
    if override is not None:
        return override not in ("0", "", "no", "false")
    return Path("/dev/nvidia0").exists() or shutil.which("nvidia-smi") is not None


def choose_flags(gpu: bool) -> list[str]:
    return [*BASE_FLAGS, *(NVIDIA_GPU_FLAGS if gpu else SOFTWARE_GPU_FLAGS)]


@dataclass
class Browser:
    """A running Chromium; `new_page()` gives a page in a fresh context (no shared cache or state)."""

    executable: str
    gpu: bool = field(default_factory=has_nvidia_gpu)
    marker: str = field(default_factory=lambda: f"--webdlbench-instance={uuid.uuid4().hex}")

    def __post_init__(self):
        self.flags = choose_flags(self.gpu)
        self._playwright = None
        self._browser = None
        self._on_disconnect = None

    def on_disconnect(self, callback) -> None:
        """Call `callback()` if this browser process goes away (crash, kill) while a page runs."""
        self._on_disconnect = callback

    async def start(self) -> None:
        self._playwright = await async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=self.executable, headless=True,
                # The marker is an unknown switch Chromium ignores; it lets psutil find this browser.
                args=[*self.flags, self.marker])
            self._browser.on("disconnected", lambda *_: self._on_disconnect and self._on_disconnect())
        except Exception as exc:
            await self._playwright.stop()
            raise UserError(f"could not start the browser {self.executable}: {str(exc).splitlines()[0]}") from None

    async def stop(self) -> None:
        if self._browser:
            try:
                await self._browser.close()
            except Exception:  # already gone (crashed or killed): nothing left to close
                pass
        if self._playwright:
            await self._playwright.stop()
        self._browser = self._playwright = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def connected(self) -> bool:
        return bool(self._browser and self._browser.is_connected())

    @property
    def version(self) -> str:
        return self._browser.version if self._browser else ""

    async def new_page(self):
        context = await self._browser.new_context()
        page = await context.new_page()
        return context, page

    def process(self) -> psutil.Process | None:
        """The browser's main process, found by the marker switch on its command line."""
        for proc in psutil.process_iter(["cmdline"]):
            cmdline = proc.info.get("cmdline") or []
            if self.marker in cmdline and not any(a.startswith("--type=") for a in cmdline):
                return proc
        return None
