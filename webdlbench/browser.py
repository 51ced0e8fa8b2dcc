"""The system's Chromium: finding it, and choosing its flags from what the machine has.

With an NVIDIA GPU, WebGL (ANGLE on Vulkan) and WebGPU go
to it; without one, both run on SwiftShader (software). The page records the renderer and
adapter it actually got, so the report never has to assume which one ran.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

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
