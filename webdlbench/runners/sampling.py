"""How many replicates a spec gets (auto-sampling): at least `replicates`, then more while the
headline's CI is wider than the spec's precision target, its precision budget lasts and the cap
(`max_replicates`) is not reached — tachometer's auto-sampling, with replicates (fresh pages or
processes) as the unit instead of samples of one page.

Pure: the skeleton (runners/skeleton.py) asks `next_step` before each replicate and records the
plan's `verdict` with the result.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from webdlbench.analysis.stats import summarize
from webdlbench.spec import Spec


@dataclass(frozen=True)
class ReplicatePlan:
    minimum: int
    cap: int
    precision: float
    budget_s: float  # seconds of replicates beyond the minimum

    @classmethod
    def for_spec(cls, spec: Spec) -> "ReplicatePlan":
        return cls(spec.replicates, spec.replicate_cap, spec.precision, spec.precision_budget_s)

    def next_step(self, values: list[float], replicates: list[int], done: int, extra_elapsed_s: float,
                  last_replicate_s: float) -> tuple[bool, str]:
        """(measure another replicate?, why not when not). `values`/`replicates`: the headline's
        samples so far; `done`: replicates measured; `extra_elapsed_s`: time spent on replicates
        beyond the minimum; `last_replicate_s`: how long the last one took (the next will be alike)."""
        if done < self.minimum:
            return True, ""
        half = self.half_width(values, replicates)
        if half is not None and half <= self.precision:
            return False, "precision met"
        if done >= self.cap:
            return False, f"max_replicates ({self.cap}) reached"
        if extra_elapsed_s + last_replicate_s > self.budget_s:
            return False, f"precision budget ({self.budget_s:g} s) spent"
        return True, ""

    @staticmethod
    def half_width(values: list[float], replicates: list[int]) -> float | None:
        """The CI half-width as a fraction of the centre over replicates (None: not computable yet)."""
        if len(set(replicates)) < 2:
            return None
        summary = summarize(values, replicates, log_scale=all(v > 0 for v in values))
        if not summary.median or not math.isfinite(summary.half_width_pct):
            return None
        return summary.half_width_pct / 100
