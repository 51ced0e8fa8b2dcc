"""How busy the machine was while a run measured: each result records the 1-minute load average at
its spec's start and end (info["machine_load"], runners/skeleton.py). Two runs of one suite made under
different load can disagree for that reason alone — replicates within one run cannot see it — so
`compare` and the replicate-agreement benchmark say when the loads differ. Pure; no I/O.

The load average counts runnable processes, this tool's own (a browser, a native worker) included, so
a quiet machine running one spec shows about 1–2, not 0.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

# Two runs' median loads differing by at least this much per CPU are called different: on 2 CPUs a
# difference of 1 runnable process, enough to take a core from the measured work half of the time.
DIFFERENT_PER_CPU = 0.5


@dataclass(frozen=True)
class RunLoad:
    median: float    # median over results of each result's mean of its start and end load
    low: float
    high: float
    cpus: int
    results: int     # results that recorded a load

    def short(self) -> str:  # a table cell under a "Machine load" heading
        return f"{self.median:.1f} ({self.low:.1f}–{self.high:.1f}) on {self.cpus} CPUs"

    def text(self) -> str:
        return f"load {self.short()}"


def run_load(results: pd.DataFrame) -> RunLoad | None:
    """The load a run's results recorded (None where none did: stores from before this was recorded)."""
    means, cpus = [], 0
    for info in results.get("info", pd.Series(dtype=object)):
        load = info.get("machine_load") if isinstance(info, dict) else None
        if not isinstance(load, dict):
            continue
        values = [v for v in (load.get("start"), load.get("end")) if isinstance(v, (int, float)) and math.isfinite(v)]
        if values:
            means.append(sum(values) / len(values))
            cpus = max(cpus, int(load.get("cpus") or 0))
    if not means:
        return None
    return RunLoad(float(np.median(means)), float(min(means)), float(max(means)), cpus or 1, len(means))


def as_json(results: pd.DataFrame) -> dict | None:
    load = run_load(results)
    return None if load is None else asdict(load)


def load_warning(base: RunLoad | None, new: RunLoad | None) -> str:
    """'' when the two runs' loads are alike (or unknown), else one sentence saying how they differ."""
    if base is None or new is None:
        return ""
    cpus = max(base.cpus, new.cpus)
    if abs(new.median - base.median) < DIFFERENT_PER_CPU * cpus:
        return ""
    busier = "new" if new.median > base.median else "base"
    return (f"The machine was busier during the {busier} run: base {base.text()}, new {new.text()} (1-minute "
            "load average, this tool's own processes included). Differences may be the machine's, not what "
            "you changed: measure both under the same load.")
