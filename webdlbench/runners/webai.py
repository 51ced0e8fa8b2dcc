"""RQ4's specs (models/webai/) in the browser and native runners: their files, their jobs, a
replicate of two visits, and their output check.

Cold and warm, in the browser. A spec's replicate is two page visits in one browser context that
is fresh for that replicate (drivers/local.py: a new `share` key opens a new context, closing the
previous one), so the first visit starts with every cache empty — HTTP cache, Cache Storage,
IndexedDB, the runtime's own — and the second finds them as the first left them:
  cold visit   cold_load_ms (import the runtime's module or script, fetch and compile its wasm,
               fetch the model, create the session) and first_infer_ms (the first embedding:
               on WebGPU its shaders are compiled here)
  warm visit   warm_load_ms (the same steps: bundles from the HTTP cache, the model and wasm from
               whatever cache the runtime fills for real users — transformers.js its own Cache
               Storage; ONNX Runtime Web has none, so its adapter keeps the model in Cache Storage
               as an app would), warmup_ms (its first embedding), then infer_ms (steady state)
Model files are served no-store (server.py), so no HTTP cache ever serves them: what is warm is
what the runtime keeps. Natively a replicate is one process with two loads (native/webai.py).
"""
from __future__ import annotations

from pathlib import Path

from webdlbench import contract, frameworks
from webdlbench.models.webai import artifacts, checks
from webdlbench.models.webai import kinds as webai_kinds
from webdlbench.models.webai.kinds import WebAIKind
from webdlbench.native import webai as native_webai
from webdlbench.runners.skeleton import Failed, Prepared
from webdlbench.spec import Spec

PAGE_SCRIPT = "/webai.js"  # the page's RQ4 tasks (web/webai.js), loaded before the adapter
VISITS = ("cold", "warm")
# Metrics a replicate takes from its cold visit; every other metric comes from the warm visit.
COLD_METRICS = ("cold_load_ms", "first_infer_ms")
GGUF_RUNTIMES = ("wllama", "llamacpp")  # they load llama.cpp's GGUF file, not the transformers folder


async def made(spec: Spec, kind: WebAIKind, cache_dir: Path) -> tuple[artifacts.Artifact, artifacts.Reference]:
    """The spec's model and its reference at the spec's sequence length or input side (made once, cached)."""
    try:
        if kind.family == "image":
            return await artifacts.ensure_image(kind, spec.seed, spec.width, cache_dir)
        artifact = await artifacts.ensure_artifact(kind, spec.seed, cache_dir)
        return artifact, await artifacts.ensure_reference(artifact, spec.width)
    except artifacts.BuildError as exc:  # the libraries' own words are the outcome
        raise Failed("error", f"making the {kind.title} failed: {exc}") from None


async def made_gguf(kind: WebAIKind, artifact: artifacts.Artifact) -> Path:
    """A decoder's GGUF file (llama.cpp's converter), made once."""
    try:
        return await artifacts.ensure_gguf(artifact, kind.weight_type or "f32")
    except artifacts.BuildError as exc:
        raise Failed("error", f"making the GGUF file of the {kind.title} failed: {exc}") from None


async def made_onnx_type(kind: WebAIKind, artifact: artifacts.Artifact) -> Path:
    """A quantised encoder's ONNX file (q8, fp16), made once beside the exported one."""
    try:
        return await artifacts.ensure_onnx_type(artifact, kind.weight_type)
    except artifacts.BuildError as exc:
        raise Failed("error", f"making the {kind.weight_type} ONNX file of the {kind.title} failed: {exc}") from None


def _prepared(job: dict, artifact: artifacts.Artifact, reference: artifacts.Reference,
              model_files: dict[str, int], kind: WebAIKind) -> Prepared:
    """The spec's job with its reference and the check its kind calls for (models/webai/checks.py)."""
    decoder, image = artifact.family == "decoder", artifact.family == "image"
    info = {"model_facts": artifact.facts(), **({"reference_facts": reference.facts()} if decoder or image else {})}
    made = dict(job=job, reference=reference.outputs, model_files=model_files, info=info)
    if image:
        return Prepared(**made, reference_source=reference.facts()["source"],
                        check=lambda replies, want: checks.check_classes(replies, want, kind))
    if not kind.quantised:
        return Prepared(**made, reference_source="pytorch fp32 (transformers" + (" generate, greedy)" if decoder else ")"),
                        check=checks.check_generations if decoder else checks.check_embeddings)
    info["weight_type"] = kind.weight_type
    if not decoder:  # a q8 / fp16 file: nearer its own input's fp32 embedding than any two inputs' are
        info["onnx_type"] = artifacts.onnx_type_facts(artifact, kind.weight_type)
        return Prepared(**made, reference_source="pytorch fp32 (transformers)",
                        check=lambda replies, want: checks.check_embeddings(replies, want, quantised=True))
    fp32_top1: dict[tuple, list] = {}  # a quantised decoder: fp32's top-1 along each of its generations

    async def force_fp32(replies: list[dict]) -> None:  # after the timed replicates, in a subprocess
        sequences = checks.generations(replies)
        try:
            tops = await artifacts.forced_top1(artifact, reference.ids()[0].tolist(), sequences)
        except artifacts.BuildError as exc:
            raise Failed("error", f"PyTorch's forced decoding of the generations failed: {exc}") from None
        fp32_top1.update(zip(map(tuple, sequences), tops))

    return Prepared(**made, reference_source="pytorch fp32 (forced along each generation)", before_check=force_fp32,
                    check=lambda replies, want: checks.check_quantised_generations(replies, want, fp32_top1))


def _data(reference: artifacts.Reference, key: str, locate) -> dict:
    """The token ids (and a decoder's prompt text and how many tokens to generate), or an image
    classifier's images; `key` is "url" for a page, "path" natively, and `locate` turns a file into one."""
    if (reference.folder / "inputs.f32").is_file():
        return {"images": {key: locate(reference.folder / "inputs.f32"), "count": reference.count,
                           "shape": reference.facts()["shape"], "layout": reference.facts()["layout"]}}
    data = {"ids": {key: locate(reference.folder / "ids.i32"), "count": reference.count, "length": reference.length}}
    if (reference.folder / "prompt.txt").is_file():
        data.update(prompt_text=locate(reference.folder / "prompt.txt"), generated=reference.hidden)
    return data


async def prepare_browser(runner, spec: Spec, kind: WebAIKind) -> Prepared:
    """Files and job of a browser spec; its replicate is two visits (module docstring)."""
    artifact, reference = await made(spec, kind, runner.cache_dir)
    fw = frameworks.FRAMEWORKS[spec.framework]
    base = f"/data/{artifact.relative}/model"
    options = {"threads": spec.threads, **{k: f"/lib/{v}" if k.endswith(("_dir", "_file")) else v
                                           for k, v in fw.options.items()}}
    cache = Path(runner.cache_dir).resolve()
    job = {
        "kind": spec.task, "framework": fw.name, "spec": spec.to_dict(),
        "scripts": [PAGE_SCRIPT], "adapters": [fw.adapter_url()], "options": options,
        "data": _data(reference, "url", lambda path: f"/data/{path.relative_to(cache).as_posix()}"),
        "weights": None, "required_methods": contract.required_methods(spec.task), "model_folder": f"{base}/",
    }
    if artifact.family == "image":  # each runtime's own file of the same weights
        entry, files = artifact.image_files(spec.framework)
        job["model_url"] = f"/data/{entry.relative_to(cache).as_posix()}"
        job["runtime_scripts"] = fw.script_urls(spec.backend)  # loaded by the adapter inside the cold load
    elif kind.quantised and artifact.family == "encoder":  # transformers.js picks the file by its dtype
        onnx = await made_onnx_type(kind, artifact)
        files = artifact.browser_files(onnx.name)
        job["model_url"] = f"{base}/onnx/{onnx.name}"
        options["dtype"] = kind.weight_type
    else:
        files = artifact.browser_files()
        job["model_url"] = f"{base}/{artifacts.BROWSER_FILES[artifact.family][-1]}"
    if spec.framework in GGUF_RUNTIMES:  # llama.cpp's format, not transformers.js's folder
        gguf = await made_gguf(kind, artifact)
        job["model_url"] = f"/data/{gguf.relative_to(cache).as_posix()}"
        files = {gguf.name: gguf.stat().st_size}
    prepared = _prepared(job, artifact, reference, files, kind)

    async def two_visits(index: int, limit_s: float) -> dict:
        share = f"{spec.spec_hash}/replicate-{index}"  # a context of its own: every cache empty
        replies = {}
        for visit in VISITS:
            replies[visit] = await runner._open_page({**job, "visit": visit}, limit_s, share=share)
            if replies[visit]["outcome"] != "ok":
                return replies[visit]
        return merge_visits(replies["cold"], replies["warm"])

    prepared.replicate = two_visits
    return prepared


async def prepare_native(runner, spec: Spec, kind: WebAIKind) -> Prepared:
    """Files and job of a native spec: the same model folder and token ids as the pages."""
    artifact, reference = await made(spec, kind, runner.cache_dir)
    runtime = runner.runtimes[spec.framework]
    job = {"runtime": runtime.name, "adapter": native_webai.ADAPTERS[(runtime.name, kind.family)],
           "runner": native_webai.RUNNERS[spec.task], "spec": spec.to_dict(), "data": _data(reference, "path", str),
           "model_dir": str(artifact.model_dir)}
    if artifact.family == "image":  # each runtime's own file of the same weights
        entry, files = artifact.image_files(runtime.name)
        job["model_file"] = str(entry if runtime.name != "pytorch" else artifact.model_dir)
    elif runtime.name == "onnxruntime":
        onnx = await made_onnx_type(kind, artifact) if kind.quantised else artifact.onnx_file
        job["model_file"], files = str(onnx), {f"onnx/{onnx.name}": onnx.stat().st_size}
    elif runtime.name in GGUF_RUNTIMES:
        gguf = await made_gguf(kind, artifact)
        job["model_file"], files = str(gguf), {gguf.name: gguf.stat().st_size}
    else:
        files = {name: (artifact.model_dir / name).stat().st_size for name in ("config.json", "model.safetensors")}
    prepared = _prepared(job, artifact, reference, files, kind)
    prepared.info.update(runtime=runtime.name, runtime_version=runtime.version(), threads_requested=spec.threads)
    return prepared


def unsupported_reason(spec: Spec, kind: WebAIKind, runtime: str) -> str:
    """'' when this framework or native runtime runs this RQ4 kind, else why not."""
    return webai_kinds.unsupported_reason(kind, spec.framework, runtime)


def merge_visits(cold: dict, warm: dict) -> dict:
    """One replicate's reply from its two visits: the cold visit's load and first inference, the
    warm visit's everything else; both visits' outputs are checked (models/webai/checks.py)."""
    metrics = {k: v for k, v in warm["metrics"].items() if k not in COLD_METRICS}
    metrics.update({k: cold["metrics"][k] for k in COLD_METRICS if k in cold["metrics"]})
    info = {**warm["info"], "cold_visit": cold["info"]}
    sampling = {**warm["sampling"], "cold_visit_ms": cold["sampling"].get("harness_ms")}
    return {**warm, "metrics": metrics, "info": info, "sampling": sampling,
            "warmup_output": cold["warmup_output"], "cold_outputs": cold["outputs"]}
