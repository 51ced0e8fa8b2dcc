"""The converting subprocess: `python -m webdlbench.models.tfjs_converter` reads one job (JSON) on
stdin and makes one model artifact (see artifacts.py) in the job's `out` folder.

The official TF.js converter (PyPI `tensorflowjs` 4.22.0, installed with --no-deps: its declared
dependencies pull a second TensorFlow, jax, flax and ydf) imports three modules it does not need to
convert a Keras model: `tensorflow_decision_forests`, `tensorflow_hub` and its own
`tensorflowjs.converters.jax_conversion`. Empty stand-ins for them are put into `sys.modules` here,
in this process only, just before the converter is imported (docs/ENVIRONMENT.md). Nothing else
ever imports tensorflowjs, so no stand-in reaches the harness or a measured process.

Steps, each of whose failure is written verbatim to `failure.json` (the parent records it as the
spec's outcome): build the tf_keras model with seeded weights (keras_models.py); make the reference
inputs; compute TensorFlow's outputs for them (batch 1, float32, inference mode); save the model
with tf_keras (`keras/model.keras`); convert it with `tensorflowjs.converters.save_keras_model`
(`tfjs/`); count parameters and FLOPs; write `manifest.json` last.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
import traceback
import types
from pathlib import Path

import numpy as np

# What the converter imports but a Keras conversion never uses (see the module's docstring).
STAND_INS = ("tensorflow_decision_forests", "tensorflow_hub", "tensorflowjs.converters.jax_conversion")
# matplotlib ships this photo (Grace Hopper, public domain) in its sample data: a real image, offline.
PHOTO = "grace_hopper.jpg"


def install_stand_ins() -> None:
    for name in STAND_INS:
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__doc__ = "webdlbench stand-in: not needed to convert a Keras model"
            sys.modules[name] = module
    sys.modules["tensorflowjs.converters.jax_conversion"].convert_jax = _no_jax


def _no_jax(*args, **kwargs):
    raise RuntimeError("JAX conversion is not available in webdlbench's converting process")


def photo_inputs(side: int, count: int) -> np.ndarray:
    """`count` views of the photo (whole, centre square, top-left, mirrored centre) at side x side,
    RGB uint8-valued float32 [count, side, side, 3], before the application's preprocessing."""
    import matplotlib.cbook
    from PIL import Image, ImageOps

    with matplotlib.cbook.get_sample_data(PHOTO, asfileobj=True) as handle:
        image = Image.open(handle).convert("RGB")
        image.load()
    w, h = image.size
    s = min(w, h)
    centre = image.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
    views = [image, centre, image.crop((0, 0, 3 * s // 4, 3 * s // 4)), ImageOps.mirror(centre)]
    views = (views * ((count + len(views) - 1) // len(views)))[:count]
    resized = [np.asarray(v.resize((side, side), Image.BILINEAR), dtype=np.float32) for v in views]
    return np.stack(resized)


def reference_inputs(job: dict) -> np.ndarray:
    if job["data"] == "mnist":
        from webdlbench.models import mnist
        return mnist.reference_inputs().reshape(-1, *job["input_shape"]).astype(np.float32)
    if job["data"] == "text":
        from webdlbench.models import corpus
        return corpus.reference_inputs()
    from webdlbench.models import keras_models
    raw = photo_inputs(job["width"], job["image_reference_count"])
    return keras_models.preprocess(job["kind"].split(":", 1)[1], raw)


def make_artifact(job: dict, out: Path) -> dict:
    stage = "building the tf_keras model"
    try:
        import tensorflow as tf
        from webdlbench.models import keras_models

        started = time.perf_counter()
        model = keras_models.build(job["kind"], job["depth"], job["width"], job["seed"],
                                   tuple(job["input_shape"]), job["classes"])
        built_s = time.perf_counter() - started
        if list(model.input_shape[1:]) != job["input_shape"] or model.output_shape[-1] != job["classes"]:
            raise ValueError(f"model has input {model.input_shape} and output {model.output_shape}, "
                             f"expected {job['input_shape']} -> {job['classes']}")

        stage = "computing TensorFlow's reference outputs"
        inputs = reference_inputs(job).astype("<f4")
        serve = tf.function(lambda x: model(x, training=False))
        outputs = np.concatenate([serve(tf.constant(inputs[i:i + 1])).numpy() for i in range(len(inputs))])
        if not np.all(np.isfinite(outputs)):
            raise ValueError("TensorFlow's outputs for the reference inputs are not finite")

        stage = "saving the model with tf_keras"
        (out / "keras").mkdir(parents=True)
        model.save(str(out / "keras" / "model.keras"))

        stage = "converting with the TF.js converter (tensorflowjs.converters.save_keras_model)"
        install_stand_ins()
        try:
            import tensorflowjs
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError(f"{exc}: install the converter with `pip install --no-deps "
                                      f"tensorflowjs==4.22.0` (`make setup` does)") from None
        started = time.perf_counter()
        tensorflowjs.converters.save_keras_model(model, str(out / "tfjs"))
        converted_s = time.perf_counter() - started

        stage = "counting parameters and FLOPs"
        facts = keras_models.parameter_counts(model)
        try:
            facts["flops"] = keras_models.inference_flops(model)
        except Exception as exc:  # a missing count must not lose a model that converted
            facts["flops"] = None
            facts["flops_error"] = f"{type(exc).__name__}: {exc}"
        facts["flops_method"] = keras_models.FLOPS_METHOD
        if job["kind"] == "lstm":  # the profiler sees the time loop once (see LSTM_FLOPS_METHOD)
            facts["flops_profiler"] = facts["flops"]
            facts["flops"] = keras_models.lstm_inference_flops(model)
            facts["flops_method"] = keras_models.LSTM_FLOPS_METHOD
    except Exception as exc:
        traceback.print_exc()
        return {"error": f"{stage} failed: {type(exc).__name__}: {exc}".strip()}

    (out / "inputs.f32").write_bytes(inputs.tobytes())
    (out / "reference.f32").write_bytes(outputs.astype("<f4").tobytes())
    files, digests = {}, {}
    for part in ("tfjs", "keras"):
        files[part] = {p.name: p.stat().st_size for p in sorted((out / part).iterdir()) if p.is_file()}
        digests[part] = {name: _sha256(out / part / name) for name in files[part]}
    from webdlbench.models.artifacts import versions
    manifest = {
        "kind": job["kind"], "depth": job["depth"], "width": job["width"], "seed": job["seed"],
        "input_shape": job["input_shape"], "classes": job["classes"], "reference_count": len(inputs),
        "facts": facts, "files": files, "sha256": digests, "versions": versions(),
        "seconds": {"build": round(built_s, 2), "convert": round(converted_s, 2)},
        "made_at": time.time(),
    }
    if job["data"] == "text":
        from webdlbench.models import corpus
        manifest["data"] = corpus.describe()
    elif job["data"] == "image":
        manifest["data"] = {"photo": f"matplotlib sample data {PHOTO}",
                            "views": "whole, centre square, top-left 3/4, mirrored centre; bilinear resize; "
                                     "the application's preprocess_input"}
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> int:
    job = json.loads(sys.stdin.read())
    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    result = make_artifact(job, out)
    if "error" in result:
        (out / "failure.json").write_text(json.dumps(result))
        return 0
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(out / "manifest.json")  # written last: its presence means the artifact is whole
    return 0


if __name__ == "__main__":
    sys.exit(main())
