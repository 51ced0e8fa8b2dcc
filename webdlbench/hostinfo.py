"""Facts about this machine that every result carries, browser and native alike."""
from __future__ import annotations

import os
import platform
from pathlib import Path


def machine_facts() -> dict:
    from webdlbench import __version__

    return {
        "cpu_model": cpu_model(),
        "cpu_count": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "platform": platform.platform(),
        "python_version": platform.python_version(),
        "webdlbench_version": __version__,
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
