"""Pointing a spec's job at a user's own model (`model = "file:PATH"`): its artifact
(models/user_artifacts.py) gives the file a page or worker loads, the inputs both are fed and the
native runtime's reference outputs. Called by the browser and native runners' prepare()."""
from __future__ import annotations

from pathlib import Path

from webdlbench.errors import UserError
from webdlbench.models import user_artifacts, user_models
from webdlbench.models.user_artifacts import UserArtifact
from webdlbench.runners.skeleton import Failed, Prepared
from webdlbench.spec import Spec

NATIVE_ADAPTERS = {"onnxruntime": "webdlbench.native.user_files:OnnxFileAdapter",
                   "tensorflow": "webdlbench.native.user_files:TensorFlowFileAdapter"}


async def user_artifact(spec: Spec, cache_dir: Path) -> UserArtifact:
    """The spec's model made ready, or Failed with the file's problem or the runtime's own words."""
    try:
        model = user_models.inspect(spec.model)  # read again: the file may have changed since the suite was
        return await user_artifacts.ensure_user_artifact(model, spec.seed, cache_dir)
    except UserError as exc:
        raise Failed("error", str(exc)) from None
    except user_artifacts.UserArtifactError as exc:
        raise Failed(exc.outcome, str(exc)) from None


def _record(prepared: Prepared, artifact: UserArtifact, files: dict[str, int]) -> None:
    prepared.artifact, prepared.reference = artifact, artifact.reference_outputs
    prepared.reference_source = artifact.manifest["reference"]["computed_by"]
    prepared.info["model_facts"] = artifact.facts()
    prepared.model_files = files


async def prepare_page(prepared: Prepared, spec: Spec, cache_dir: Path) -> None:
    """A page's job: the model's URL, the whole input tensor's shape, the inputs to predict."""
    artifact = await user_artifact(spec, cache_dir)
    job, base = prepared.job, f"/data/{artifact.relative}"
    job["model_url"] = f"{base}/{artifact.entry}"
    shape = artifact.manifest["input_shape"]
    job["options"].update(tensor_shape=shape, input_shape=shape[1:], classes=artifact.manifest["output_size"])
    job["data"]["reference_inputs"] = {"url": f"{base}/inputs.f32", "count": artifact.manifest["reference_count"]}
    _record(prepared, artifact, artifact.page_files)


async def prepare_worker(prepared: Prepared, spec: Spec, cache_dir: Path) -> None:
    """A native worker's job: the user-file adapter of its runtime, the model's folder, the inputs."""
    artifact = await user_artifact(spec, cache_dir)
    job = prepared.job
    job["adapter"] = NATIVE_ADAPTERS[job["runtime"]]
    job["layers"] = None
    native = artifact.folder / ("native" if "native" in artifact.manifest["files"] else "model")
    job["model_dir"] = str(native)
    job["model_kind"] = {"name": spec.model, "classes": artifact.manifest["output_size"],
                         "reference_inputs": str(artifact.folder / "inputs.f32"),
                         "reference_count": artifact.manifest["reference_count"],
                         "input_shape": artifact.manifest["input_shape"]}
    _record(prepared, artifact, artifact.native_files)
