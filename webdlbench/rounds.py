"""Rounds: a suite's replicates spread over the run's time (round-robin across its specs).

Replicates measured back to back share the machine's state of that minute (a noisy neighbour on a
shared host, a clock that changed): their CI is narrow, and a second run made ten minutes later can
disagree with it. With `rounds = R`, the sweep measures the suite R times over, each round taking a
share of every spec's replicates (replicates 5, rounds 5: one fresh page or process per spec per
round), so each spec's replicates are spread over the whole run and its CI carries the drift. After
each round the spec's stored result is replaced by all its rounds so far, merged (one result per spec
and run, as always; crash-safe and resumable: `info["rounds"]` says how far it got). After the last
round, auto-sampling adds top-up rounds of one replicate for the specs whose CI is still wider than
their `precision`, while their `max_replicates` and `precision_budget_s` allow (runners/sampling.py).

A spec that fails in a round (any outcome but ok) is measured no more: its failure stands, with the
replicates measured before it. The profiling and the memory / responsiveness / operators passes run in
a spec's last regular round only. With `rounds = 1` (the default) a spec is measured exactly as
before: one result, auto-sampling inside it.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

from webdlbench.runners.sampling import ReplicatePlan
from webdlbench.spec import HEADLINE, Spec, SpecResult

# What a round's copy of a spec leaves off until the spec's last regular round: the extra passes.
_PASS_FIELDS = ("profile", "memory", "qoe", "ops")


@dataclass
class Planned:
    """One spec's measurement in one round: the spec to measure and whether the extra passes run."""

    spec: Spec
    extras: bool
    round: int
    top_up: bool = False


def shares(spec: Spec) -> list[int]:
    """Replicates per regular round: the spec's `replicates` spread as evenly as its rounds allow
    (a round with no share is no round: replicates 2, rounds 5 is two rounds)."""
    rounds = max(1, spec.rounds)
    base, rest = divmod(spec.replicates, rounds)
    return [share for share in (base + (1 if r < rest else 0) for r in range(rounds)) if share]


class _Progress:
    """One spec: its rounds so far, merged into one result."""

    def __init__(self, spec: Spec):
        self.spec, self.shares = spec, shares(spec)
        self.merged: SpecResult | None = None
        self.done_whole = False  # measured in one round (rounds = 1), or stored without round facts

    @property
    def rounds(self) -> dict:
        return (self.merged.info.get("rounds") or {}) if self.merged else {}

    @property
    def rounds_done(self) -> int:
        return self.rounds.get("done", 0)

    @property
    def finished(self) -> bool:
        return self.done_whole or (self.merged is not None and self.merged.outcome != "ok")

    def regular(self) -> Planned | None:
        if self.finished or self.rounds_done >= len(self.shares):
            return None
        if len(self.shares) == 1:  # one round: the spec itself, auto-sampling inside it as always
            return Planned(self.spec, extras=True, round=0)
        share = self.shares[self.rounds_done]
        last = self.rounds_done == len(self.shares) - 1
        fields = {**self.spec.to_dict(), "replicates": share, "max_replicates": share}
        if not last:
            fields.update({name: False for name in _PASS_FIELDS})
        return Planned(Spec.from_dict(fields), extras=last, round=self.rounds_done)

    def top_up(self) -> Planned | None:
        """One more replicate while the CI is wider than the target and the cap and budget allow."""
        if self.finished or self.merged is None or self.rounds_done < len(self.shares):
            return None
        values, replicates = self.merged.replicate_values(HEADLINE.get(self.spec.task, ""))
        if not values:
            return None
        more, _ = ReplicatePlan.for_spec(self.spec).next_step(
            values, replicates, self.rounds["replicates"], self.rounds["top_up_s"], self.rounds["last_replicate_s"])
        if not more:
            return None
        fields = {**self.spec.to_dict(), "replicates": 1, "max_replicates": 1, **{name: False for name in _PASS_FIELDS}}
        return Planned(Spec.from_dict(fields), extras=False, round=self.rounds_done, top_up=True)

    def record(self, result: SpecResult) -> SpecResult:
        """Add one round's result; what the store keeps for the spec now."""
        if len(self.shares) == 1 and self.merged is None:
            self.done_whole = True
            return result
        self.merged = merge(self.merged, result, self.spec, top_up=self.rounds_done >= len(self.shares))
        return self.merged


def merge(before: SpecResult | None, result: SpecResult, spec: Spec, top_up: bool) -> SpecResult:
    """The spec's rounds so far and one more, as one result: samples appended with their replicates
    numbered on, the latest round's outcome, checks and environment, and the rounds' facts."""
    seconds = max(0.0, result.finished_at - result.started_at)
    count = len({r for metric in result.metrics for r in result.replicate_values(metric)[1]})
    if before is None:
        merged = SpecResult(spec=spec, outcome="ok", started_at=result.started_at,
                            info={"rounds": {"of": len(shares(spec)), "done": 0, "replicates": 0, "top_ups": 0,
                                             "top_up_s": 0.0, "last_replicate_s": 0.0, "per_round": []}})
    else:
        merged = copy.deepcopy(before)
    facts = merged.info["rounds"]
    offset = facts["replicates"]
    for metric, values in result.metrics.items():
        for value, replicate in zip(*result.replicate_values(metric)):
            merged.add(metric, [value], replicate=offset + replicate)
    load = {**(merged.info.get("machine_load") or result.info.get("machine_load") or {})}
    per_replicate = merged.info.get("replicates", []) + result.info.get("replicates", [])  # each round's facts
    merged.info.update(result.info)
    if per_replicate:
        merged.info["replicates"] = per_replicate
    if load:
        merged.info["machine_load"] = {**load, "end": (result.info.get("machine_load") or {}).get("end")}
    merged.info.pop("round", None)
    facts.update(done=facts["done"] + 1, replicates=offset + count,
                 last_replicate_s=seconds / max(count, 1), per_round=facts["per_round"] + [count])
    if top_up:
        facts.update(top_ups=facts["top_ups"] + 1, top_up_s=facts["top_up_s"] + seconds)
    merged.info["rounds"] = facts
    merged.info["sampling"] = {**result.info.get("sampling", {}), "replicates": offset + count}
    merged.info["sampling"].pop("stopped", None)  # a round's own stop; rounds.py decides between rounds
    merged.outcome, merged.error = result.outcome, result.error
    merged.checks, merged.environment = result.checks, result.environment or merged.environment
    merged.finished_at = result.finished_at
    return merged


class RoundRobin:
    """Which specs each round measures, from what the earlier rounds delivered (`record`)."""

    def __init__(self, specs):
        self.progress = {spec.spec_hash: _Progress(spec) for spec in specs}

    def record(self, result: SpecResult) -> SpecResult:
        """A delivered result of one round; returns what the store keeps for its spec (the rounds so
        far merged, or the result itself with rounds = 1)."""
        mine = self.progress.get(result.spec.spec_hash)
        return result if mine is None else mine.record(result)

    def resume(self, stored: SpecResult) -> None:
        """What an interrupted sweep of this run stored for a spec (`run --resume`)."""
        mine = self.progress.get(stored.spec.spec_hash)
        if mine is None:
            return
        if len(mine.shares) > 1 and "rounds" in stored.info:
            mine.merged = stored
        else:
            mine.done_whole = True

    def next_round(self) -> list[Planned]:
        """The next round: every unfinished spec at the fewest rounds done; after the regular rounds,
        the top-up round; [] when nothing is left."""
        waiting = [p for p in self.progress.values() if p.regular() is not None]
        if waiting:
            fewest = min(p.rounds_done for p in waiting)
            return [p.regular() for p in waiting if p.rounds_done == fewest]
        return [planned for planned in (p.top_up() for p in self.progress.values()) if planned is not None]

    def remaining(self) -> int:
        """Specs with regular rounds still to measure (a resumed run's remainder)."""
        return sum(1 for p in self.progress.values() if p.regular() is not None)
