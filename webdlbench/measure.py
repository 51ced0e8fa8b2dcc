"""Measuring one spec in the browser: prepare its files, open fresh pages, collect, check.

A `BrowserSession` owns the results server and the browser for a sweep. `measure(spec)` always
returns a SpecResult: a failure of any kind is an outcome with its verbatim error, never an
exception that ends the sweep.
"""
from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import time
from pathlib import Path

from webdlbench import budget, frameworks
from webdlbench.drivers import Driver
from webdlbench.drivers.local import LocalDriver
from webdlbench.hostinfo import machine_facts
from webdlbench.checks import check_training
from webdlbench.models import kinds, mlp, mnist
from webdlbench.monitor import ProcessMonitor
from webdlbench.profiler import max_stack_depth
from webdlbench.server import ResultsServer
from webdlbench.spec import Spec, SpecResult

# Loading bundles, data and building the model happen before the page's time budget starts.
PAGE_SETUP_ALLOWANCE_S = 120
LEARNING_RATE = 0.1  # plain SGD; large enough that the loss falls visibly within a few batches


class BrowserSession:
    """The server, the browser and the file cache for one sweep."""

    def __init__(self, browser_path: str | None, cache_dir: Path, host: str = "127.0.0.1", profile: bool = False,
                 setup_allowance_s: float = PAGE_SETUP_ALLOWANCE_S, driver: Driver | None = None,
                 server: ResultsServer | None = None):
        self.cache_dir = Path(cache_dir)
        self.setup_allowance_s = setup_allowance_s  # a page's time limit = its budget + this
        self.profile = profile  # add the separate call-stack profiling pass to every spec
        # Several sessions (one per browser) may share one server: then its owner starts and stops it.
        self._owns_server = server is None
        self.server = server or results_server(self.cache_dir, host)
        self.driver = driver or LocalDriver(browser_path)
        self._data_files: dict[str, Path] = {}

    async def start(self) -> None:
        self._data_files = mnist.write_data_files(self.cache_dir)
        if self._owns_server:
            await self.server.start()
        await self.driver.start()

    async def stop(self) -> None:
        await self.driver.stop()
        if self._owns_server:
            await self.server.stop()

    # -- fingerprint ----------------------------------------------------------------------------
    def host_facts(self) -> dict:
        """What the harness knows that the page cannot see."""
        return {
            **self.driver.facts(),
            **machine_facts(),
            "library_versions": {name: fw.version() for name, fw in frameworks.FRAMEWORKS.items()},
        }

    # -- one spec -------------------------------------------------------------------------------
    async def measure(self, spec: Spec) -> SpecResult:
        result = SpecResult(spec=spec, outcome="ok", started_at=time.time())
        fw = frameworks.FRAMEWORKS[spec.framework]
        available, reason = fw.availability()
        if not available:
            return self._finish(result, "unsupported", reason)
        kind = kinds.get(spec.model)
        if kinds.unsupported_reason(kind, fw.name, "browser"):
            return self._finish(result, "unsupported", kinds.unsupported_reason(kind, fw.name, "browser"))
        try:
            job = self._job(spec, fw)
            artifact = None
            if kind.converted:
                try:
                    artifact = await kinds.ensure_artifact(kind, spec.depth, spec.width, spec.seed, self.cache_dir)
                except kinds.ArtifactError as exc:  # the converter's own words are the outcome
                    return self._finish(result, "error", f"preparing the {kind.title} failed: {exc}")
                self._use_artifact(job, spec, kind, artifact, result)
            elif spec.task == "infer":
                model_dir, files = await self._ensure_model(spec, fw, result)
                if model_dir is None:
                    return self._finish(result, result.outcome, result.error)
                job["model_url"] = f"/data/{model_dir}/{fw.model_entry}"
                wanted = fw.model_files.get(spec.backend)
                files = {name: size for name, size in files.items() if not wanted or name in wanted}
                result.add("model_file_bytes", [sum(files.values())])
                result.info["model_files"] = files
            losses, outputs, page_facts = [], [], {}
            # A big converted model's load, warm-up and first sample run whatever the budget: they get more time.
            page_timeout_s = budget.page_limit_s(spec, spec.time_budget_s + self.setup_allowance_s
                                                 + kinds.page_allowance_s(artifact, spec.task, spec.batch, spec.warmup))
            result.info.update(budget.limit_note(spec, page_timeout_s))
            for load in range(spec.page_loads):
                message, resources = await self._open_page(job, page_timeout_s)
                if load and message["page_facts"] != page_facts:  # e.g. the grid gave another node
                    return self._finish(result, "browser_crashed", "the browser changed between page loads "
                                        f"({page_facts} -> {message['page_facts']}); samples of one spec come from one browser")
                page_facts = message["page_facts"]
                result.environment = {**message["environment"], **self.host_facts(), **page_facts}
                if message["outcome"] != "ok":
                    return self._finish(result, message["outcome"], message["error"], message["info"])
                for metric, values in {**message["metrics"], **resources}.items():
                    result.add(metric, values)
                result.info.update(message["info"])
                losses.append(message["losses"])
                outputs = outputs or message["outputs"]
            if self.profile or spec.profile:
                message, stacks = await self._open_page(job, page_timeout_s, profile=True)
                if message["outcome"] == "ok":
                    for metric, values in stacks.items():
                        result.add(metric, values)
            if spec.task == "train":
                checks = [check_training(page_losses) for page_losses in losses]
                result.checks = checks[0] if len(checks) == 1 else {"passed": all(c["passed"] for c in checks), "pages": checks}
                result.add("loss", [v for page in losses for v in page if v is not None])
            else:
                if artifact is not None:  # converted kinds: TensorFlow's outputs for the same weights and inputs
                    reference = artifact.reference_outputs()
                else:
                    forward = fw.reference or mlp.forward
                    reference = forward(mlp.make_weights(spec.depth, spec.width, spec.seed), mnist.reference_inputs())
                result.checks = kinds.check_outputs(outputs, reference, kind)
                result.checks["reference"] = kind.reference
                # The warm-up prediction (reference input 0) must be right too, not only fast.
                warm = kinds.check_outputs([result.info.pop("warmup_output", [])], reference[:1], kind)
                result.checks["warmup_max_abs_error"] = warm.get("max_abs_error")
                if not warm["passed"]:
                    result.checks.update(passed=False, reason="warm-up prediction: " + warm["reason"])
            if not result.checks["passed"]:
                return self._finish(result, "check_failed", result.checks.get("reason", "check failed"))
            return self._finish(result, "ok", "")
        except PageFailure as failure:
            return self._finish(result, failure.outcome, failure.detail)

    def _finish(self, result: SpecResult, outcome: str, error: str, info: dict | None = None) -> SpecResult:
        result.outcome, result.error = outcome, error
        if info:
            result.info.update(info)
        result.finished_at = time.time()
        return result

    def _job(self, spec: Spec, fw: frameworks.Framework, kind: str | None = None) -> dict:
        # Converted kinds load their model file instead: there are no MLP weights to make for them.
        weights_key = None if kinds.get(spec.model).converted else self._ensure_weights(spec)
        rate = kinds.learning_rate(kinds.get(spec.model), spec.depth, spec.width, LEARNING_RATE)
        options = {"learning_rate": rate, "batch_size": spec.batch, "threads": spec.threads}
        options.update({k: f"/lib/{v}" if k.endswith("_dir") else v for k, v in fw.options.items()})
        return {
            "kind": kind or spec.task,
            "framework": fw.name,
            "spec": spec.to_dict(),
            "scripts": fw.script_urls(spec.backend),
            "adapters": [fw.adapter_url()],
            "options": options,
            "data": {"images": "/data/" + self._data_files["images"].name,
                     "labels": "/data/" + self._data_files["labels"].name,
                     "train_count": mnist.TRAIN_COUNT, "reference_offset": mnist.TRAIN_COUNT,
                     "reference_count": mnist.REFERENCE_COUNT},
            "weights": {"url": f"/data/weights/{weights_key}.bin",
                        "layers": mlp.layer_shapes(spec.depth, spec.width)} if weights_key else None,
        }

    def _use_artifact(self, job: dict, spec: Spec, kind: kinds.ModelKind, artifact: kinds.Artifact,
                      result: SpecResult) -> None:
        """Point a job at a converted model (models/kinds.py): its TF.js files, input shape and classes,
        training data and reference inputs; record the model's facts (paper Table 4)."""
        base = f"/data/{artifact.relative}"
        job["model_url"] = f"{base}/tfjs/model.json"
        job["options"].update(input_shape=artifact.manifest["input_shape"], classes=artifact.manifest["classes"])
        job["data"].update(kinds.page_data(kind, self.cache_dir))
        job["data"]["reference_inputs"] = {"url": f"{base}/inputs.f32", "count": artifact.manifest["reference_count"]}
        result.info["model_facts"] = artifact.facts()
        if spec.task == "train":
            result.info["learning_rate"] = job["options"]["learning_rate"]
        if spec.task == "infer":
            result.add("model_file_bytes", [sum(artifact.tfjs_files.values())])
            result.info["model_files"] = artifact.tfjs_files

    def _ensure_weights(self, spec: Spec) -> str:
        key = mlp.weights_key(spec.depth, spec.width, spec.seed)
        path = self.cache_dir / "weights" / f"{key}.bin"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(mlp.weights_blob(mlp.make_weights(spec.depth, spec.width, spec.seed)))
            tmp.replace(path)
        return key

    async def _ensure_model(self, spec: Spec, fw: frameworks.Framework, result: SpecResult):
        """The model file the framework itself saved from our weights; made once, then cached."""
        weights_key = mlp.weights_key(spec.depth, spec.width, spec.seed)
        relative = f"models/{fw.name}-{fw.version()}-{weights_key}{_writer_tag(fw)}"
        folder = self.cache_dir / relative
        manifest = folder / "files.json"
        if manifest.exists():
            return relative, json.loads(manifest.read_text())
        if fw.write_model is not None:
            return self._write_model(fw, spec, folder, relative, result)
        # Any backend can save: the file format does not depend on it; cpu is the most robust.
        save_spec = Spec.from_dict({**spec.to_dict(), "backend": next(iter(fw.backends))})
        job = self._job(save_spec, fw, kind="prepare")
        page = self.server.register(job)
        job["upload_url"] = f"/api/model?page={page.page_id}&token={self.server.token}"
        try:
            message, _ = await self._open_registered(page, self.setup_allowance_s)
        finally:
            self.server.unregister(page.page_id)
        if message["outcome"] != "ok" or not page.uploaded:
            result.outcome = "error" if message["outcome"] == "ok" else message["outcome"]
            result.error = "saving the model failed: " + (message["error"] or "the page uploaded no file")
            return None, {}
        folder.mkdir(parents=True, exist_ok=True)
        files = {}
        for name, data in page.uploaded.items():
            (folder / name).write_bytes(data)
            files[name] = len(data)
        result.info["model_sha256"] = hashlib.sha256(b"".join(page.uploaded[n] for n in sorted(page.uploaded))).hexdigest()
        manifest.write_text(json.dumps(files))
        return relative, files

    def _write_model(self, fw, spec: Spec, folder: Path, relative: str, result: SpecResult):
        """Frameworks that cannot save: our Python writer makes their format from the same weights."""
        staging = folder.with_name(folder.name + ".partial")
        staging.mkdir(parents=True, exist_ok=True)
        try:
            fw.write_model(mlp.make_weights(spec.depth, spec.width, spec.seed), staging)
        except Exception as exc:  # the writer's own words are the outcome
            result.outcome, result.error = "error", f"writing the {fw.title} model failed: {exc}"
            return None, {}
        files = {p.relative_to(staging).as_posix(): p.stat().st_size for p in sorted(staging.rglob("*")) if p.is_file()}
        (staging / "files.json").write_text(json.dumps(files))
        staging.replace(folder)  # appears whole or not at all
        return relative, files

    # -- pages ----------------------------------------------------------------------------------
    async def _open_page(self, job: dict, timeout_s: float, profile: bool = False):
        page = self.server.register(job)
        try:
            return await self._open_registered(page, timeout_s, profile)
        finally:
            self.server.unregister(page.page_id)

    async def _open_registered(self, registered, timeout_s: float, profile: bool = False):
        """Open one fresh page on a registered job; (result message, resource metrics)."""
        await self.driver.ensure_running()
        page = await self.driver.new_page()
        monitor = ProcessMonitor(self.driver.browser_process())
        profiled: dict = {}

        async def on_mark(page_id: str, name: str) -> None:
            if page_id != registered.page_id:
                return
            if profile and name == "measure":
                profiled["started"] = await page.start_profiler()  # the page waits for this reply
            if profile and name == "done" and profiled.get("started"):
                profiled["profile"] = await page.stop_profiler()
            monitor.mark(name)

        marks = _mark_handlers(self.server)
        marks[registered.page_id] = on_mark
        monitor.start()
        try:
            await page.goto(self.server.page_url(registered))
            monitor.use_renderer(page.renderer_pid)
            done, _ = await asyncio.wait({registered.result, page.failure}, timeout=timeout_s,
                                         return_when=asyncio.FIRST_COMPLETED)
            if registered.result in done:
                message = registered.result.result()
                message["page_facts"] = page.facts() if hasattr(page, "facts") else {}
                if message["outcome"] != "ok" and page.errors:
                    message["error"] += _tail(page.errors)
                resources = monitor.metrics()
                if monitor.browser_process is not None:
                    message["info"]["renderer_identified"] = monitor.renderer_identified
                heap = await page.js_heap_bytes()
                if heap is not None:
                    resources["js_heap_used_bytes"] = [heap]
                if profiled.get("profile"):
                    depth, count = max_stack_depth(profiled["profile"])
                    resources = {"max_stack_depth": [depth], "profile_samples": [count]}
                return message, resources
            if page.failure in done:
                raise PageFailure("browser_crashed", page.failure.result() + _tail(page.errors))
            raise PageFailure("timeout", f"no result within {timeout_s:.0f} s" + _tail(page.errors))
        except PageFailure:
            raise
        except Exception as exc:  # the driver failed: target closed, browser gone, navigation failed
            if page.failure.done():
                raise PageFailure("browser_crashed", f"{page.failure.result()}: {str(exc).splitlines()[0]}") from None
            raise PageFailure("error", f"driving the page failed: {str(exc).splitlines()[0]}") from None
        finally:
            marks.pop(registered.page_id, None)
            await monitor.stop()
            await page.close()

    async def environment(self) -> dict:
        """The fingerprint seen from a real page, with every framework's bundle loaded."""
        job = {"kind": "env", "framework": None, "adapters": [], "scripts": []}
        for fw in frameworks.FRAMEWORKS.values():
            if fw.availability()[0]:
                job["scripts"] += [u for u in fw.script_urls(next(iter(fw.backends))) if u not in job["scripts"]]
                job["adapters"] += [fw.adapter_url()]
        message, _ = await self._open_page(job, self.setup_allowance_s)
        return {**message["environment"], **self.host_facts(), "page_library_versions": message["info"],
                "page_outcome": message["outcome"], "page_error": message["error"]}


def results_server(cache_dir: Path, host: str = "127.0.0.1") -> ResultsServer:
    """A results server allowed to serve every registered framework's bundles."""
    allowed = {p for fw in frameworks.FRAMEWORKS.values()
               for p in (*[s for paths in fw.scripts.values() for s in paths], *fw.assets,
                         *([fw.options["wasm_dir"]] if "wasm_dir" in fw.options else []))}
    return ResultsServer(Path(cache_dir), host=host, allowed_libs=allowed)


def _mark_handlers(server: ResultsServer) -> dict:
    """page id -> mark handler: sessions sharing a server each get only their own pages' marks."""
    if not hasattr(server, "mark_handlers"):
        server.mark_handlers = {}

        async def route(page_id: str, name: str) -> None:
            handler = server.mark_handlers.get(page_id)
            if handler:
                await handler(page_id, name)
        server.on_mark = route
    return server.mark_handlers


class PageFailure(Exception):
    def __init__(self, outcome: str, detail: str):
        super().__init__(detail)
        self.outcome, self.detail = outcome, detail


def _writer_tag(fw) -> str:
    """A Python-written model is cached per version of its writer's code: a changed writer remakes it."""
    if fw.write_model is None:
        return ""
    source = Path(inspect.getsourcefile(fw.write_model)).read_bytes()
    return "-w" + hashlib.sha256(source).hexdigest()[:8]


def _tail(errors: list[str]) -> str:
    return f" (browser console: {' | '.join(errors[-3:])})" if errors else ""
