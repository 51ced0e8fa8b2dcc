"""Time limits of a sweep: how long one page load (or native worker) may take, and which specs are
not worth starting because a smaller one of the same series already ran out of time.

A spec's page gets `time_budget_s` (which caps the samples) + a setup allowance + the model's
allowance for loading, warming up and the first sample of a big model (page_allowance_s). A suite can
cap that whole time with `time_limit_s`: on a slow machine the paper's largest CNNs would otherwise
take hours per spec. A page that hits the cap is recorded as `timeout` and, being too slow rather
than hung, is not measured again.

Cost grows with depth and width for every model kind, so once a spec hits its limit, every later
spec of the same series (same runtime, framework, backend, task, model, batch, threads, seed) with
depth and width at least as large is recorded as `skipped`, naming the spec that ran out of time,
instead of spending its own limit to learn the same. Nothing is extrapolated: a skipped spec has no
samples.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from webdlbench.models.training import TRAIN_FORWARD_MULTIPLE
from webdlbench.spec import Spec, SpecResult

if TYPE_CHECKING:
    from webdlbench.models.artifacts import Artifact

SERIES_FIELDS = ("runtime", "framework", "backend", "task", "model", "batch", "threads", "seed")


# Page time allowances (page_allowance_s): the slowest backend seen here is TF.js's plain-JavaScript
# cpu backend training the CNN at 0.075 GFLOP/s (2 shared cores); with a margin:
SLOWEST_FLOPS = 0.05e9
SLOWEST_LOAD_BYTES = 10e6     # bytes/s for fetching and parsing weights into the backend
MAX_PAGE_ALLOWANCE_S = 3600   # beyond this a spec is recorded as `timeout`: too slow to measure here


def page_allowance_s(artifact: "Artifact | None", task: str, batch: int, warmup: int) -> float:
    """Seconds a page (or native worker) may take beyond budget + setup before it counts as hung.

    The time budget caps the samples, but loading the model, the warm-up iterations and the first
    sample always run: for a big model on a slow backend they alone take minutes to hours. They are
    estimated from the model's FLOPs at SLOWEST_FLOPS (a multiply-add = 2; training = 3 x forward x
    batch), plus its files at SLOWEST_LOAD_BYTES, capped at MAX_PAGE_ALLOWANCE_S. The MLP: none."""
    if artifact is None:
        return 0.0
    flops = artifact.manifest["facts"].get("flops") or 0
    per_iteration = flops * (TRAIN_FORWARD_MULTIPLE * batch if task == "train" else 1)
    iterations = max(warmup, 1) + 1  # warm-up (the first prediction at least) and one sample
    load = sum(artifact.tfjs_files.values()) / SLOWEST_LOAD_BYTES
    return float(min(MAX_PAGE_ALLOWANCE_S, load + iterations * per_iteration / SLOWEST_FLOPS))


def page_limit_s(spec: Spec, computed_s: float) -> float:
    """The time one page load (or native worker) of `spec` may take: what the budget and allowances
    give, or the suite's `time_limit_s` where that is smaller."""
    if spec.time_limit_s and spec.time_limit_s < computed_s:
        return float(spec.time_limit_s)
    return float(computed_s)


def hit_limit(result: SpecResult) -> bool:
    """True when the result ran out of the suite's time limit (too slow here, not hung)."""
    return result.outcome == "timeout" and bool(result.info.get("time_limit_s"))


def limit_note(spec: Spec, limit_s: float) -> dict:
    """What a result records about its page time limit (for hit_limit and the report)."""
    return {"time_limit_s": float(limit_s)} if spec.time_limit_s and limit_s == spec.time_limit_s else {}


def _series(spec: Spec) -> tuple:
    return tuple(getattr(spec, name) for name in SERIES_FIELDS)


@dataclass(frozen=True)
class _TimedOut:
    series: tuple
    depth: int
    width: int
    label: str
    limit_s: float


class OverLimit:
    """The specs of this run that ran out of their time limit, and what that rules out."""

    def __init__(self) -> None:
        self._timed_out: list[_TimedOut] = []

    def note(self, result: SpecResult) -> None:
        spec = result.spec
        if hit_limit(result):
            self._timed_out.append(_TimedOut(_series(spec), spec.depth, spec.width, spec.label,
                                             float(result.info["time_limit_s"])))

    def note_stored(self, results) -> None:
        """Seed from a resumed run's stored results (rows of Store.frames()'s results)."""
        for row in results.itertuples():
            spec = Spec.from_dict({name: getattr(row, name) for name in Spec.__dataclass_fields__
                                   if hasattr(row, name)})
            info = row.info if isinstance(row.info, dict) else {}
            self.note(SpecResult(spec=spec, outcome=row.outcome, info=info))

    def reason(self, spec: Spec) -> str:
        """'' when `spec` should run, else why it is skipped (one line)."""
        series = _series(spec)
        for smaller in self._timed_out:
            if smaller.series == series and spec.depth >= smaller.depth and spec.width >= smaller.width:
                return (f"not run: {smaller.label} already ran out of its {smaller.limit_s:.0f} s time limit, and "
                        f"this spec is at least as big (depth {spec.depth} >= {smaller.depth}, width "
                        f"{spec.width} >= {smaller.width}); raise the suite's time_limit_s to measure it")
        return ""

    def skipped(self, spec: Spec, environment: dict | None = None) -> SpecResult | None:
        """The `skipped` result for `spec`, or None when it should run."""
        why = self.reason(spec)
        if not why:
            return None
        now = time.time()
        return SpecResult(spec=spec, outcome="skipped", error=why, environment=environment or {},
                          started_at=now, finished_at=now)
