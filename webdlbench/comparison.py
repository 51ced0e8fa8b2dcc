"""Two runs side by side (`webdlbench compare`): per spec, the new run's time over the base run's,
its 95% CI and whether the difference is significant; and which specs are slower than a threshold
(`--fail-if-slower`).

The statistics are analysis/compare.py's: the unit is the replicate (a fresh page or process), the
ratio is new / base of the geometric means of replicate medians with Welch's t on their logs, and
Holm's correction runs across the table's specs, so that the chance of any false "slower" or
"faster" in the table stays below 5%. "Slower by more than P%" is the same test against 1 + P/100
instead of 1 (its own Holm family): a spec is called so only when the whole corrected interval lies
above that line. Specs with fewer than two replicates on a side are shown, never tested.

Runs are read one at a time, never pooled: the same spec measured in both runs is two rows' worth
of data, not one.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import pandas as pd

from webdlbench.analysis import compare, machine_load
from webdlbench.analysis.stats import summary_frame
from webdlbench.errors import UserError
from webdlbench.spec import HEADLINE
from webdlbench.textout import Column, Title, interval, number, table_lines, wrap

RUN_ALIASES = ("latest", "previous")
SLOWER, FASTER, SAME, UNTESTED = "slower", "faster", "no significant difference", "not tested"
METHOD = (f"new/base: ratio of the geometric means of replicate medians, 95% CI; {compare.METHOD_TWO}, "
          f"{compare.HOLM} across the table")


@dataclass
class Run:
    """One run of one store: its identity and its frames (results, samples, environments)."""
    store: str
    run_id: str
    suite: str
    started_at: float
    status: str
    results: pd.DataFrame
    samples: pd.DataFrame
    environments: dict

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.started_at))
        status = "" if self.status == "finished" else f", {self.status}"
        return f"run {self.run_id} (suite {self.suite}, {when}{status}) in {self.store}"


@dataclass
class Side:
    """A spec's figure in one run."""
    outcome: str
    median: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    replicates: int = 0
    env_id: str | None = None
    error: str = ""
    replicate_medians: list = field(default_factory=list)

    @property
    def measured(self) -> bool:
        return self.outcome == "ok" and not math.isnan(self.median)


@dataclass
class Row:
    group: str                 # "train, mlp 1x64, batch 64"
    label: str                 # "tfjs/wasm", "native pytorch/cpu"
    spec_hash: str
    metric: str
    spec: dict
    base: Side | None
    new: Side | None
    ratio: float = math.nan
    ratio_ci_low: float = math.nan
    ratio_ci_high: float = math.nan
    p_value: float = math.nan
    p_holm: float = math.nan
    verdict: str = UNTESTED    # SLOWER / FASTER / SAME / UNTESTED, or why there is no comparison
    wording: str = ""          # tachometer's sentence: "new is slower than base by 1.2–1.3×"
    over_threshold: bool = False  # significantly slower than base by more than --fail-if-slower

    @property
    def compared(self) -> bool:
        return self.base is not None and self.new is not None and self.base.measured and self.new.measured


@dataclass
class Comparison:
    base: Run
    new: Run
    rows: list[Row]
    threshold_pct: float | None
    environment_changes: list[str]

    @property
    def load_warning(self) -> str:
        """'' unless the machine was busier during one run than the other (analysis/machine_load.py)."""
        return machine_load.load_warning(machine_load.run_load(self.base.results),
                                         machine_load.run_load(self.new.results))

    @property
    def regressions(self) -> list[Row]:
        return [r for r in self.rows if r.over_threshold]

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for row in self.rows:
            counted[row.verdict] = counted.get(row.verdict, 0) + 1
        return counted


# -- choosing runs ------------------------------------------------------------------------------------
def select_run(runs: pd.DataFrame, reference: str, store: str, suite: str | None = None) -> str:
    """The run id a reference names: "latest", "previous" (the one before it), a run id, or a
    unique beginning of one; runs are ordered by start time, optionally only those of `suite`."""
    if suite:
        runs = runs[runs["suite"] == suite]
    ordered = list(runs.sort_values("started_at")["run_id"])
    of_suite = f" of suite {suite}" if suite else ""
    if reference in RUN_ALIASES:
        need = 1 if reference == "latest" else 2
        if len(ordered) < need:
            raise UserError(f"{store} has {len(ordered)} run(s){of_suite}, so no {reference} run: run a suite "
                            "again, or give a second store with --base-store")
        return ordered[-need]
    if reference in ordered:
        return reference
    matches = [r for r in ordered if r.startswith(reference)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(ordered[-5:]) or "none"
    how = "matches several runs" if matches else "is not a run"
    raise UserError(f"{reference!r} {how}{of_suite} in {store}: give a run id (latest: {known}), "
                    "'latest' or 'previous'")


def run_of(frames: tuple, runs: pd.DataFrame, run_id: str, store: str) -> Run:
    """One run's share of a store's frames (Store.frames()) and its row of Store.runs()."""
    results, samples, environments = frames
    row = runs[runs["run_id"] == run_id].iloc[0]
    mine = results[results["run_id"] == run_id]
    return Run(store, run_id, str(row["suite"]), float(row["started_at"]), str(row["status"]), mine,
               samples[samples["result_id"].isin(mine["result_id"])], environments)


# -- comparing ------------------------------------------------------------------------------------------
def compare_runs(base: Run, new: Run, metric: str | None = None, threshold_pct: float | None = None) -> Comparison:
    """Every spec of either run, side by side on `metric` (default: the task's headline time)."""
    sides = {"base": _sides(base, metric), "new": _sides(new, metric)}
    keys = list(dict.fromkeys([*sides["base"], *sides["new"]]))
    if metric:  # a named metric: only the specs that measured it in a run (a failed training spec has no load_ms)
        keys = [k for k in keys if any(k in s and s[k][1].measured for s in sides.values())]
    if not set(sides["base"]) & set(sides["new"]):
        raise UserError(f"the two runs share no spec{f' measuring {metric}' if metric else ''} (base: suite "
                        f"{base.suite}, new: suite {new.suite}): compare two runs of the same suite")
    rows = []
    for key in keys:
        b, n = sides["base"].get(key), sides["new"].get(key)
        spec = (b or n)[0]
        rows.append(Row(group_title(spec), option_label(spec), spec["spec_hash"], key[1], spec,
                        b[1] if b else None, n[1] if n else None))
    _test(rows, threshold_pct)
    rows.sort(key=lambda r: (r.spec["task"], str(r.spec["model"]), r.spec["depth"], r.spec["width"],
                             r.spec["batch"], r.spec["runtime"] != "native", r.label))
    return Comparison(base, new, rows, threshold_pct, environment_changes(base, new))


def _sides(run: Run, metric: str | None) -> dict[tuple, tuple[dict, Side]]:
    """(spec_hash, metric) -> (the spec's columns, its Side) for one run. A spec that is not ok is
    there whatever it measured (a timeout after its warm-up still shows); an ok spec only when it
    measured the metric (--metric load_ms leaves training specs out)."""
    summary = summary_frame(run.samples, run.results, per_run=True)
    replicates = compare.Replicates(compare.replicate_medians(run.samples))
    env_ids = {spec_hash: env_id if isinstance(env_id, str) else None
               for spec_hash, env_id in zip(run.results["spec_hash"], run.results["env_id"])}
    found = {}
    for spec_hash, rows in summary.groupby("spec_hash", sort=False):
        first = rows.iloc[0].to_dict()
        wanted = metric or HEADLINE.get(first["task"])
        measured = rows[rows["metric"] == wanted]
        if first["outcome"] == "ok" and measured.empty:
            continue
        row = measured.iloc[0].to_dict() if not measured.empty else first
        ok = row["outcome"] == "ok" and row["metric"] == wanted and row["n"] > 0
        side = Side(row["outcome"], row["median"] if ok else math.nan, row["ci_low"] if ok else math.nan,
                    row["ci_high"] if ok else math.nan, int(row["replicates"]) if ok else 0, env_ids.get(spec_hash),
                    "" if ok else " ".join(str(row["error"]).split()))
        if ok:
            side.replicate_medians = list(replicates.values(spec_hash, wanted))
        found[(spec_hash, wanted)] = (row, side)
    return found


def _test(rows: list[Row], threshold_pct: float | None) -> None:
    """Ratios, intervals and verdicts (Holm across the compared rows), and the threshold's calls."""
    compared = [r for r in rows if r.compared]
    estimates = [compare.ratio_test(r.new.replicate_medians, r.base.replicate_medians) for r in compared]
    for row, estimate, decision in zip(compared, estimates, compare.decide(estimates, 1.0)):
        row.ratio = estimate.ratio if estimate else row.new.median / row.base.median
        row.p_value, row.p_holm = decision.p_value, decision.p_holm
        row.ratio_ci_low, row.ratio_ci_high = decision.interval()
        row.verdict = {compare.ABOVE: SLOWER, compare.BELOW: FASTER}.get(decision.direction, SAME) \
            if decision.tested else UNTESTED
        row.wording = compare.faster_wording(decision, "new", "base")
    if threshold_pct is not None:
        for row, decision in zip(compared, compare.decide(estimates, 1 + threshold_pct / 100)):
            row.over_threshold = decision.direction == compare.ABOVE
    for row in rows:
        if not row.compared:
            row.verdict = _not_compared(row)
            row.wording = row.verdict


def _not_compared(row: Row) -> str:
    if row.base is None:
        return "only in new"
    if row.new is None:
        return "only in base"
    failed = [f"{side.outcome} in {who}" for who, side in (("base", row.base), ("new", row.new)) if not side.measured]
    return ", ".join(failed)


def group_title(spec: dict) -> str:
    """'train, mlp 1x64, batch 64' / 'infer, MobileNetV2': what a group of options all did."""
    model = str(spec["model"])
    if model.startswith("file:"):  # a user's own file: its name, never its path (models/user_models.py)
        from webdlbench.models.user_ids import display_name
        model = display_name(model)
    else:
        model = model[len("keras:"):] if model.startswith("keras:") else f"{model} {spec['depth']}x{spec['width']}"
    return f"{spec['task']}, {model}" + (f", batch {spec['batch']}" if spec["task"] == "train" else "")


def option_label(spec: dict) -> str:
    """'tfjs/wasm', 'native pytorch/cpu', with ' tN' where threads are not 1."""
    label = f"{spec['framework']}/{spec['backend']}"
    if spec["runtime"] == "native":
        label = f"native {label}" + (f" t{spec['threads']}" if spec["threads"] != 1 else "")
    elif spec["threads"] != 1:
        label += f" t{spec['threads']}"
    return label


def environment_changes(base: Run, new: Run) -> list[str]:
    """What differs between the environments the two runs were measured in, per runtime:
    'browser: library_versions.tfjs 4.21.0 -> 4.22.0' (one level into nested facts)."""
    changes = []
    for runtime in ("browser", "native"):
        before = _environment(base, runtime)
        after = _environment(new, runtime)
        if before is None or after is None:
            continue
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                changes.append(f"{runtime}: {key} {_fact(before.get(key))} -> {_fact(after.get(key))}")
    return changes


def _environment(run: Run, runtime: str) -> dict | None:
    """The flattened fingerprint of the run's first result of that runtime that has one."""
    rows = run.results[(run.results["runtime"] == runtime) & run.results["env_id"].notna()]
    if rows.empty:
        return None
    fingerprint = run.environments.get(rows["env_id"].iloc[0]) or {}
    flat = {}
    for key, value in fingerprint.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def _fact(value) -> str:
    if value is None:
        return "(none)"
    return " ".join(str(value).split()) or '""'



# -- output ---------------------------------------------------------------------------------------------
COLUMNS = [Column("", wrap=True, min_width=12), Column("base ms", ">"), Column("new ms", ">"),
           Column("new/base", ">"), Column("95% CI", ">"), Column("verdict", wrap=True, min_width=10)]
SHORT = {SAME: "no sig. diff."}
HOLM_ONLY = "no sig. (Holm)"
HOLM_NOTE = (f"{HOLM_ONLY}: the 95% CI excludes 1, but the difference does not survive Holm's correction across "
             "the table (which keeps the chance of any false call in it below 5%).")
SHOWN_CHANGES = 8  # environment differences listed in text; JSON has every one


def render(comparison: Comparison, width: int) -> list[str]:
    """The comparison as lines no wider than `width` (80 and up): the runs, one line per spec under
    its task and model, the significant differences in words, and the threshold's verdict."""
    unit = "ms" if all(r.metric.endswith("_ms") for r in comparison.rows) else "value"
    columns = [c if c.header not in ("base ms", "new ms") else Column(c.header.replace("ms", unit), ">")
               for c in COLUMNS]
    lines = wrap(f"base: {comparison.base.describe()}", width, "      ")
    lines += wrap(f"new: {comparison.new.describe()}", width, "      ")
    lines += wrap(METHOD, width) + [""]
    rows: list = []
    group = None
    for row in comparison.rows:
        if row.group != group:
            rows.append(Title(row.group))
            group = row.group
        mark = "!" if row.over_threshold else ""
        rows.append([f"  {row.label}", _median(row.base), _median(row.new), number(row.ratio),
                     interval(row.ratio_ci_low, row.ratio_ci_high),
                     short_verdict(row.verdict, row.p_value, row.p_holm) + mark])
    lines += table_lines(columns, rows, width)
    if any(short_verdict(r.verdict, r.p_value, r.p_holm) == HOLM_ONLY for r in comparison.rows):
        lines += wrap(HOLM_NOTE, width, "   ")
    called = [r for r in comparison.rows if r.verdict in (SLOWER, FASTER)]
    if called:
        lines += ["", "Significant differences:"]
        for row in called:
            lines += wrap(f"  {row.group}, {row.label}: {row.wording}", width, "    ")
    counts = comparison.counts()
    compared = sum(counts.get(v, 0) for v in (SLOWER, FASTER, SAME, UNTESTED))
    summary = (f"{compared} spec(s) compared: {counts.get(SLOWER, 0)} slower, {counts.get(FASTER, 0)} faster, "
               f"{counts.get(SAME, 0)} no significant difference, {counts.get(UNTESTED, 0)} not tested "
               "(fewer than 2 replicates on a side)")
    others = len(comparison.rows) - compared
    lines += [""] + wrap(summary + (f"; {others} not compared (only in one run, or not ok)" if others else ""),
                         width)
    changes = comparison.environment_changes
    if changes:
        lines += ["The environments differ:"]
        for change in changes[:SHOWN_CHANGES]:
            lines += wrap(f"  {change}", width, "    ")
        if len(changes) > SHOWN_CHANGES:
            lines.append(f"  ... and {len(changes) - SHOWN_CHANGES} more (--format json lists them all)")
    if comparison.load_warning:
        lines += [""] + wrap(comparison.load_warning, width)
    if comparison.threshold_pct is not None:
        lines += [""] + wrap(threshold_text(comparison), width)
    return lines


def _median(side: Side | None) -> str:
    if side is None:
        return "-"
    return number(side.median) if side.measured else side.outcome


def short_verdict(verdict: str, p_value: float, p_holm: float) -> str:
    """A verdict in a table's column: slower, faster, not tested, 'no sig. diff.', or HOLM_ONLY
    where the unadjusted interval excludes 1 and only the correction takes the call back."""
    if verdict == SAME and p_value < compare.ALPHA <= p_holm:
        return HOLM_ONLY
    return SHORT.get(verdict, verdict)


def threshold_text(comparison: Comparison) -> str:
    pct = f"{comparison.threshold_pct:g}%"
    slow = comparison.regressions
    if not slow:
        return f"--fail-if-slower {pct}: no spec is significantly slower than base by more than {pct}."
    named = "; ".join(f"{r.group}, {r.label} ({interval(r.ratio_ci_low, r.ratio_ci_high)}×)" for r in slow)
    return (f"--fail-if-slower {pct}: FAIL, {len(slow)} spec(s) significantly slower than base by more than "
            f"{pct} (!): {named}")


def to_json(comparison: Comparison) -> dict:
    """Everything render shows, as data."""
    def side(s: Side | None):
        if s is None:
            return None
        return {"outcome": s.outcome, "median": s.median, "ci_low": s.ci_low, "ci_high": s.ci_high,
                "replicates": s.replicates, "env_id": s.env_id, "error": s.error}

    def run(r: Run):
        return {"store": r.store, "run_id": r.run_id, "suite": r.suite, "started_at": r.started_at,
                "status": r.status}

    keys = ["framework", "backend", "task", "model", "depth", "width", "batch", "runtime", "threads", "seed"]
    return {
        "base": run(comparison.base), "new": run(comparison.new), "method": METHOD,
        "fail_if_slower_pct": comparison.threshold_pct,
        "failed": bool(comparison.regressions),
        "counts": comparison.counts(),
        "environment_changes": comparison.environment_changes,
        "machine_load": {"base": machine_load.as_json(comparison.base.results),
                         "new": machine_load.as_json(comparison.new.results),
                         "warning": comparison.load_warning},
        "specs": [{"group": r.group, "label": r.label, "spec_hash": r.spec_hash, "metric": r.metric,
                   **{k: r.spec[k] for k in keys}, "base": side(r.base), "new": side(r.new),
                   "ratio": r.ratio, "ratio_ci_low": r.ratio_ci_low, "ratio_ci_high": r.ratio_ci_high,
                   "p_value": r.p_value, "p_holm": r.p_holm, "verdict": r.verdict, "wording": r.wording,
                   "slower_than_threshold": r.over_threshold if comparison.threshold_pct is not None else None}
                  for r in comparison.rows],
    }
