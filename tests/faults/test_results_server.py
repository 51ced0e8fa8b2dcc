"""The results server as a network service, over real HTTP on loopback: tokens, page ids, size limits,
schema checks, static roots (traversal, encoded traversal, symlinks)."""
import asyncio
import json

import aiohttp
import pytest

from webdlbench import server as server_module
from webdlbench.server import ResultsServer, validate_result


def good_result(page_id):
    return {"page": page_id, "outcome": "ok", "error": "", "metrics": {"infer_ms": [1.5, 1.25]},
            "outputs": [[0.1] * 10], "losses": [], "info": {}, "environment": {},
            "warmup_output": [0.1] * 10, "sampling": {"warmup_calls": 3}}


def serve(tmp_path, scenario):
    """Run `scenario(server, session)` against a started server."""
    async def main():
        (tmp_path / "data").mkdir(exist_ok=True)
        srv = ResultsServer(tmp_path / "data", allowed_libs={"pkg/ok.js"}, node_modules=tmp_path / "nm")
        await srv.start()
        try:
            async with aiohttp.ClientSession() as session:
                return await scenario(srv, session)
        finally:
            await srv.stop()
    return asyncio.run(main())


def test_binds_loopback_on_a_random_port(tmp_path):
    async def scenario(srv, session):
        return srv.host, srv.port
    host, port = serve(tmp_path, scenario)
    assert host == "127.0.0.1" and port > 0


def test_a_valid_result_reaches_its_page(tmp_path):
    async def scenario(srv, session):
        page = srv.register({"kind": "train"})
        url = f"{srv.base_url}/api/result?page={page.page_id}&token={srv.token}"
        async with session.post(url, json=good_result(page.page_id)) as r:
            assert r.status == 200
        async with session.post(url, json=good_result(page.page_id)) as r:
            assert r.status == 409  # a page reports once
        return page.result.result()
    assert serve(tmp_path, scenario)["metrics"]["infer_ms"] == [1.5, 1.25]


@pytest.mark.parametrize("query", ["", "token=wrong", "token={token}", "token={token}&page=feedface"])
def test_posts_without_the_token_or_for_unknown_pages_are_refused(tmp_path, query):
    async def scenario(srv, session):
        page = srv.register({"kind": "train"})
        q = query.format(token=srv.token)
        if "page=" not in q and "token=" in q and q != "token=" + srv.token:
            q += f"&page={page.page_id}"
        async with session.post(f"{srv.base_url}/api/result?{q}", json=good_result(page.page_id)) as r:
            return r.status, page.result.done()
    status, stored = serve(tmp_path, scenario)
    assert status == 403 and not stored


@pytest.mark.parametrize("body, status", [
    (b"{not json", 400),
    (json.dumps({"page": "x"}).encode(), 400),
    (b"x" * (server_module.RESULT_MAX_BYTES + 10), 413),
])
def test_malformed_and_oversize_bodies_are_refused(tmp_path, body, status):
    async def scenario(srv, session):
        page = srv.register({"kind": "train"})
        url = f"{srv.base_url}/api/result?page={page.page_id}&token={srv.token}"
        async with session.post(url, data=body, headers={"content-type": "application/json"}) as r:
            return r.status, page.result.result()
    got, ended = serve(tmp_path, scenario)
    # Nothing posted is taken; the page ends at once as an error saying why, not at its time limit.
    assert got == status and ended["outcome"] == "error" and ended["metrics"] == {}
    assert ended["error"].startswith("the harness refused the page's result: its result ")


@pytest.mark.parametrize("path", [
    "/../pyproject.toml", "/%2e%2e/%2e%2e/etc/passwd", "/adapters/..%2f..%2fspec.py",
    "/lib/pkg/../secret.js", "/lib/pkg/other.js", "/data/../nm/pkg/ok.js", "/data/link.txt",
])
def test_static_serving_cannot_escape_its_roots(tmp_path, path):
    (tmp_path / "nm" / "pkg").mkdir(parents=True)
    (tmp_path / "nm" / "pkg" / "ok.js").write_text("ok")
    (tmp_path / "nm" / "pkg" / "other.js").write_text("not allowed")
    (tmp_path / "nm" / "secret.js").write_text("secret")
    (tmp_path / "outside.txt").write_text("secret")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "link.txt").symlink_to(tmp_path / "outside.txt")

    async def scenario(srv, session):
        async with session.get(srv.base_url + path) as r:
            assert (await r.text()) != "secret"
            return r.status
    assert serve(tmp_path, scenario) == 404


def test_allowed_files_are_served_with_isolation_headers(tmp_path):
    (tmp_path / "nm" / "pkg").mkdir(parents=True)
    (tmp_path / "nm" / "pkg" / "ok.js").write_text("ok")

    async def scenario(srv, session):
        async with session.get(srv.base_url + "/lib/pkg/ok.js") as r:
            lib = r.status, r.headers.get("Cross-Origin-Embedder-Policy"), r.content_type
        async with session.get(srv.base_url + "/page.html") as r:
            page = r.status, r.headers.get("Cross-Origin-Opener-Policy")
        return lib, page
    lib, page = serve(tmp_path, scenario)
    assert lib == (200, "require-corp", "text/javascript") and page == (200, "same-origin")


def test_model_uploads_only_from_prepare_pages(tmp_path):
    async def scenario(srv, session):
        measuring = srv.register({"kind": "infer"})
        preparing = srv.register({"kind": "prepare"})
        base = f"{srv.base_url}/api/model?token={srv.token}"
        async with session.post(f"{base}&page={measuring.page_id}", data=b"{}") as r:
            refused = r.status
        form = aiohttp.FormData()
        form.add_field("model.json", b'{"a": 1}', filename="model.json")
        form.add_field("model.weights.bin", b"\0" * 40, filename="../../evil.bin")
        async with session.post(f"{base}&page={preparing.page_id}", data=form) as r:
            accepted = r.status
        return refused, accepted, preparing.uploaded
    refused, accepted, uploaded = serve(tmp_path, scenario)
    assert refused == 403 and accepted == 200
    assert uploaded["model.json"] == b'{"a": 1}'
    assert all("/" not in name and not name.startswith(".") for name in uploaded), uploaded


@pytest.mark.parametrize("change, words", [
    (lambda m: m.pop("metrics"), "missing field 'metrics'"),
    (lambda m: m.update(extra=1), "unknown field 'extra'"),
    (lambda m: m.update(outcome="check_failed"), "outcome"),
    (lambda m: m.update(metrics={"speed": [1]}), "unknown metric 'speed'"),
    (lambda m: m.update(metrics={"infer_ms": ["1"]}), "finite numbers"),
    (lambda m: m.update(metrics={"infer_ms": 1.0}), "finite numbers"),
    (lambda m: m.update(outputs=[["a"]]), "outputs"),
    (lambda m: m.update(info=[]), "'info' must be a JSON object"),
])
def test_schema_check_names_the_problem(change, words):
    message = good_result("p")
    assert validate_result(message) == ""
    change(message)
    assert words in validate_result(message)
