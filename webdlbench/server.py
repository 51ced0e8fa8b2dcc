"""The results server: serves the page, adapters, framework bundles, data and model files, and
takes each page's result at one POST endpoint.

Every page load is registered with a random page id; POSTs must carry the run's token and a
registered page id, or they are refused (403). Bodies have size limits (413) and results are
schema-checked (400). Static files are served only from fixed roots or an explicit allow-list,
and nothing a page sends is ever used as a path or executed.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from webdlbench.paths import NODE_MODULES, WEB_DIR
from webdlbench.contract import validate_reply
from webdlbench.limits import reply_problem

RESULT_MAX_BYTES = 4 * 1024 * 1024      # a result is numbers and short strings; 4 MiB is generous
MODEL_MAX_BYTES = 512 * 1024 * 1024     # the largest MLP of the study saves to well under this (all files)
MODEL_MAX_FILES = 64                    # TF.js saves a model.json and one weights file
MARK_MAX_BYTES = 1024
MAX_JSON_DEPTH = 64                     # a reply nests a few levels (info, sampling); far more is not one
# COOP/COEP make the page cross-origin isolated: SharedArrayBuffer (wasm threads) and
# fine-grained performance.now() (5 µs) need it.
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}
CONTENT_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".html": "text/html", ".json": "application/json",
                 ".wasm": "application/wasm"}


@dataclass
class PageJob:
    """One page load: the job it runs and the futures the runner awaits."""

    page_id: str
    job: dict
    result: asyncio.Future
    marks: list = field(default_factory=list)        # (name, harness time) phase marks
    uploaded: dict = field(default_factory=dict)     # filename -> bytes, for model uploads


class ResultsServer:
    """aiohttp server bound to loopback on a random free port by default."""

    def __init__(self, data_dir: Path, host: str = "127.0.0.1", port: int = 0,
                 node_modules: Path = NODE_MODULES, allowed_libs: set[str] | None = None):
        self.token = secrets.token_urlsafe(16)
        self.data_dir = Path(data_dir)
        self.host, self.port = host, port
        self.node_modules = Path(node_modules)
        self.allowed_libs = set(allowed_libs or ())
        self.pages: dict[str, PageJob] = {}
        self.on_mark = None  # optional callback(page_id, name) for the resource monitor
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=MODEL_MAX_BYTES, middlewares=[_headers])
        app.router.add_get("/api/job", self._get_job)
        app.router.add_post("/api/result", self._post_result)
        app.router.add_post("/api/mark", self._post_mark)
        app.router.add_post("/api/model", self._post_model)
        app.router.add_get("/lib/{path:.+}", self._get_lib)
        app.router.add_get("/data/{path:.+}", self._get_data)
        app.router.add_get("/userlib/{name}.js", self._get_user_bundle)
        app.router.add_get("/adapters/{name}.js", self._get_adapter)
        app.router.add_get("/{path:.*}", self._get_web)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def register(self, job: dict) -> PageJob:
        page_id = secrets.token_hex(8)
        page = PageJob(page_id, job, asyncio.get_running_loop().create_future())
        self.pages[page_id] = page
        return page

    def unregister(self, page_id: str) -> None:
        self.pages.pop(page_id, None)

    def page_url(self, page: PageJob) -> str:
        return f"{self.base_url}/page.html?page={page.page_id}&token={self.token}"

    # -- API --------------------------------------------------------------------------------------
    def _authorise(self, request: web.Request) -> PageJob:
        token = request.query.get("token", "")
        if not secrets.compare_digest(token.encode(), self.token.encode()):
            raise web.HTTPForbidden(text="missing or wrong token")
        page = self.pages.get(request.query.get("page", ""))
        if page is None:
            raise web.HTTPForbidden(text="unknown page: not part of the running sweep")
        return page

    async def _get_job(self, request: web.Request) -> web.Response:
        page = self._authorise(request)
        return web.json_response(page.job)

    async def _post_mark(self, request: web.Request) -> web.Response:
        page = self._authorise(request)
        body = await _read_limited(request, MARK_MAX_BYTES)
        name = body.decode("utf-8", "replace")[:64]
        page.marks.append((name, time.monotonic()))
        if self.on_mark:
            await self.on_mark(page.page_id, name)  # may start the profiler: the page waits for it
        return web.Response(text="ok")

    async def _post_result(self, request: web.Request) -> web.Response:
        page = self._authorise(request)
        if page.result.done():
            raise web.HTTPConflict(text="this page already reported its result")
        try:
            body = await _read_limited(request, RESULT_MAX_BYTES)
            message = parse_json(body)
        except web.HTTPRequestEntityTooLarge:
            _refused(page, f"its result is over {RESULT_MAX_BYTES} bytes")
            raise
        except ValueError as exc:
            raise _refused(page, f"its result is not valid JSON ({exc})", web.HTTPBadRequest) from None
        problem = validate_result(message, page.job)
        if problem:
            raise _refused(page, f"its result does not match the schema: {problem}", web.HTTPBadRequest)
        if message["page"] != page.page_id:
            raise web.HTTPForbidden(text="result names another page")
        page.result.set_result(message)
        return web.Response(text="stored")

    async def _post_model(self, request: web.Request) -> web.Response:
        """Take a model the framework saved with its own serializer (multipart or one body)."""
        page = self._authorise(request)
        if page.job.get("kind") != "prepare":
            raise web.HTTPForbidden(text="this page does not save a model")
        budget = MODEL_MAX_BYTES - sum(len(data) for data in page.uploaded.values())
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            files = {}
            while (part := await reader.next()) is not None:
                if len(files) + len(page.uploaded) >= MODEL_MAX_FILES:
                    raise web.HTTPBadRequest(text=f"a saved model has at most {MODEL_MAX_FILES} files")
                files[part.filename or part.name or "file"] = data = await _read_part(part, budget)
                budget -= len(data)
        else:
            name = request.query.get("name", "model.json")
            files = {name: await _read_limited(request, budget)}
        for name, data in files.items():
            page.uploaded[_safe_name(name)] = bytes(data)
        return web.json_response({"stored": sorted(page.uploaded)})

    # -- static files -----------------------------------------------------------------------------
    async def _get_web(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"] or "page.html"
        return _file_response(_inside(WEB_DIR, path))

    async def _get_lib(self, request: web.Request) -> web.StreamResponse:
        path = _plain_relative(request.match_info["path"])
        entry = next((a for a in sorted(self.allowed_libs)
                      if path == a or (a.endswith("/") and path.startswith(a))), None) if path else None
        if entry is None:
            raise web.HTTPNotFound()
        if entry.endswith("/"):  # a listed folder serves only what is inside it, links followed too
            return _file_response(_inside(self.node_modules / entry, path[len(entry):]))
        return _file_response(_inside(self.node_modules, path))

    async def _get_adapter(self, request: web.Request) -> web.StreamResponse:
        """A registered framework's adapter, from its folder (frameworks/<name>/adapter.js): the
        registry is the allow-list, and the name in the URL is only a key into it."""
        from webdlbench.frameworks import FRAMEWORKS

        fw = FRAMEWORKS.get(request.match_info["name"])
        path = fw.adapter_file() if fw is not None else None
        if path is None or not path.is_file():
            raise web.HTTPNotFound()
        return _file_response(path)

    async def _get_user_bundle(self, request: web.Request) -> web.StreamResponse:
        from webdlbench.frameworks import FRAMEWORKS  # --lib bundles are registered before the sweep
        fw = FRAMEWORKS.get(request.match_info["name"])
        path = fw.bundle_path() if fw is not None and fw.user_bundle else None
        if path is None:
            raise web.HTTPNotFound()
        return _file_response(path)

    async def _get_data(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        response = _file_response(_inside(self.data_dir, path))
        # Model files are fetched fresh on every load: the load time must include the transfer. The
        # inputs (digits, seeded weights) never change under one name: a page may reuse them.
        response.headers["Cache-Control"] = "no-store" if path.startswith("models/") else "max-age=86400"
        return response


def validate_result(message, job: dict | None = None) -> str:
    """'' when the message is a reply as the contract defines it (contract.py), with every value
    finite and in its range and the backend its job asked for (limits.py), else what is wrong."""
    return validate_reply(message) or reply_problem(message, job)


def parse_json(body: bytes):
    """A posted body as JSON, refusing what standard JSON does not have (NaN, Infinity), numbers
    past float64 or whole numbers past 64 bits, and nesting deeper than MAX_JSON_DEPTH: ValueError
    saying which."""
    def no_constant(name):
        raise ValueError(f"{name} is not a JSON number")

    def finite(text):
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"{text[:40]} is too large for a number")
        return value

    def bounded(text):  # a whole number past 64 bits fits no float check, no SQLite column
        value = int(text)
        if abs(value) >= 2 ** 63:
            raise ValueError(f"{text[:40]} is too large for a number")
        return value

    try:
        message = json.loads(body, parse_constant=no_constant, parse_float=finite, parse_int=bounded)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    if _nesting(message) > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    return message


def _nesting(value) -> int:
    """How deeply lists and objects nest in a parsed JSON value (counted without recursion)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _refused(page: PageJob, why: str, error=None):
    """A page whose own result is refused ends at once as an `error` saying why (instead of
    waiting for its time limit); returns the HTTP error to answer with."""
    if not page.result.done():
        page.result.set_result({"page": page.page_id, "outcome": "error", "metrics": {}, "outputs": [],
                                "losses": [], "info": {}, "environment": {}, "warmup_output": [], "sampling": {},
                                "error": f"the harness refused the page's result: {why}"})
    return error(text=why) if error else None


def _inside(root: Path, relative: str) -> Path:
    """The file under root that `relative` names, or 404: no '..', no absolute paths, no links out,
    no NUL bytes."""
    if "\0" in relative:
        raise web.HTTPNotFound()
    root = root.resolve()
    candidate = (root / relative).resolve()
    if root not in candidate.parents or not candidate.is_file():
        raise web.HTTPNotFound()
    return candidate


def _plain_relative(path: str) -> str | None:
    """`path` when it is a plain relative path (no '.', '..' or empty segments, no backslash or NUL),
    else None: what is matched against the allow-list is exactly what is served."""
    if not path or "\0" in path or "\\" in path or path.startswith("/"):
        return None
    if any(part in ("", ".", "..") for part in path.split("/")):
        return None
    return path


def _file_response(path: Path) -> web.FileResponse:
    response = web.FileResponse(path)
    content_type = CONTENT_TYPES.get(path.suffix)
    if content_type:
        response.content_type = content_type
    return response


def _safe_name(name: str) -> str:
    """Upload names become plain file names (the hash keeps distinct names distinct)."""
    cleaned = "".join(c for c in Path(name).name if c.isalnum() or c in "._-")
    if cleaned and cleaned == name:
        return cleaned
    return hashlib.sha256(name.encode()).hexdigest()[:12] + "-" + (cleaned or "file")


async def _read_part(part, limit: int) -> bytes:
    """One multipart part, refused (413) once it passes `limit` bytes."""
    chunks, size = [], 0
    while chunk := await part.read_chunk():
        size += len(chunk)
        if size > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_limited(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    chunks, size = [], 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
        chunks.append(chunk)
    return b"".join(chunks)


@web.middleware
async def _headers(request: web.Request, handler):
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    response.headers.update(ISOLATION_HEADERS)
    if isinstance(response, web.HTTPException):
        raise response
    return response


# aiohttp logs every refused request at ERROR with a traceback; refusals are expected here.
logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
