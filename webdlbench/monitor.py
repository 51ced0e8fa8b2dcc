"""Per-process resources while a page measures: CPU% and peak RSS of the page's renderer and of
the browser's GPU process (WebGL/WebGPU work runs there), sampled with psutil; on an NVIDIA
machine also the GPU memory the GPU process holds and the card's memory in use (gpu_memory.py).

Sampling runs in the harness process, never in the page; values are kept only between the
page's 'measure' and 'done' marks. The page's renderer is found by elimination once the page has
committed (before, Chromium may still swap the blank tab's renderer for another, as it does for a
cross-origin-isolated page): of this browser's renderers, not one that existed before the page was
opened (earlier pages', or a spare) and not Chromium's own UI (the omnibox popup's
`--top-chrome-webui` renderer). Which process started when plays no part. If that leaves none or
several, the renderer's figures are absent (and `renderer_identified` says so), never guessed.
"""
from __future__ import annotations

import asyncio
import time

import psutil

from webdlbench import gpu_memory

SAMPLE_INTERVAL_S = 0.2   # fine enough for batches of ~10 ms to seconds, cheap on 2 cores
# A CPU% over a few milliseconds is 0 or 100 by chance: readings need at least this window.
MIN_WINDOW_S = 0.1
GPU_MEMORY_INTERVAL_S = 0.5  # nvidia-smi takes tens of milliseconds of CPU: at most two readings a second


def _role(proc: psutil.Process) -> str | None:
    try:
        cmdline = proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    if "--type=gpu-process" in cmdline:
        return "gpu"
    # Chromium's own UI pages (omnibox popup) have renderers too; they are not the page.
    if "--type=renderer" in cmdline and "--top-chrome-webui" not in cmdline and "--extension-process" not in cmdline:
        return "renderer"
    return None


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class ProcessMonitor:
    """Samples the page's renderer and the GPU process of one browser."""

    def __init__(self, browser_process: psutil.Process | None, earlier_renderers: set[int] = frozenset(),
                 gpu_memory_readings: bool = False):
        self.browser_process = browser_process
        self.earlier_renderers = set(earlier_renderers)
        self.renderer_pid: int | None = None
        self.renderer_identified = "not yet"
        self._committed = False  # none is chosen before the page has committed (see above)
        self.measuring = False
        self.cpu = {"renderer": [], "gpu": []}
        self.rss_peak = {"renderer": 0, "gpu": 0}
        self._procs: dict[int, tuple[str, psutil.Process]] = {}
        self._last_reading = 0.0
        self._task: asyncio.Task | None = None
        self.gpu_memory_readings = gpu_memory_readings
        self.gpu_memory_peak = {"process": None, "card": None}  # bytes; None: never read
        self.gpu_memory_identified = "not read"
        self._gpu_task: asyncio.Task | None = None

    def page_committed(self) -> None:
        """The page has committed: its renderer is the one it will keep."""
        self._committed = True

    def start(self) -> None:
        if self.browser_process is not None:
            self._task = asyncio.get_running_loop().create_task(self._loop())
            if self.gpu_memory_readings:
                self._gpu_task = asyncio.get_running_loop().create_task(self._gpu_memory_loop())

    async def stop(self) -> None:
        for task in (self._task, self._gpu_task):
            if task:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass

    def mark(self, name: str) -> None:
        if name == "measure":
            self._prime()
            self.measuring = True
        elif name == "done":
            if time.monotonic() - self._last_reading >= MIN_WINDOW_S:
                self.sample()
            self.measuring = False

    def _discover(self) -> None:
        if self.browser_process is None:  # a remote browser: its processes are not ours to see
            return
        try:
            children = self.browser_process.children(recursive=True)
        except psutil.NoSuchProcess:
            return
        roles = {child.pid: (_role(child), child) for child in children}
        if self.renderer_pid is None and self._committed:
            candidates = [pid for pid, (role, child) in roles.items()
                          if role == "renderer" and pid not in self.earlier_renderers and _alive(child)]
            if len(candidates) == 1:
                self.renderer_pid, self.renderer_identified = candidates[0], "elimination"
            else:
                self.renderer_identified = f"not identified ({len(candidates)} candidate renderers)"
        for pid, (role, child) in roles.items():
            if pid in self._procs or role is None or (role == "renderer" and pid != self.renderer_pid):
                continue
            try:
                child.cpu_percent(None)  # the first call only primes psutil's counter
            except psutil.NoSuchProcess:
                continue
            self._procs[pid] = (role, child)

    def _prime(self) -> None:
        self._discover()
        self._last_reading = time.monotonic()
        for _, proc in self._procs.values():
            try:
                proc.cpu_percent(None)
            except psutil.NoSuchProcess:
                pass

    def sample(self) -> None:
        """One reading: CPU% per role summed over its processes since the last reading."""
        self._discover()
        self._last_reading = time.monotonic()
        totals = {"renderer": 0.0, "gpu": 0.0}
        seen = {"renderer": False, "gpu": False}
        for pid, (role, proc) in list(self._procs.items()):
            try:
                totals[role] += proc.cpu_percent(None)
                self.rss_peak[role] = max(self.rss_peak[role], proc.memory_info().rss)
                seen[role] = True
            except psutil.NoSuchProcess:
                self._procs.pop(pid, None)
        for role in totals:
            if seen[role]:
                self.cpu[role].append(totals[role])

    async def _loop(self) -> None:
        self._discover()
        while True:
            await asyncio.sleep(SAMPLE_INTERVAL_S)
            if self.measuring and time.monotonic() - self._last_reading >= MIN_WINDOW_S:
                self.sample()
            else:
                self._discover()

    async def _gpu_memory_loop(self) -> None:
        while True:
            if self.measuring:
                self.note_gpu_memory(await gpu_memory.read_async())
            await asyncio.sleep(GPU_MEMORY_INTERVAL_S)

    def note_gpu_memory(self, reading: gpu_memory.GpuMemory | None) -> None:
        """One nvidia-smi reading while measuring: the GPU process's memory and the card's in use."""
        if reading is None:
            self.gpu_memory_identified = "nvidia-smi gave no report"
            return
        self.gpu_memory_peak["card"] = max(self.gpu_memory_peak["card"] or 0, reading.used_bytes)
        gpu_pids = [pid for pid, (role, _) in self._procs.items() if role == "gpu"]
        held = [reading.by_pid[pid] for pid in gpu_pids if pid in reading.by_pid]
        if held:
            self.gpu_memory_peak["process"] = max(self.gpu_memory_peak["process"] or 0, sum(held))
            self.gpu_memory_identified = "nvidia-smi"
        elif self.gpu_memory_peak["process"] is None:
            self.gpu_memory_identified = (f"the GPU process {gpu_pids or '(not found)'} is not among the "
                                          f"{len(reading.by_pid)} processes nvidia-smi lists (in a container it "
                                          "sees the host's process ids)")

    def metrics(self) -> dict[str, list[float]]:
        out = {"cpu_renderer_pct": self.cpu["renderer"], "cpu_gpu_pct": self.cpu["gpu"]}
        if self.rss_peak["renderer"]:
            out["rss_renderer_peak_bytes"] = [self.rss_peak["renderer"]]
        if self.rss_peak["gpu"]:
            out["rss_gpu_peak_bytes"] = [self.rss_peak["gpu"]]
        if self.gpu_memory_peak["process"] is not None:
            out["gpu_memory_peak_bytes"] = [self.gpu_memory_peak["process"]]
        if self.gpu_memory_peak["card"] is not None:
            out["gpu_memory_used_peak_bytes"] = [self.gpu_memory_peak["card"]]
        return {k: v for k, v in out.items() if v}
