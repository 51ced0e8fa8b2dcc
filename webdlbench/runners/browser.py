"""The browser runner: a replicate is one fresh page in a real browser (drivers/), which fetches
its job from the results server (server.py), loads the framework's bundle and adapter, runs the task
and posts one reply. This module prepares what pages need (weights, the model file the framework
itself saved, converted artifacts) and watches each page (processes, marks, crashes, time limits).
"""
from __future__ import annotations

import asyncio
import hashlib
import time
from pathlib import Path

from webdlbench import contract, frameworks, gpu_memory
from webdlbench.drivers import Driver
from webdlbench.drivers.local import LocalDriver
from webdlbench.hostinfo import machine_facts
from webdlbench.models import artifacts, datasets, kinds, mlp, mnist, training
from webdlbench.models.webai import kinds as webai_kinds
from webdlbench.monitor import ProcessMonitor
from webdlbench.profiler import max_stack_depth
from webdlbench.runners import passes, saved_model, user_files, webai
from webdlbench.runners.skeleton import Failed, Prepared, measure_spec
from webdlbench.runners.staging import model_folder, staged_folder, written_model
from webdlbench.server import ResultsServer
from webdlbench.spec import Spec, SpecResult

# Loading bundles, data and building the model happen before the page's time budget starts.
PAGE_SETUP_ALLOWANCE_S = 120
# Finding 6: loads of each encoding per replicate, binary and JSON alternating which goes first.
ENCODING_ROUNDS = 3


class BrowserRunner:
    """The server, the browser and the file cache for one worker of a sweep."""

    runtime = "browser"

    def __init__(self, browser_path: str | None, cache_dir: Path, host: str = "127.0.0.1",
                 setup_allowance_s: float = PAGE_SETUP_ALLOWANCE_S, driver: Driver | None = None,
                 server: ResultsServer | None = None):
        self.cache_dir = Path(cache_dir)
        self.setup_allowance_s = setup_allowance_s  # a page's time limit = its budget + this
        # Several runners (one per browser) may share one server: then its owner starts and stops it.
        self._owns_server = server is None
        self.server = server or results_server(self.cache_dir, host)
        self.driver = driver or LocalDriver(browser_path)
        self._data_files: dict[str, Path] = {}
        self._started = False

    async def start(self) -> None:
        if self._started:
            return
        self._data_files = mnist.write_data_files(self.cache_dir)
        if self._owns_server:
            await self.server.start()
        await self.driver.start()
        self._started = True

    async def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        await self.driver.stop()
        if self._owns_server:
            await self.server.stop()

    async def measure(self, spec: Spec, profile: bool = False, passes: tuple[str, ...] = ()) -> SpecResult:
        """One spec through the skeleton with this runner."""
        return await measure_spec(spec, self, profile=profile, passes=passes)

    # -- the skeleton's plug-in ------------------------------------------------------------------
    def unsupported_reason(self, spec: Spec, kind: kinds.ModelKind) -> str:
        available, reason = frameworks.FRAMEWORKS[spec.framework].availability()
        if not available:
            return reason
        if webai_kinds.owns(kind):
            return webai.unsupported_reason(spec, kind, "browser")
        return kinds.unsupported_reason(kind, spec.framework, "browser")

    async def prepare(self, spec: Spec, kind: kinds.ModelKind) -> Prepared:
        if webai_kinds.owns(kind):  # RQ4's models, jobs and two-visit replicates
            return await webai.prepare_browser(self, spec, kind)
        fw = frameworks.FRAMEWORKS[spec.framework]
        prepared = Prepared(job=self._job(spec, fw))
        if isinstance(kind, kinds.UserModelKind):  # a user's own model file (runners/user_files.py)
            await user_files.prepare_page(prepared, spec, self.cache_dir)
            return prepared
        if kind.converted:
            try:
                artifact = await artifacts.ensure_artifact(kind, spec.depth, spec.width, spec.seed, self.cache_dir)
            except artifacts.ArtifactError as exc:  # the converter's own words are the outcome
                raise Failed("error", f"preparing the {kind.title} failed: {exc}") from None
            self._use_artifact(prepared, spec, kind, artifact)
            if fw.name == "onnxruntime_web":  # the same weights in their ONNX conversion (tf2onnx)
                await self._use_onnx(prepared, artifact)
            return prepared
        forward = fw.reference or mlp.forward
        if fw.reference:  # the framework computes another function (Mind): its own Python twin
            prepared.reference_source = f"{fw.reference.__module__}.{fw.reference.__name__}"
        prepared.reference = lambda: forward(mlp.make_weights(spec.depth, spec.width, spec.seed),
                                             mnist.reference_inputs())
        if spec.task == "infer":
            model_dir, files = await self._ensure_model(spec, fw, prepared.info)
            prepared.job["model_url"] = f"/data/{model_dir}/{fw.model_entry}"
            wanted = fw.model_files.get(spec.backend)
            prepared.model_files = {name: size for name, size in files.items() if not wanted or name in wanted}
            if fw.json_encoding is not None:
                await self._add_json_encoding(prepared, fw, model_dir)
        return prepared

    async def replicate(self, spec: Spec, prepared: Prepared, index: int, limit_s: float) -> dict:
        # A fresh page (its own renderer: fresh JIT state and heap) in the context the spec's other
        # replicates used: bundles come from its cache, model files never do (server.py: no-store).
        if prepared.replicate is not None:
            return await prepared.replicate(index, limit_s)
        return await self._open_page(prepared.job, limit_s, share=spec.spec_hash)

    async def profile(self, spec: Spec, prepared: Prepared, limit_s: float) -> dict[str, list[float]]:
        """One extra page under V8's sampling profiler: the deepest sampled call stack."""
        reply = await self._open_page(prepared.job, limit_s, profile=True, share=spec.spec_hash)
        if reply["outcome"] != "ok" or "max_stack_depth" not in reply["metrics"]:
            return {}
        return {k: reply["metrics"][k] for k in ("max_stack_depth", "profile_samples")}

    async def extra_pass(self, name: str, spec: Spec, prepared: Prepared, limit_s: float) -> tuple[dict, dict]:
        """One more page for a separate pass (runners/passes.py: memory, qoe): (metrics, info)."""
        probe = passes.PROBES[name]()
        job = {**prepared.job, "kind": name, "pass": probe.settings(spec),
               "required_methods": contract.required_methods(name)}
        try:
            reply = await self._open_page(job, limit_s, share=spec.spec_hash, on_page_mark=probe.on_mark)
        finally:
            await probe.stop()
        return passes.pass_result(name, reply, probe)

    def environment(self, reply: dict) -> dict:
        return {**reply["environment"], **self.host_facts(), **(reply.get("page_facts") or {})}

    def host_facts(self) -> dict:
        """What the harness knows that the page cannot see."""
        facts = {
            **self.driver.facts(),
            **machine_facts(),
            "library_versions": {name: fw.version() for name, fw in frameworks.FRAMEWORKS.items()},
        }
        reading = gpu_memory.read() if self._reads_gpu_memory else None
        if reading is not None:
            facts["gpu_memory_total_bytes"] = reading.total_bytes  # Finding 8's card (gpu_memory.py)
        return facts

    @property
    def _reads_gpu_memory(self) -> bool:
        """On an NVIDIA machine with a local browser (its GPU process is a process of ours), nvidia-smi
        says what GPU memory the GPU process holds."""
        return bool(getattr(self.driver, "gpu", False)) and self.driver.browser_process() is not None \
            and gpu_memory.available()

    # -- jobs and files ----------------------------------------------------------------------------
    def _job(self, spec: Spec, fw: frameworks.Framework, kind: str | None = None) -> dict:
        model = kinds.get(spec.model)
        # Converted kinds load their model file instead: there are no MLP weights to make for them.
        weights_key = None if model.converted else self._ensure_weights(spec)
        rate = training.learning_rate(model, spec.depth, spec.width)
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
            "required_methods": contract.required_methods(kind or spec.task, converted=model.converted),
        }

    def _use_artifact(self, prepared: Prepared, spec: Spec, kind: kinds.ModelKind,
                      artifact: artifacts.Artifact) -> None:
        """Point a job at a converted model (models/artifacts.py): its TF.js files, input shape and classes,
        training data and reference inputs; record the model's facts (paper Table 4)."""
        job, base = prepared.job, f"/data/{artifact.relative}"
        job["model_url"] = f"{base}/tfjs/model.json"
        job["options"].update(input_shape=artifact.manifest["input_shape"], classes=artifact.manifest["classes"])
        job["data"].update(datasets.page_data(kind, self.cache_dir))
        job["data"]["reference_inputs"] = {"url": f"{base}/inputs.f32", "count": artifact.manifest["reference_count"]}
        prepared.artifact, prepared.reference = artifact, artifact.reference_outputs
        prepared.info["model_facts"] = artifact.facts()
        if spec.task == "train":
            prepared.info["learning_rate"] = job["options"]["learning_rate"]
        if spec.task == "infer":
            prepared.model_files = artifact.tfjs_files

    async def _use_onnx(self, prepared: Prepared, artifact: artifacts.Artifact) -> None:
        """Point ONNX Runtime Web's job at the converted model's ONNX file (models/torch_graph_maker.py),
        fed the whole input tensor (NHWC, as the Keras model takes it)."""
        try:
            onnx_file, _ = await artifacts.ensure_onnx(artifact)
        except artifacts.ArtifactError as exc:
            raise Failed("error", f"converting the model to ONNX failed: {exc}") from None
        if not onnx_file.is_file():
            raise Failed("error", f"no ONNX file of {artifact.folder.name} was carried here (scripts/device/prepare.sh)")
        relative = onnx_file.relative_to(artifact.folder).as_posix()
        prepared.job["model_url"] = f"/data/{artifact.relative}/{relative}"
        prepared.job["options"]["tensor_shape"] = [1, *artifact.manifest["input_shape"]]
        prepared.model_files = {relative: onnx_file.stat().st_size}

    async def _add_json_encoding(self, prepared: Prepared, fw: frameworks.Framework, model_dir: str) -> None:
        """Finding 6: the same saved model with its weights as JSON numbers, in a folder of its own
        (model_file_bytes keeps counting the binary files only); the page loads both after measuring."""
        async def encode(staging: Path) -> None:
            try:
                fw.json_encoding(self.cache_dir / model_dir, staging, fw.model_entry)
            except Exception as exc:  # the encoder's own words are the outcome
                raise Failed("error", f"writing the JSON encoding of the {fw.title} model failed: {exc}") from None

        files = await staged_folder(self.cache_dir / f"{model_dir}-json", encode)
        (name, size), = files.items()
        prepared.job["encodings"] = {"json_url": f"/data/{model_dir}-json/{name}", "rounds": ENCODING_ROUNDS}
        prepared.job["required_methods"].append("loadJsonEncoded")
        prepared.file_metrics = {"model_binary_bytes": sum(prepared.model_files.values()), "model_json_bytes": size}

    def _ensure_weights(self, spec: Spec) -> str:
        key = mlp.weights_key(spec.depth, spec.width, spec.seed)
        path = self.cache_dir / "weights" / f"{key}.bin"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(mlp.weights_blob(mlp.make_weights(spec.depth, spec.width, spec.seed)))
            tmp.replace(path)
        return key

    async def _ensure_model(self, spec: Spec, fw: frameworks.Framework, info: dict) -> tuple[str, dict[str, int]]:
        """The model file the framework itself saved from our weights (or, for frameworks that cannot
        save, our Python writer's file of its format); made once, then cached."""
        if fw.write_model is not None:
            return await written_model(self.cache_dir, fw, spec)
        relative = model_folder(fw, spec)

        async def saved_by_the_page(staging: Path) -> None:
            uploaded = await self._save_in_page(spec, fw)
            for name, data in uploaded.items():
                (staging / name).write_bytes(data)
            info["model_sha256"] = hashlib.sha256(b"".join(uploaded[n] for n in sorted(uploaded))).hexdigest()

        return relative, await staged_folder(self.cache_dir / relative, saved_by_the_page)

    async def _save_in_page(self, spec: Spec, fw: frameworks.Framework) -> dict[str, bytes]:
        # Any backend can save: the file format does not depend on it; the first is the most robust.
        save_spec = Spec.from_dict({**spec.to_dict(), "backend": next(iter(fw.backends))})
        job = self._job(save_spec, fw, kind="prepare")
        page = self.server.register(job)
        job["upload_url"] = f"/api/model?page={page.page_id}&token={self.server.token}"
        try:
            reply = await self._open_registered(page, self.setup_allowance_s)
        finally:
            self.server.unregister(page.page_id)
        if reply["outcome"] != "ok" or not page.uploaded:
            raise Failed("error" if reply["outcome"] == "ok" else reply["outcome"],
                         "saving the model failed: " + (reply["error"] or "the page uploaded no file"))
        try:  # only the model's own files: nothing else a page uploads is kept or counted
            return saved_model.model_files(page.uploaded, fw.model_entry)
        except saved_model.NoEntryFile as exc:
            raise Failed("error", f"saving the model failed: {exc}") from None

    # -- pages ----------------------------------------------------------------------------------
    async def _open_page(self, job: dict, timeout_s: float, profile: bool = False, share: str | None = None,
                         on_page_mark=None) -> dict:
        page = self.server.register(job)
        try:
            return await self._open_registered(page, timeout_s, profile, share, on_page_mark)
        finally:
            self.server.unregister(page.page_id)

    async def _open_registered(self, registered, timeout_s: float, profile: bool = False,
                               share: str | None = None, on_page_mark=None) -> dict:
        """Open one fresh page on a registered job; its reply with the harness's resource metrics
        (CPU, RSS, JS heap; or the profile's stack depth) added. A page that dies or hangs: Failed.
        `on_page_mark(page, name)`, if given, sees each of the page's marks (a pass's probe)."""
        begun = time.monotonic()
        await self.driver.ensure_running()
        page = await self.driver.new_page(share=share)
        opened = time.monotonic()
        monitor = ProcessMonitor(self.driver.browser_process(), page.earlier_renderers,
                                 gpu_memory_readings=self._reads_gpu_memory)
        profiled: dict = {}

        async def on_mark(page_id: str, name: str) -> None:
            if page_id != registered.page_id:
                return
            if profile and name == "measure":
                profiled["started"] = await page.start_profiler()  # the page waits for this reply
            if profile and name == "done" and profiled.get("started"):
                profiled["profile"] = await page.stop_profiler()
            if on_page_mark is not None:
                await on_page_mark(page, name)
            monitor.mark(name)

        marks = _mark_handlers(self.server)
        marks[registered.page_id] = on_mark
        try:
            await page.goto(self.server.page_url(registered))
            navigated = time.monotonic()
            monitor.page_committed()
            monitor.start()
            done, _ = await asyncio.wait({registered.result, page.failure}, timeout=timeout_s,
                                         return_when=asyncio.FIRST_COMPLETED)
            if registered.result in done:
                reply = registered.result.result()
                reply["page_facts"] = page.facts() if hasattr(page, "facts") else {}
                if reply["outcome"] != "ok" and page.errors:
                    reply["error"] += _tail(page.errors)
                resources = monitor.metrics()
                sampling = reply.setdefault("sampling", {})
                # Where the harness's time went (benchmarks/sweep_efficiency.py), in ms.
                sampling["harness_ms"] = {"new_page": (opened - begun) * 1e3, "navigate": (navigated - opened) * 1e3,
                                          "page": (time.monotonic() - navigated) * 1e3}
                if monitor.browser_process is not None:
                    sampling["renderer_identified"] = monitor.renderer_identified
                    sampling["renderer_pid"] = monitor.renderer_pid  # replicates are distinct processes
                if monitor.gpu_memory_readings:
                    sampling["gpu_memory_identified"] = monitor.gpu_memory_identified
                heap = await page.js_heap_bytes()
                if heap is not None:
                    resources["js_heap_used_bytes"] = [heap]
                if profiled.get("profile"):
                    depth, count = max_stack_depth(profiled["profile"])
                    resources = {"max_stack_depth": [depth], "profile_samples": [count]}
                reply["metrics"] = {**reply["metrics"], **resources}
                return reply
            if page.failure in done:
                raise Failed("browser_crashed", page.failure.result() + _tail(page.errors))
            raise Failed("timeout", f"no result within {timeout_s:.0f} s" + _tail(page.errors))
        except Failed:
            raise
        except Exception as exc:  # the driver failed: target closed, browser gone, navigation failed
            if page.failure.done():
                raise Failed("browser_crashed", f"{page.failure.result()}: {str(exc).splitlines()[0]}") from None
            raise Failed("error", f"driving the page failed: {str(exc).splitlines()[0]}") from None
        finally:
            marks.pop(registered.page_id, None)
            await monitor.stop()
            await page.close()

    async def environment_fingerprint(self) -> dict:
        """The fingerprint seen from a real page, with every framework's bundle loaded."""
        job = {"kind": "env", "framework": None, "adapters": [], "scripts": [], "required_methods": []}
        for fw in frameworks.FRAMEWORKS.values():
            if fw.availability()[0]:
                job["scripts"] += [u for u in fw.script_urls(next(iter(fw.backends))) if u not in job["scripts"]]
                job["adapters"] += [fw.adapter_url()]
        reply = await self._open_page(job, self.setup_allowance_s)
        return {**reply["environment"], **self.host_facts(), "page_library_versions": reply["info"],
                "page_outcome": reply["outcome"], "page_error": reply["error"]}


def results_server(cache_dir: Path, host: str = "127.0.0.1") -> ResultsServer:
    """A results server allowed to serve every registered framework's bundles."""
    allowed = {p for fw in frameworks.FRAMEWORKS.values()
               for p in (*[s for paths in fw.scripts.values() for s in paths], *fw.assets,
                         *([fw.options["wasm_dir"]] if "wasm_dir" in fw.options else []))}
    return ResultsServer(Path(cache_dir), host=host, allowed_libs=allowed)


def _mark_handlers(server: ResultsServer) -> dict:
    """page id -> mark handler: runners sharing a server each get only their own pages' marks."""
    if not hasattr(server, "mark_handlers"):
        server.mark_handlers = {}

        async def route(page_id: str, name: str) -> None:
            handler = server.mark_handlers.get(page_id)
            if handler:
                await handler(page_id, name)
        server.on_mark = route
    return server.mark_handlers


def _tail(errors: list[str]) -> str:
    return f" (browser console: {' | '.join(errors[-3:])})" if errors else ""
