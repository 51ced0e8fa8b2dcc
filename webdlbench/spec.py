"""The units of measurement: a Spec (what to measure) and the result a page sends back.

A Spec is frozen and hashable; its hash is its identity in the store (resume, dedupe, merge).
The messages a page or native worker exchange with the harness are defined in contract.py.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import NamedTuple

from webdlbench.pass_metrics import PASS_METRICS  # the separate passes' metrics are written there

# Bump when the meaning of a stored field changes, so old stores are recognised.
# 2: samples carry their replicate (the fresh page or process they came from); a version-1 store is
# read as one replicate per result, and migrated in place when a sweep writes to it.
SCHEMA_VERSION = 2

# embed: a text encoder's mean-pooled embedding; generate: a decoder LLM's greedy generation;
# classify: an image classifier's class outputs (RQ4, models/webai/); a replicate of each is two visits.
TASKS = ("train", "infer", "embed", "generate", "classify")
RUNTIMES = ("browser", "native")

# Outcomes a spec result can have; anything but "ok" carries the verbatim error.
OUTCOMES = (
    "ok",              # measured, and the check (loss falls / outputs match) passed
    "check_failed",    # measured, but the result was wrong: timings kept, flagged
    "unsupported",     # the framework/backend cannot do this here (e.g. no WebGPU adapter)
    "error",           # the framework threw; the message is kept verbatim
    "timeout",         # the page never reported within the spec's time limit
    "browser_crashed", # the browser or page process died mid-spec
    "skipped",         # not run: a smaller spec of its series ran out of the time limit (budget.py)
)

# Units of every metric a page or the harness records; a metric not listed here is refused.
METRIC_UNITS = {
    "train_batch_ms": "ms",       # one training batch (SGD step), result read back
    "train_warmup_ms": "ms",      # the warm-up batches, kept apart from the samples
    "loss": "1",                  # training loss per measured batch (for the check)
    "load_ms": "ms",              # fetching + parsing the saved model file, one per page load
    "warmup_ms": "ms",            # the first prediction after loading, one per page load
    "infer_ms": "ms",             # one single-sample prediction, steady state
    "model_file_bytes": "bytes",  # size of the model file(s) the framework saved
    # Finding 6, frameworks with two encodings of one model (TF.js): its binary files and the same
    # weights as JSON numbers, their sizes and loads (fetch + parse + build), timed after measuring.
    "model_binary_bytes": "bytes",
    "model_json_bytes": "bytes",
    "load_binary_ms": "ms",
    "load_json_ms": "ms",
    "cpu_renderer_pct": "%",      # CPU% of the page's renderer process while measuring
    "cpu_gpu_pct": "%",           # CPU% of the browser's GPU process while measuring
    "rss_renderer_peak_bytes": "bytes",
    "rss_gpu_peak_bytes": "bytes",
    # NVIDIA only (gpu_memory.py): GPU memory the browser's GPU process held, and the card's memory in use.
    "gpu_memory_peak_bytes": "bytes",
    "gpu_memory_used_peak_bytes": "bytes",
    "js_heap_used_bytes": "bytes",  # CDP Performance.getMetrics JSHeapUsedSize at the end
    "max_stack_depth": "frames",    # deepest sampled JS call stack in the profiling pass (--profile)
    "profile_samples": "1",         # how many stacks the profiling pass sampled
    # RQ4 (models/webai/): a replicate is two visits in one fresh browser context (natively: two
    # loads in one fresh process); runners/webai.py says what each includes.
    "cold_load_ms": "ms",         # first visit, caches empty: runtime fetched + compiled, model fetched, session made
    "warm_load_ms": "ms",         # second visit: runtime and model from the caches the runtime itself fills
    "first_infer_ms": "ms",       # the first inference after the cold load (WebGPU: shaders compiled here)
    "ttft_ms": "ms",              # generate: call to first new token (prefill of the prompt + one step)
    "prefill_tok_s": "tok/s",     # generate: prompt tokens / time to first token
    "decode_tok_s": "tok/s",      # generate: new tokens after the first / the time they took
    **{name: unit for name, (unit, _) in PASS_METRICS.items()},  # the --memory / --qoe / --ops passes' metrics
}


class ValueRange(NamedTuple):
    """The values a metric may take: finite, from `low` to `high`; `low` itself only when
    `low_allowed`; whole numbers only when `whole`."""

    low: float
    high: float
    low_allowed: bool = True
    whole: bool = False


_TIME = ValueRange(0, 1e8, low_allowed=False)          # ms: more than 0, under ~28 hours
_PERCENT = ValueRange(0, 100 * 4096)                    # % of one core, on up to 4096 cores
_BYTES = ValueRange(0, 2 ** 53, whole=True)             # exact in a float64
_COUNT = ValueRange(0, 2 ** 31, whole=True)
_RATE = ValueRange(0, 1e9, low_allowed=False)           # tokens/s: more than 0 (a token took some time)
# The passes' metrics by unit: their times may be 0 (an input handled within the timer's tick).
_PASS_RANGES = {"ms": ValueRange(0, 1e8), "bytes": _BYTES, "1": _COUNT, "%": ValueRange(0, 100),
                "frames/s": ValueRange(0, 1000)}
# The valid values of every metric (limits.py holds posted and stored values to them). A loss may be
# any finite number: whether it fell is the check's to judge, not a range's.
METRIC_RANGES = {
    "train_batch_ms": _TIME, "train_warmup_ms": _TIME, "load_ms": _TIME, "warmup_ms": _TIME, "infer_ms": _TIME,
    "load_binary_ms": _TIME, "load_json_ms": _TIME, "model_binary_bytes": _BYTES, "model_json_bytes": _BYTES,
    "loss": ValueRange(-1e300, 1e300),
    "model_file_bytes": _BYTES, "rss_renderer_peak_bytes": _BYTES, "rss_gpu_peak_bytes": _BYTES,
    "gpu_memory_peak_bytes": _BYTES, "gpu_memory_used_peak_bytes": _BYTES, "js_heap_used_bytes": _BYTES,
    "cpu_renderer_pct": _PERCENT, "cpu_gpu_pct": _PERCENT,
    "max_stack_depth": _COUNT, "profile_samples": _COUNT,
    "cold_load_ms": _TIME, "warm_load_ms": _TIME, "first_infer_ms": _TIME,
    "ttft_ms": _TIME, "prefill_tok_s": _RATE, "decode_tok_s": _RATE,
    **{name: _PASS_RANGES[unit] for name, (unit, _) in PASS_METRICS.items()},
}
# Which way is better, for every metric, written once: "higher" for throughputs (tokens/s, frames/s),
# "lower" for everything else (times, bytes, counts, dropped frames). The report, the verdict, the gap
# and the findings rank by it.
METRIC_SENSE = {**{name: "lower" for name in METRIC_UNITS},
                "prefill_tok_s": "higher", "decode_tok_s": "higher",
                **{name: sense for name, (_, sense) in PASS_METRICS.items()}}
HIGHER_IS_BETTER = tuple(name for name, sense in METRIC_SENSE.items() if sense == "higher")

# Fields that make a spec's identity; budgets (samples, time) are not part of it. Written once: the
# store's spec columns (store.py, in this order) and the summaries' keys (analysis/stats.py) are these.
IDENTITY_FIELDS = ("runtime", "framework", "backend", "task", "model", "depth", "width", "batch",
                   "threads", "seed")
BUDGET_FIELDS = ("samples", "sample_time_s", "warmup", "replicates", "max_replicates", "precision",
                 "precision_budget_s", "max_warmup", "time_budget_s", "time_limit_s", "profile", "memory", "qoe", "ops",
                 "rounds", "notes")
# The figure each task is judged and auto-sampled by.
HEADLINE = {"train": "train_batch_ms", "infer": "infer_ms", "embed": "infer_ms", "generate": "decode_tok_s",
            "classify": "infer_ms"}


@dataclass(frozen=True)
class Spec:
    """One configuration to measure: where, with what, on which model, with which budget."""

    framework: str
    backend: str
    task: str
    depth: int
    width: int
    batch: int = 64
    model: str = "mlp"
    runtime: str = "browser"
    seed: int = 0
    threads: int = 1
    samples: int = 20          # steady-state samples per replicate (a fresh page or native process), at least
    sample_time_s: float = 1.0  # ... and at least this long inside timed regions (fast calls: more samples)
    warmup: int = 3            # warm-up calls at least; more until the timings settle (up to max_warmup)
    replicates: int = 5        # fresh pages / processes at least: the unit of every CI
    max_replicates: int = 0    # auto-sampling's cap (0: three times `replicates`)
    precision: float = 0.02    # target: the headline's CI half-width as a fraction of its centre
    precision_budget_s: float = 60  # time a spec may spend on replicates beyond `replicates` to reach it
    max_warmup: int = 50       # warm-up calls at most, settled or not (recorded either way)
    time_budget_s: float = 60  # per replicate: the page stops sampling when it is spent
    time_limit_s: float = 0    # cap on one replicate's whole time, setup included (0: none; budget.py)
    profile: bool = False      # add the separate call-stack profiling pass (never in measured samples)
    memory: bool = False       # add the separate memory pass: accounting and the leak check (runners/passes.py)
    qoe: bool = False          # add the separate responsiveness pass: frames, long frames, input delay
    ops: bool = False          # add the separate operators pass: per-kernel times (tf.profile, torch.profiler)
    rounds: int = 1            # the suite is measured this many times over, each round a share of the
                               # replicates, so they spread over the run's time (rounds.py)
    notes: str = ""

    @property
    def spec_hash(self) -> str:
        ident = {name: getattr(self, name) for name in IDENTITY_FIELDS}
        blob = json.dumps(ident, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    @property
    def label(self) -> str:
        if self.model.startswith("file:"):  # a user's own file: its name, never its path or 1x1
            from webdlbench.models.user_ids import display_name
            return f"{self.framework}/{self.backend} {self.task} {display_name(self.model)}"
        shape = f"{self.depth}x{self.width}"
        batch = f" b{self.batch}" if self.task == "train" else ""
        threads = f" {self.threads} threads" if self.threads != 1 else ""
        return f"{self.framework}/{self.backend} {self.task} {self.model} {shape}{batch}{threads}"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def replicate_cap(self) -> int:
        return max(self.replicates, self.max_replicates or 3 * self.replicates)

    @classmethod
    def from_dict(cls, data: dict) -> "Spec":
        names = {f.name for f in dataclasses.fields(cls)}
        if "page_loads" in data and "replicates" not in data:  # the name before replicates (stores, suites)
            data = {**data, "replicates": data["page_loads"]}
        return cls(**{k: v for k, v in data.items() if k in names})

    def budget(self) -> dict:
        """The settings that are not the spec's identity (stored with each result)."""
        return {name: getattr(self, name) for name in BUDGET_FIELDS}


@dataclass
class SpecResult:
    """Everything one spec produced, written to the store in one transaction."""

    spec: Spec
    outcome: str
    error: str = ""
    metrics: dict[str, list[float]] = field(default_factory=dict)
    replicate_of: dict[str, list[int]] = field(default_factory=dict)  # metric -> each value's replicate
    checks: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    environment: dict = field(default_factory=dict)
    started_at: float = 0.0
    finished_at: float = 0.0

    def add(self, metric: str, values, replicate: int = 0) -> None:
        if metric not in METRIC_UNITS:
            raise ValueError(f"unknown metric {metric!r}")
        values = [float(v) for v in values]
        self.metrics.setdefault(metric, []).extend(values)
        self.replicate_of.setdefault(metric, []).extend([replicate] * len(values))

    def replicate_values(self, metric: str) -> tuple[list[float], list[int]]:
        """(values, their replicates) of one metric."""
        values = self.metrics.get(metric, [])
        return values, self.replicate_of.get(metric, [0] * len(values))
