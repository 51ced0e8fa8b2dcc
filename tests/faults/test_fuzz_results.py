"""Fuzzing the results server (issue #18): valid replies, randomly mutated (types, signs, NaN and
infinities, huge numbers, nesting, sizes, missing and extra fields, another page, another backend),
posted over real HTTP to a live server; each one goes on, as a sweep's would, through the real
measuring skeleton into a real store.

Every answer must be 200 (and then the reply is valid), 400, 403 or 413 — never a server error —
every post must end as exactly one stored result, and the store may only ever hold finite values
within their metric's range. The seed is fixed (WEBDLBENCH_FUZZ_SEED changes it) so that a failure
can be replayed."""
import asyncio
import copy
import json
import math
import os
import random
import sqlite3
from contextlib import closing

import aiohttp

from webdlbench.limits import value_problem
from webdlbench.runners.skeleton import Failed, Prepared, measure_spec
from webdlbench.server import RESULT_MAX_BYTES, ResultsServer, validate_result
from webdlbench.spec import METRIC_RANGES, OUTCOMES, Spec
from webdlbench.store import Store

SEED = int(os.environ.get("WEBDLBENCH_FUZZ_SEED", "18"))
POSTS = 400
ALLOWED = {200, 400, 403, 413}


class Raw:
    """A JSON token written as is (NaN, Infinity, 1e400: what json.dumps would not write)."""

    def __init__(self, text):
        self.text = text


def to_json(value) -> bytes:
    raws = []

    def placeholder(item):
        raws.append(item.text)
        return f"@@RAW{len(raws) - 1}@@"

    def swap(item):
        if isinstance(item, Raw):
            return placeholder(item)
        if isinstance(item, dict):
            return {k: swap(v) for k, v in item.items()}
        if isinstance(item, list):
            return [swap(v) for v in item]
        return item
    text = json.dumps(swap(value))
    for index, raw in enumerate(raws):
        text = text.replace(f'"@@RAW{index}@@"', raw)
    return text.encode()


def valid_reply(rng: random.Random, task: str) -> dict:
    times = lambda n: [rng.uniform(0.01, 900) for _ in range(n)]  # noqa: E731
    metrics = {"train_batch_ms": times(rng.randint(1, 30)), "train_warmup_ms": times(2)} if task == "train" else \
        {"infer_ms": times(rng.randint(1, 30)), "load_ms": times(1), "warmup_ms": times(1)}
    if rng.random() < 0.5:
        metrics.update(cpu_renderer_pct=[rng.uniform(0, 190)], js_heap_used_bytes=[rng.randint(0, 2 ** 31)])
    first = rng.uniform(1, 3)
    return {
        "page": "", "outcome": "ok", "error": "", "metrics": metrics,
        "outputs": [[rng.random() for _ in range(10)] for _ in range(rng.randint(1, 4))] if task == "infer" else [],
        "losses": [first * 0.9 ** i for i in range(rng.randint(2, 12))] if task == "train" else [],
        "info": {"backend": "cpu", "version": "4.22.0", "threads": 1},
        "environment": {"user_agent": "fuzz", "hardware_concurrency": 2, "webgl": {"renderer": "SwiftShader"}},
        "warmup_output": [rng.random() for _ in range(10)] if task == "infer" else [],
        "sampling": {"warmup_calls": 3, "settled": True, "phases_ms": {"job": 1.5}},
    }


def nasty(rng: random.Random):
    deep = []
    for _ in range(rng.choice([10, 70])):
        deep = [deep]
    return rng.choice([
        Raw("[" * 100_000 + "]" * 100_000), Raw('{"a":' * 3000 + "1" + "}" * 3000),
        -1, 0, -0.0, -1e-300, 1e-320, 1e308, -1e308, 2 ** 53 + 1, 2 ** 63, 2 ** 70, -(2 ** 64),
        Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), Raw("1e400"), Raw("-1e999"), Raw("1" * 5000),
        "", "12", "x" * rng.choice([10, 100_000]), None, True, False, [], {}, [1, [2, [3]]], deep,
        [rng.uniform(-1e3, 1e3) for _ in range(rng.choice([3, 50_000]))], {"a": {"b": None}},
    ])


def nodes(value, path=()):
    """(path, value) in a JSON tree, containers included, down to 8 levels."""
    yield path, value
    if len(path) >= 8:
        return
    if isinstance(value, dict):
        for key, child in value.items():
            yield from nodes(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:20]):
            yield from nodes(child, (*path, index))


def put(message, path, value):
    target = message
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def mutate(rng: random.Random, message: dict) -> dict:
    """One to three random changes; sometimes none (the valid reply itself)."""
    message = copy.deepcopy(message)
    for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
        kind = rng.random()
        paths = [p for p, _ in nodes(message) if p]
        if kind < 0.55:  # any value, anywhere, becomes a nasty one
            put(message, rng.choice(paths), nasty(rng))
        elif kind < 0.65:  # a field goes
            path = rng.choice(paths)
            parent = message
            for step in path[:-1]:
                parent = parent[step]
            parent.pop(path[-1]) if isinstance(parent, dict) else parent.pop(path[-1])
        elif kind < 0.75:  # a metric the reply should not have, or values of the wrong sign
            metric = rng.choice([*METRIC_RANGES, "speed"])
            if isinstance(message.get("metrics"), dict):
                message["metrics"][metric] = [rng.choice([-1, 1]) * rng.uniform(0, 1e4) for _ in range(3)]
        elif kind < 0.82:  # keys the harness writes itself, or a field the contract does not have
            where = rng.choice(["info", None])
            key = rng.choice(["replicates", "sampling", "attempt", "model_files", "limit_s", "extra"])
            if where and isinstance(message.get(where), dict):
                message[where][key] = nasty(rng)
            else:
                message[key] = nasty(rng)
        elif kind < 0.88 and isinstance(message.get("info"), dict):
            message["info"]["backend"] = rng.choice(["webgl", "wasm", "CPU", ""])
        elif kind < 0.92:
            message["outcome"] = rng.choice(["ok", "error", "unsupported", "check_failed", "OK", 1])
        elif kind < 0.96:
            message["page"] = rng.choice(["feedface", "", None])
    return message


class PostingRunner:
    """The skeleton's runner whose replicate posts the next fuzzed body to the live server, as a
    page would, and returns whatever the server made of it."""

    runtime = "browser"
    setup_allowance_s = 1.0

    def __init__(self, server: ResultsServer, session: aiohttp.ClientSession, rng: random.Random, log: list):
        self.server, self.session, self.rng, self.log = server, session, rng, log

    def unsupported_reason(self, spec, kind):
        return ""

    async def prepare(self, spec, kind):
        import numpy as np
        return Prepared(job={"kind": spec.task, "spec": spec.to_dict()}, reference=lambda: np.full((8, 10), 0.5))

    async def replicate(self, spec, prepared, index, limit_s):
        page = self.server.register(prepared.job)
        try:
            message = mutate(self.rng, valid_reply(self.rng, spec.task))
            if isinstance(message.get("page"), str) and message["page"] == "":
                message["page"] = page.page_id
            body = to_json(message)
            whole = self.rng.random()
            if whole < 0.02:
                body = body[: len(body) // 2]  # cut short
            elif whole < 0.04:
                body = b'{"pad": "' + b"p" * (RESULT_MAX_BYTES + 1) + b'"}'  # over the size limit
            wrong = 0.04 <= whole < 0.06  # not the run's token
            token = self.rng.choice(["", "guess", self.server.token[:-1]]) if wrong else self.server.token
            url = f"{self.server.base_url}/api/result?page={page.page_id}&token={token}"
            async with self.session.post(url, data=body, headers={"content-type": "application/json"}) as r:
                self.log.append((r.status, await r.text(), page.result.result() if page.result.done() else None,
                                 prepared.job))
            if not page.result.done():  # refused without ending the page: as a page that never reports
                raise Failed("timeout", f"no result: the post was answered {r.status}")
            return page.result.result()
        finally:
            self.server.unregister(page.page_id)

    async def profile(self, spec, prepared, limit_s):
        return {}

    def environment(self, reply):
        return reply["environment"]


def specs(rng: random.Random):
    for n in range(POSTS):
        task = rng.choice(["train", "infer"])
        yield Spec("tfjs", "cpu", task, depth=1 + n, width=8, batch=8 if task == "train" else 1,
                   replicates=1, max_replicates=1)


def test_fuzzed_results_are_answered_200_400_403_or_413_and_the_store_holds_only_valid_values(tmp_path):
    rng = random.Random(SEED)
    log = []
    store_path = tmp_path / "s.sqlite"
    all_specs = list(specs(rng))

    async def main():
        (tmp_path / "data").mkdir()
        server = ResultsServer(tmp_path / "data")
        await server.start()
        try:
            with Store.open(store_path) as store:
                run_id = store.start_run("fuzz", "fuzz", all_specs)
                async with aiohttp.ClientSession() as session:
                    runner = PostingRunner(server, session, rng, log)
                    for spec in all_specs:
                        store.add_result(run_id, await measure_spec(spec, runner))
        finally:
            await server.stop()
    asyncio.run(main())

    statuses = [status for status, *_ in log]
    assert set(statuses) <= ALLOWED, [(s, text[:200]) for s, text, *_ in log if s not in ALLOWED][:5]
    assert set(statuses) == ALLOWED, f"seed {SEED}: the fuzz did not reach every answer: {sorted(set(statuses))}"
    for status, text, taken, job in log:
        if status == 200:
            assert text == "stored" and validate_result(taken, job) == "", (SEED, taken)
        else:  # nothing refused was taken as the page's result
            assert taken is None or (taken["outcome"] == "error" and taken["metrics"] == {}), (SEED, status, taken)

    with closing(sqlite3.connect(store_path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        outcomes = [row[0] for row in conn.execute("SELECT outcome FROM results")]
        samples = conn.execute("SELECT metric, value FROM samples").fetchall()
    assert len(outcomes) == POSTS and set(outcomes) <= set(OUTCOMES)  # every post: one stored result
    assert {"ok", "error"} <= set(outcomes)
    bad = [(metric, value) for metric, value in samples
           if value is None or not math.isfinite(value) or value_problem(metric, value)]
    assert samples and not bad, (SEED, bad[:5])
    print(f"seed {SEED}: {POSTS} posts answered {sorted((s, statuses.count(s)) for s in ALLOWED)}; "
          f"outcomes {sorted((o, outcomes.count(o)) for o in set(outcomes))}; {len(samples)} samples stored")
