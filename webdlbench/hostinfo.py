"""Facts about this machine that every result carries, browser and native alike."""
from __future__ import annotations

import os
import platform
from pathlib import Path


def machine_facts() -> dict:
    from webdlbench import __version__

    return {
        "cpu_model": cpu_model(),
        "cpu_count": cpu_count(),
        "platform": platform.platform(),
        "python_version": platform.python_version(),
        "webdlbench_version": __version__,
    }


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity), else the machine's count."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> float | None:
    """The machine's 1-minute load average (runnable processes, this tool's own included), or None
    where the OS has none. Recorded at each spec's start and end: two runs made under different load
    can disagree for that reason alone, which no number of replicates within one run can see."""
    try:
        return round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):
        return None
