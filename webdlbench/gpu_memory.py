"""GPU memory on an NVIDIA machine, from `nvidia-smi -q -x`: the card's total, what it has in use,
and what each process holds. Finding 8 (the paper's "GPU memory is limited to 1 GB") needs the
memory of the browser's GPU process, which no page can see (WebGPU's maxBufferSize is a limit per
buffer, not a measurement).

The XML report is read rather than `--query-compute-apps`, because that query lists compute
processes only, and Chromium's GPU process, which uses the card for WebGL and WebGPU (Vulkan or
OpenGL), is listed as a graphics ("G") or mixed ("C+G") process. Inside a container nvidia-smi may
list no processes at all (it sees the host's process ids): then a process's memory is unknown and
the monitor says so, while the card's memory in use is still read.
"""
from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field

NVIDIA_SMI = "nvidia-smi"
READ_TIMEOUT_S = 10.0
_UNITS = {"b": 1, "kb": 2**10, "mb": 2**20, "gb": 2**30}  # nvidia-smi's MiB and GiB, with the "i" dropped


@dataclass(frozen=True)
class GpuMemory:
    total_bytes: int                  # summed over the machine's cards
    used_bytes: int
    by_pid: dict[int, int] = field(default_factory=dict)  # process id -> bytes, over every card


def _bytes(text: str | None) -> int | None:
    """'1234 MiB' -> bytes; None for 'N/A' or anything else nvidia-smi may print instead."""
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]?i?B)\s*", text or "", re.IGNORECASE)
    if not match:
        return None
    return int(match.group(1)) * _UNITS[match.group(2).lower().replace("i", "")]


def parse(xml_text: str) -> GpuMemory:
    """The memory facts of `nvidia-smi -q -x`'s report; ValueError if it is not such a report."""
    try:
        root = ElementTree.fromstring(xml_text)
    except ElementTree.ParseError as exc:
        raise ValueError(f"nvidia-smi's report is not XML: {exc}") from None
    gpus = root.findall("gpu")
    if root.tag != "nvidia_smi_log" or not gpus:
        raise ValueError("nvidia-smi's report names no GPU")
    total = used = 0
    by_pid: dict[int, int] = {}
    for gpu in gpus:
        total += _bytes(gpu.findtext("fb_memory_usage/total")) or 0
        used += _bytes(gpu.findtext("fb_memory_usage/used")) or 0
        for process in gpu.findall("processes/process_info"):
            pid, held = process.findtext("pid"), _bytes(process.findtext("used_memory"))
            if pid and pid.strip().isdigit() and held is not None:
                by_pid[int(pid)] = by_pid.get(int(pid), 0) + held
    return GpuMemory(total, used, by_pid)


def available() -> bool:
    return shutil.which(NVIDIA_SMI) is not None


def read() -> GpuMemory | None:
    """The report now, or None where there is no nvidia-smi or it fails (no driver, no card)."""
    if not available():
        return None
    try:
        done = subprocess.run([NVIDIA_SMI, "-q", "-x"], capture_output=True, text=True, timeout=READ_TIMEOUT_S)
        return parse(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None


async def read_async() -> GpuMemory | None:
    """read() without blocking the event loop the harness serves pages from."""
    return await asyncio.to_thread(read)
