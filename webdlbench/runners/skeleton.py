"""Measuring one spec, the steps written once for the browser and natively:

    supported here? -> prepare its files (model, artifact) -> its time limit -> replicates, as many
    as auto-sampling asks (runners/sampling.py) -> the profiling pass -> checks -> finish

A replicate is one fresh page (browser) or one fresh process (native): it loads the model, warms up
until the timings settle, takes its samples and reports one reply message (contract.py). What a
runner adds is only how to do the side-specific parts (the `Runner` protocol below). Every outcome
— unsupported, a framework's error, a crashed page, a failed check — is a SpecResult with the
verbatim error, never an exception that ends the sweep.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from webdlbench import budget, hostinfo
from webdlbench.checks import check_kind_outputs, check_training
from webdlbench.models import kinds
from webdlbench.models.artifacts import Artifact
from webdlbench.runners import passes as extra_passes
from webdlbench.runners.sampling import ReplicatePlan
from webdlbench.spec import HEADLINE, Spec, SpecResult


class Failed(Exception):
    """The spec ends with this outcome (not ok) and the verbatim detail."""

    def __init__(self, outcome: str, detail: str, info: dict | None = None):
        super().__init__(detail)
        self.outcome, self.detail, self.info = outcome, detail, info or {}


@dataclass
class Prepared:
    """A spec made ready to run: what each replicate gets, and what the checks compare against."""

    job: dict                                   # what one replicate runs (the page's / worker's job)
    artifact: Artifact | None = None            # converted kinds: the model made by the TF.js converter
    reference: Callable[[], np.ndarray] | None = None  # infer: the reference outputs
    model_files: dict[str, int] = field(default_factory=dict)  # infer: the model's files and sizes
    file_metrics: dict[str, int] = field(default_factory=dict)  # further sizes recorded once (Finding 6)
    info: dict = field(default_factory=dict)    # facts the result records (model, learning rate, …)
    reference_source: str = ""                  # what computed the reference, if not the kind's own
    # RQ4's kinds (runners/webai.py) bring their own replicate (two visits) and output check.
    replicate: Callable | None = None           # async (index, limit_s) -> the replicate's reply
    check: Callable | None = None               # (replies, reference outputs) -> the check
    before_check: Callable | None = None        # async (replies): what the check needs computed first


class Runner(Protocol):
    runtime: str              # "browser" or "native"
    setup_allowance_s: float  # a replicate's time beyond its sampling budget (imports, bundles, model)

    def unsupported_reason(self, spec: Spec, kind: kinds.ModelKind) -> str:
        """'' when this runner can measure the spec here, else why not (the outcome's words)."""

    async def prepare(self, spec: Spec, kind: kinds.ModelKind) -> Prepared:
        """Make the spec's files (once; cached); raise Failed with the maker's own words."""

    async def replicate(self, spec: Spec, prepared: Prepared, index: int, limit_s: float) -> dict:
        """Run one fresh replicate; its reply message (contract.py). Raise Failed when the page or
        process died or hung; a framework's own failure is the reply's outcome."""

    async def profile(self, spec: Spec, prepared: Prepared, limit_s: float) -> dict[str, list[float]]:
        """The separate profiling pass's metrics ({} where this runner has none)."""

    async def extra_pass(self, name: str, spec: Spec, prepared: Prepared, limit_s: float) -> tuple[dict, dict]:
        """A separate pass's (runners/passes.py) metrics and the facts it records in info."""

    def environment(self, reply: dict) -> dict:
        """The fingerprint a result records from one reply and what the runner knows itself."""


async def measure_spec(spec: Spec, runner: Runner, profile: bool = False, passes: tuple[str, ...] = ()) -> SpecResult:
    """Measure one spec with `runner`; always a SpecResult. `profile` adds the profiling pass to
    every spec (a spec may ask for it itself); `passes` the separate memory / qoe / ops passes."""
    result = SpecResult(spec=spec, outcome="ok", started_at=time.time())
    result.info["machine_load"] = {"start": hostinfo.load_average(), "cpus": hostinfo.cpu_count()}
    try:
        kind = kinds.get(spec.model)
        reason = runner.unsupported_reason(spec, kind)
        if reason:
            return _finish(result, "unsupported", reason)
        prepared = await runner.prepare(spec, kind)
        result.info.update(prepared.info)
        # A big converted model's load, warm-up and first sample run whatever the budget: more time.
        limit_s = budget.page_limit_s(spec, spec.time_budget_s + runner.setup_allowance_s
                                      + budget.page_allowance_s(prepared.artifact, spec.task, spec.batch, spec.warmup))
        result.info.update(budget.limit_note(spec, limit_s))
        replies = await _replicates(spec, runner, prepared, limit_s, result)
        if spec.task != "train":  # what the replicates loaded (a spec that never ran records no size)
            result.add("model_file_bytes", [sum(prepared.model_files.values())])
            result.info["model_files"] = prepared.model_files
            for metric, size in prepared.file_metrics.items():
                result.add(metric, [size])
        if profile or spec.profile:
            for metric, values in (await runner.profile(spec, prepared, limit_s)).items():
                result.add(metric, values)
        await _extra_passes(spec, runner, prepared, limit_s, result, passes)
        if prepared.before_check is not None and replies:
            await prepared.before_check(replies)
        result.checks = _checks(spec, kind, prepared, replies, result)
    except Failed as failure:
        return _finish(result, failure.outcome, failure.detail, failure.info)
    if not result.checks["passed"]:
        return _finish(result, "check_failed", result.checks.get("reason", "check failed"))
    return _finish(result, "ok", "")


async def _replicates(spec: Spec, runner: Runner, prepared: Prepared, limit_s: float,
                      result: SpecResult) -> list[dict]:
    """Fresh replicates until the plan says enough; their (ok) replies. Metrics go into `result`
    tagged with their replicate; per-replicate sampling facts into info["replicates"]."""
    plan = ReplicatePlan.for_spec(spec)
    replies: list[dict] = []
    beyond_minimum_since = None
    last_s, why, facts = 0.0, "", None
    while True:
        values, replicate_ids = result.replicate_values(HEADLINE[spec.task])
        extra_s = time.monotonic() - beyond_minimum_since if beyond_minimum_since else 0.0
        more, why = plan.next_step(values, replicate_ids, len(replies), extra_s, last_s)
        if not more:
            break
        started = time.monotonic()
        if len(replies) == plan.minimum:
            beyond_minimum_since = started
        reply = await runner.replicate(spec, prepared, len(replies), limit_s)
        last_s = time.monotonic() - started
        page_facts = reply.get("page_facts") or {}
        if replies and page_facts != facts:  # e.g. the grid gave another node
            raise Failed("browser_crashed", f"the browser changed between replicates ({facts} -> {page_facts}); "
                                            "the replicates of one spec come from one browser")
        facts = page_facts
        result.environment = runner.environment(reply)
        if reply["outcome"] != "ok":
            raise Failed(reply["outcome"], reply["error"], reply.get("info"))
        index = len(replies)
        for metric, values in reply["metrics"].items():
            result.add(metric, values, replicate=index)
        result.info.setdefault("replicates", []).append({**(reply.get("sampling") or {}), "wall_ms": last_s * 1e3})
        for key, value in (reply.get("info") or {}).items():  # the page's facts, never over the harness's own
            result.info.setdefault(key, value)
        replies.append(reply)
    half = plan.half_width(*result.replicate_values(HEADLINE[spec.task]))
    result.info["sampling"] = {"replicates": len(replies), "stopped": why, "precision": spec.precision,
                               "half_width": half, "precision_met": half is not None and half <= spec.precision}
    return replies


async def _extra_passes(spec: Spec, runner: Runner, prepared: Prepared, limit_s: float, result: SpecResult,
                        asked: tuple[str, ...]) -> None:
    """The memory / qoe / ops passes, after the timed replicates. A pass that fails leaves the spec's
    outcome alone: its outcome and words go to info['passes'][name]."""
    result.info.update(extra_passes.not_measured(spec, asked))
    for name in extra_passes.passes_for(spec, asked):
        try:
            metrics, facts = await runner.extra_pass(name, spec, prepared, limit_s)
        except Failed as failure:
            metrics, facts = {}, {"passes": {name: {"outcome": failure.outcome, "error": failure.detail}}}
        for metric, values in metrics.items():
            result.add(metric, values)
        result.info.setdefault("passes", {}).update(facts.get("passes", {}))


def _checks(spec: Spec, kind: kinds.ModelKind, prepared: Prepared, replies: list[dict],
            result: SpecResult) -> dict:
    """Training: the loss falls in every replicate. Inference: every replicate's outputs — the
    warm-up prediction and the reference inputs' — equal the reference within the kind's tolerance."""
    if spec.task == "train":
        checks = [check_training(reply.get("losses") or []) for reply in replies]
        for index, reply in enumerate(replies):
            result.add("loss", [v for v in reply.get("losses") or [] if v is not None], replicate=index)
        return checks[0] if len(checks) == 1 else {"passed": all(c["passed"] for c in checks), "pages": checks}
    reference = prepared.reference()
    if prepared.check is not None:
        return prepared.check(replies, reference)
    outputs = [check_kind_outputs(reply.get("outputs") or [], reference, kind) for reply in replies]
    warmups = [check_kind_outputs([reply.get("warmup_output") or []], reference[:1], kind) for reply in replies]
    failed = [c for c in outputs if not c["passed"]]
    check = dict(failed[0] if failed else max(outputs, key=lambda c: c.get("max_abs_error", 0)))
    check["reference"] = prepared.reference_source or kind.reference
    check["replicates_checked"] = len(outputs)
    check["warmup_max_abs_error"] = max((w.get("max_abs_error", float("inf")) for w in warmups), default=None)
    failed_warmups = [w for w in warmups if not w["passed"]]
    if check["passed"] and failed_warmups:
        check.update(passed=False, reason="warm-up prediction: " + failed_warmups[0]["reason"])
    return check


def _finish(result: SpecResult, outcome: str, error: str, info: dict | None = None) -> SpecResult:
    result.outcome, result.error = outcome, error
    if info:
        result.info.update(info)
    result.finished_at = time.time()
    if "machine_load" in result.info:
        result.info["machine_load"]["end"] = hostinfo.load_average()
    return result
