"""The limits of what webdlbench accepts, in one place: how many specs a sweep may have, the range of
every spec field, and the valid values of every metric a page or the harness records.

Suites are held to them before anything starts (grid.py: exit 2 naming the field and the limit); a
page's posted result is held to them by the results server (400 naming the value); and the store
holds every result to them once more before writing it, so that it never holds a value that is not
finite and in range, whoever produced it.
"""
from __future__ import annotations

import dataclasses
import math

from webdlbench.spec import METRIC_RANGES, SpecResult, ValueRange

# A sweep of more specs than this is refused before it is expanded (`webdlbench run --max-specs N`
# raises it): the largest paper suite has a few hundred, and 10,000 specs at a few seconds each are
# days of measuring already.
DEFAULT_MAX_SPECS = 10_000

WEEK_S = 7 * 24 * 3600
# The largest value of each spec field a suite may give (grid.py has the smallest).
MAXIMA = {
    "depth": 1024, "width": 16384, "batch": 65536, "threads": 1024, "seed": 2 ** 32 - 1,
    "samples": 1_000_000, "sample_time_s": WEEK_S, "warmup": 100_000, "max_warmup": 100_000,
    "replicates": 1000, "max_replicates": 1000, "page_loads": 1000, "rounds": 1000,
    "precision": 1.0, "precision_budget_s": WEEK_S, "time_budget_s": WEEK_S, "time_limit_s": WEEK_S,
}
# An MLP's weights must fit one browser allocation with room to train: 2**28 float32 parameters (1 GiB).
MLP_MAX_PARAMETERS = 2 ** 28
# Text fields of a suite: names are identifiers; notes and descriptions are prose.
NAME_MAX_CHARS = 200
TEXT_MAX_CHARS = 10_000
TEXT_FIELDS = ("notes", "description")
# Values echoed in an error message are cut to this many characters.
SHOWN_MAX_CHARS = 60


def shown(value) -> str:
    """`value` as an error message quotes it: its repr, cut short when long (with its length)."""
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        return f"(a whole number of {value.bit_length()} bits)"
    if len(text) <= SHOWN_MAX_CHARS:
        return text
    return f"{text[:SHOWN_MAX_CHARS]}… ({len(str(value))} characters)"


def field_problem(name: str, value) -> str:
    """'' when a spec field's value is within its limits, else the phrase saying which."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{name} = {value} is not a finite number: give a number such as 60"
    if isinstance(value, str):
        most = TEXT_MAX_CHARS if name in TEXT_FIELDS else NAME_MAX_CHARS
        if len(value) > most:
            return f"{name} = {shown(value)} is too long: at most {most} characters"
        return ""
    if name in MAXIMA and not isinstance(value, bool) and value > MAXIMA[name]:
        most = MAXIMA[name]
        bound = f"{most:,}" if isinstance(most, int) else f"{most:g}"
        return f"{name} = {shown(value)} is too large: it must be at most {bound}"
    return ""


def mlp_size_problem(depth: int, width: int) -> str:
    """'' when an MLP of this shape is within MLP_MAX_PARAMETERS, else how big it would be."""
    from webdlbench.models import mlp

    parameters = sum(fan_in * fan_out + fan_out for fan_in, fan_out in mlp.layer_shapes(depth, width))
    if parameters <= MLP_MAX_PARAMETERS:
        return ""
    return (f"an MLP of depth {depth} x width {width} has {parameters:,} parameters "
            f"({parameters * 4 / 2 ** 30:.1f} GiB), more than the {MLP_MAX_PARAMETERS:,} (1 GiB) a page can hold")


def spec_count_problem(count: int, cap: int) -> str:
    """'' when a suite of `count` specs is within `cap`, else the phrase saying how to raise it."""
    if count <= cap:
        return ""
    return (f"the suite expands to {count:,} specs, more than the cap of {cap:,}: "
            f"split it, or pass --max-specs {count} if you mean it")


def value_problem(metric: str, value) -> str:
    """'' when `value` is a valid value of `metric` (METRIC_RANGES), else what is wrong with it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"metric {metric!r} has a value that is not a number: {shown(value)}"
    allowed = METRIC_RANGES[metric]
    try:
        number = float(value)
    except OverflowError:  # a whole number past float64: out of every range
        number = math.inf
    if not _within(number, allowed):
        return f"metric {metric!r} has {shown(value)}, outside its range {_describe(allowed)}"
    return ""


def metrics_problem(metrics: dict) -> str:
    """The first invalid value among {metric: [values]} ('' when every one is valid)."""
    for metric, values in metrics.items():
        if metric not in METRIC_RANGES:
            return f"unknown metric {shown(metric)}"
        if not isinstance(values, list):
            return f"metric {metric!r} must be a list of numbers"
        for value in values:
            problem = value_problem(metric, value)
            if problem:
                return problem
    return ""


def reply_problem(message: dict, job: dict | None = None) -> str:
    """What a reply that has the contract's shape (contract.validate_reply) still gets wrong: a
    metric value out of its range, a loss out of the loss range, or (an ok reply) a backend other
    than the one its job asked for. '' when nothing."""
    problem = metrics_problem(message["metrics"])
    if problem:
        return problem
    for loss in message["losses"]:
        if loss is not None and value_problem("loss", loss):
            return f"a loss is out of range: {shown(loss)}"
    job = job or {}
    spec = job.get("spec") or {}
    ran = (message.get("info") or {}).get("backend")
    measuring = job.get("kind") in ("train", "infer")  # not the survey's or the fingerprint's pages
    if measuring and message["outcome"] == "ok" and ran is not None and spec.get("backend") not in (None, ran):
        return f"the page ran backend {shown(ran)}, its job asked for {spec['backend']!r}"
    return ""


def checked_result(result: SpecResult) -> SpecResult:
    """`result` when every value it carries is finite and in range; otherwise a copy that keeps its
    valid metrics, drops each invalid one, and is an `error` naming the first invalid value (a result
    is never stored with a value it cannot have, nor as ok with one dropped)."""
    bad = {metric: problem for metric, values in result.metrics.items()
           if (problem := metrics_problem({metric: values}))}
    if not bad:
        return result
    kept = {m: v for m, v in result.metrics.items() if m not in bad}
    words = next(iter(bad.values()))
    error = f"the result held an invalid value and was not stored as measured: {words}"
    if result.outcome != "ok" and result.error:
        error = f"{result.error} ({error})"
    return dataclasses.replace(result, outcome="error" if result.outcome == "ok" else result.outcome,
                               error=error, metrics=kept,
                               replicate_of={m: r for m, r in result.replicate_of.items() if m in kept},
                               info={**result.info, "dropped_metrics": sorted(bad)})


def _within(value: float, allowed: ValueRange) -> bool:
    if not math.isfinite(value) or value > allowed.high:
        return False
    if value < allowed.low or (value == allowed.low and not allowed.low_allowed):
        return False
    return not allowed.whole or value.is_integer()


def _describe(allowed: ValueRange) -> str:
    low = f"{'>=' if allowed.low_allowed else '>'} {allowed.low:g}"
    return f"{low} and <= {allowed.high:g}" + (", whole numbers" if allowed.whole else "")
