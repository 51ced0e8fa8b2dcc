"""Rounds (rounds.py): a suite's replicates spread over the run, round-robin across its specs — the
plan per round, failures that end a spec, top-up rounds by the precision rule, the rounds merged into
one stored result per spec, resuming from a store, and the sweep measuring them interleaved."""
import asyncio

from tests.fakes import FakeRunner
from webdlbench.rounds import RoundRobin
from webdlbench.spec import Spec, SpecResult
from webdlbench.store import Store
from webdlbench.sweep import Worker, sweep


def spec(width, **budget):
    fields = {"replicates": 3, "rounds": 3, "max_replicates": 6, "precision": 0.02, "precision_budget_s": 60,
              **budget}
    return Spec("tfjs", "cpu", "train", depth=1, width=width, **fields)


def delivered(planned, medians, outcome="ok", seconds=3.0):
    """The result of one planned round: replicate k has median medians[k]."""
    result = SpecResult(planned.spec, outcome, started_at=100.0, finished_at=100.0 + seconds)
    for k, centre in enumerate(medians):
        result.add("train_batch_ms", [centre * 0.99, centre, centre * 1.01], replicate=k)
    return result


def test_each_round_takes_a_share_of_every_specs_replicates_in_turn():
    a, b = spec(8), spec(16, replicates=5)
    robin = RoundRobin([a, b])
    seen = []
    for _ in range(3):
        planned = robin.next_round()
        seen.append([(p.spec.width, p.spec.replicates, p.round) for p in planned])
        for p in planned:
            assert p.spec.spec_hash == p.spec.spec_hash and p.spec.max_replicates == p.spec.replicates
            robin.record(delivered(p, [10.0] * p.spec.replicates))
    # b's five replicates over three rounds: 2, 2, 1; every spec once per round, in suite order
    assert seen == [[(8, 1, 0), (16, 2, 0)], [(8, 1, 1), (16, 2, 1)], [(8, 1, 2), (16, 1, 2)]]
    assert robin.next_round() == []  # identical replicates: the CI is within 2%, no top-up


def test_the_extra_passes_run_in_a_specs_last_regular_round_only():
    robin = RoundRobin([spec(8, profile=True, memory=True)])
    flags = []
    for _ in range(3):
        (planned,) = robin.next_round()
        flags.append((planned.extras, planned.spec.profile, planned.spec.memory))
        robin.record(delivered(planned, [10.0]))
    assert flags == [(False, False, False), (False, False, False), (True, True, True)]


def test_a_spec_that_fails_in_a_round_is_measured_no_more():
    a, b = spec(8), spec(16)
    robin = RoundRobin([a, b])
    first = robin.next_round()
    robin.record(delivered(first[0], [], outcome="timeout"))
    robin.record(delivered(first[1], [10.0]))
    assert [p.spec.width for p in robin.next_round()] == [16]


def test_top_up_rounds_add_one_replicate_while_the_pooled_ci_is_wide_and_the_cap_allows():
    robin = RoundRobin([spec(8, max_replicates=5)])
    for centre in (10.0, 14.0, 8.0):  # far apart: the CI over three replicates is far wider than 2%
        (planned,) = robin.next_round()
        robin.record(delivered(planned, [centre]))
    tops = []
    while True:
        planned = robin.next_round()
        if not planned:
            break
        (top,) = planned
        assert top.top_up and top.spec.replicates == 1 and not top.extras
        tops.append(top)
        robin.record(delivered(top, [11.0]))
    assert len(tops) == 2  # to max_replicates (5), never beyond


def test_top_ups_stop_when_their_precision_budget_is_spent():
    robin = RoundRobin([spec(8, max_replicates=20, precision_budget_s=5)])
    for centre in (10.0, 14.0, 8.0):
        (planned,) = robin.next_round()
        robin.record(delivered(planned, [centre], seconds=3.0))
    (top,) = robin.next_round()
    robin.record(delivered(top, [12.0], seconds=3.0))
    assert robin.next_round() == []  # 3 s spent + 3 s for the next > 5 s


def test_one_round_is_the_spec_itself_with_auto_sampling_inside():
    single = spec(8, rounds=1)
    robin = RoundRobin([single])
    (planned,) = robin.next_round()
    assert planned.spec == single and planned.extras
    robin.record(delivered(planned, [10.0, 14.0, 8.0]))
    assert robin.next_round() == [] and robin.remaining() == 0


def test_each_round_replaces_the_specs_stored_result_with_all_its_rounds_merged(tmp_path):
    a = spec(8, max_replicates=3)
    robin = RoundRobin([a])
    with Store.open(tmp_path / "s.sqlite") as store:
        run = store.start_run("mine", "test", [a])
        for centre in (10.0, 11.0, 12.0):
            (planned,) = robin.next_round()
            result = delivered(planned, [centre])
            result.info["machine_load"] = {"start": centre, "end": centre + 0.5, "cpus": 2}
            kept = robin.record(result)
            store.add_result(run, kept, replace=True)
        results, samples, _ = store.frames()
    assert len(results) == 1 and results.iloc[0]["outcome"] == "ok"
    info = results.iloc[0]["info"]
    assert (info["rounds"]["done"], info["rounds"]["replicates"], info["rounds"]["per_round"]) == (3, 3, [1, 1, 1])
    assert info["machine_load"] == {"start": 10.0, "end": 12.5, "cpus": 2}  # first round's start, last's end
    assert results.iloc[0]["budget"]["replicates"] == 3  # the spec's own budget, not a round's share
    assert sorted(samples.groupby("replicate")["value"].median()) == [10.0, 11.0, 12.0]
    assert robin.next_round() == []


def test_a_resumed_run_continues_each_spec_from_its_stored_rounds(tmp_path):
    a, b = spec(8), spec(16)
    robin = RoundRobin([a, b])
    with Store.open(tmp_path / "s.sqlite") as store:
        run = store.start_run("mine", "test", [a, b])
        for planned in robin.next_round():
            store.add_result(run, robin.record(delivered(planned, [10.0])), replace=True)
        (a_again,) = [p for p in robin.next_round() if p.spec.width == 8]
        store.add_result(run, robin.record(delivered(a_again, [10.0])), replace=True)  # interrupted: b waits
        stored = store.results_of_run(run)
    resumed = RoundRobin([a, b])
    for result in stored:
        resumed.resume(result)
    assert resumed.remaining() == 2
    assert [(p.spec.width, p.round) for p in resumed.next_round()] == [(16, 1)]
    (b_again,) = resumed.next_round()
    merged = resumed.record(delivered(b_again, [10.0]))
    assert merged.info["rounds"]["replicates"] == 2 and merged.replicate_values("train_batch_ms")[1] == [0, 0, 0, 1, 1, 1]


def test_a_single_round_spec_stored_before_is_not_measured_again():
    single = spec(8, rounds=1)
    resumed = RoundRobin([single])
    resumed.resume(delivered(RoundRobin([single]).next_round()[0], [10.0, 11.0, 12.0]))
    assert resumed.next_round() == [] and resumed.remaining() == 0


def test_the_sweep_interleaves_rounds_and_each_spec_ends_with_one_pooled_result():
    a, b = spec(8), spec(16)
    robin = RoundRobin([a, b])
    runner = FakeRunner("a", lambda *_: "ok")
    rounds, kept = [], {}

    def on_result(result):
        rounds.append(result.info["round"]["round"])
        kept[result.spec.spec_hash] = robin.record(result)
    asyncio.run(sweep([], [Worker(runner)], None, on_result, refill=robin.next_round))
    assert [s.width for s in runner.measured] == [8, 16, 8, 16, 8, 16]
    assert rounds == [1, 1, 2, 2, 3, 3]
    for merged in kept.values():
        values, replicates = merged.replicate_values("train_batch_ms")
        assert sorted(set(replicates)) == [0, 1, 2] and merged.info["rounds"]["done"] == 3
        assert summarize_replicates(values, replicates) == 3


def summarize_replicates(values, replicates) -> int:
    from webdlbench.analysis.stats import summarize
    return summarize(values, replicates, log_scale=True).replicates
