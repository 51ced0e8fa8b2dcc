"""Making an RQ4 image classifier, inside build.py's subprocess: its files for every runtime that
runs it and the reference outputs every runtime's must equal (within the kind's tolerance).

* image:MobileNetV2 — keras:MobileNetV2's architecture from its own builder and seed
  (models/keras_models.py: tf_keras.applications.MobileNetV2(weights=None), seeded, biases and
  BatchNorm parameters perturbed), with one step more: every BatchNorm layer's moving mean and
  variance are re-estimated, layer by layer, on the reference images (CALIBRATION). As built, the
  random network forgets its input — the outputs of four different photos differ by 1e-10, less
  than float32's differences between runtimes — so no output check could tell the right image from
  a wrong one; with its statistics re-estimated (what a trained network's BatchNorm holds) the
  outputs of two photos differ by ~1e-3, a thousand times the tolerance. The Keras model is then
  saved (`keras/model.keras`) and written, from the same weights, by
    the TF.js converter (`tensorflowjs.converters.save_keras_model`)   -> tfjs/
    tf2onnx (`tf2onnx.convert.from_function`, ONNX opset ONNX_OPSET)   -> onnx/model.onnx
    TensorFlow's TFLite converter (`from_concrete_functions`, float32) -> model.tflite
  the last two from one traced function of batch 1 (what a page runs), so TF.js, ONNX Runtime Web,
  LiteRT.js and native TensorFlow, ONNX Runtime and TFLite all run the same weights. Inputs: four
  views of the real photo the Keras applications use, with MobileNetV2's preprocess_input, NHWC;
  reference: Keras's softmax outputs (tf.function, batch 1).
* image:ViT-tiny — transformers' ViTForImageClassification with ViT-Tiny's geometry and seeded
  random weights (no hub here), saved as transformers does with its image processor's config, and
  exported by optimum's ONNX exporter (task image-classification, validated against PyTorch by the
  exporter). Inputs: the same four photo views at 224 px through ViTImageProcessor (NCHW);
  reference: PyTorch's logits.

Each conversion is run once here on the reference inputs and its largest difference from the
reference recorded (`conversion_max_abs_error`): a fact of the files, not the runtimes' check.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from webdlbench.models.tfjs_converter import PHOTO, photo_inputs

ONNX_OPSET = 17  # ONNX Runtime Web 1.30's wasm and WebGPU execution providers cover it
CLASSES = 1000   # ImageNet's head, as keras.applications and ViT's published checkpoints
REFERENCE_FOLDER = "ref"
# ViT's image processor: resize to the side, rescale to [0, 1], normalise with mean = std = 0.5
# (google/vit-base-patch16-224's preprocessor_config.json).
VIT_MEAN_STD = 0.5


def make_model(kind, job: dict, out: Path) -> dict:
    """The model's files into out/model and its reference into out/ref; the facts."""
    (out / REFERENCE_FOLDER).mkdir(parents=True)
    if kind.keras_kind:
        return _keras(kind, job, out)
    return _vit(kind, job, out)


def _save_reference(out: Path, inputs: np.ndarray, outputs: np.ndarray, source: str, layout: str) -> None:
    """inputs.f32 [count, *shape] and reference.f32 [count, classes], float32 little-endian."""
    folder = out / REFERENCE_FOLDER
    inputs.astype("<f4").tofile(folder / "inputs.f32")
    outputs.astype("<f4").tofile(folder / "reference.f32")
    per_input = outputs.reshape(len(outputs), -1).astype(np.float64)
    gaps = [float(np.max(np.abs(per_input[i] - per_input[j])))
            for i in range(len(per_input)) for j in range(i + 1, len(per_input))]
    (folder / "reference.json").write_text(json.dumps({
        "count": int(len(inputs)), "shape": [1, *inputs.shape[1:]], "layout": layout, "hidden": int(per_input.shape[1]),
        "source": source, "images": f"matplotlib's sample photo ({PHOTO}): whole, centre square, top-left 3/4, "
                                    "mirrored centre; bilinear resize to the input side",
        # How far apart the reference outputs of two different images are: the check's tolerance
        # is far below this, so an output of the wrong image fails it.
        "cross_input_min_max_abs": min(gaps) if gaps else None}))


def calibrate_batch_norm(model, images: np.ndarray) -> int:
    """Every BatchNormalization layer's moving mean and variance set, in order, to the statistics of
    its input over `images` (the layers before it already re-estimated); how many layers."""
    import tf_keras

    layers = [layer for layer in model.layers if isinstance(layer, tf_keras.layers.BatchNormalization)]
    inputs_of = tf_keras.Model(model.input, [layer.input for layer in layers])
    for i, layer in enumerate(layers):
        seen = inputs_of(images, training=False)[i].numpy()
        gamma, beta, _, _ = layer.get_weights()
        axes = tuple(range(seen.ndim - 1))  # all but the channels
        layer.set_weights([gamma, beta, seen.mean(axes), seen.var(axes)])
    return len(layers)


def _keras(kind, job: dict, out: Path) -> dict:
    import tensorflow as tf

    from webdlbench.models import keras_models
    from webdlbench.models.tfjs_converter import install_stand_ins

    side, name = job["width"], kind.keras_kind.split(":", 1)[1]
    folder = out / "model"
    folder.mkdir()
    model = keras_models.build(kind.keras_kind, 1, side, job["seed"], (side, side, 3), CLASSES)
    inputs = keras_models.preprocess(name, photo_inputs(side, job["reference_count"]))
    started = time.perf_counter()
    calibrated = calibrate_batch_norm(model, inputs)
    calibrate_s = time.perf_counter() - started
    shape = [1, side, side, 3]
    signature = [tf.TensorSpec(shape, tf.float32, name="input")]
    serve = tf.function(lambda x: model(x, training=False), input_signature=signature)
    reference = np.concatenate([serve(tf.constant(inputs[i:i + 1])).numpy() for i in range(len(inputs))])

    (folder / "keras").mkdir()
    model.save(str(folder / "keras" / "model.keras"))
    install_stand_ins()  # what the TF.js converter imports but never uses (models/tfjs_converter.py)
    import tensorflowjs

    tensorflowjs.converters.save_keras_model(model, str(folder / "tfjs"))
    started = time.perf_counter()
    import tf2onnx

    (folder / "onnx").mkdir()
    tf2onnx.convert.from_function(serve, input_signature=signature, opset=ONNX_OPSET,
                                  output_path=str(folder / "onnx" / "model.onnx"))
    onnx_s = time.perf_counter() - started
    started = time.perf_counter()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()], model)
    (folder / "model.tflite").write_bytes(converter.convert())
    tflite_s = time.perf_counter() - started

    _save_reference(out, inputs, reference, "tensorflow fp32 (tf_keras, tf.function, batch 1)", "NHWC")
    return {**keras_models.parameter_counts(model), "built_as": kind.keras_kind, "input_shape": shape,
            "classes": CLASSES, "batch_norm_layers_calibrated": calibrated, "calibrate_s": calibrate_s,
            "exporter": f"tensorflowjs {tensorflowjs.__version__} (save_keras_model); tf2onnx {tf2onnx.__version__} "
                        f"(from_function, opset {ONNX_OPSET}); TensorFlow {tf.__version__} TFLiteConverter "
                        "(from_concrete_functions, float32)",
            "conversion_max_abs_error": {"onnx": _onnx_error(folder / "onnx" / "model.onnx", inputs, reference),
                                         "tflite": _tflite_error(folder / "model.tflite", inputs, reference)},
            "onnx_s": onnx_s, "tflite_s": tflite_s,
            "file_bytes": {name: _size(folder / name) for name in ("keras", "tfjs", "onnx/model.onnx", "model.tflite")}}


def _vit(kind, job: dict, out: Path) -> dict:
    import torch
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    from webdlbench.models.webai.exporters import export_into, onnx_opset

    geometry, side = kind.geometry, job["width"]
    folder = out / "model"
    torch.manual_seed(job["seed"])
    config = ViTConfig(hidden_size=geometry.hidden, num_hidden_layers=geometry.layers,
                       num_attention_heads=geometry.heads, intermediate_size=geometry.intermediate, image_size=side,
                       patch_size=16, num_channels=3, num_labels=CLASSES)
    model = ViTForImageClassification(config).eval()
    model.save_pretrained(folder)
    processor = ViTImageProcessor(size={"height": side, "width": side}, image_mean=[VIT_MEAN_STD] * 3,
                                  image_std=[VIT_MEAN_STD] * 3)
    processor.save_pretrained(folder)
    started = time.perf_counter()
    export_into(folder, out, "image-classification")
    export_s = time.perf_counter() - started

    views = photo_inputs(side, job["reference_count"]).astype(np.uint8)
    inputs = processor(images=list(views), return_tensors="np")["pixel_values"].astype(np.float32)
    torch.set_num_threads(1)
    with torch.inference_mode():
        logits = np.concatenate([model(pixel_values=torch.from_numpy(inputs[i:i + 1])).logits.numpy()
                                 for i in range(len(inputs))])
    _save_reference(out, inputs, logits, "pytorch fp32 (transformers ViTForImageClassification logits)", "NCHW")
    return {"parameters": int(sum(p.numel() for p in model.parameters())), "layers": geometry.layers,
            "hidden": geometry.hidden, "heads": geometry.heads, "intermediate": geometry.intermediate,
            "patch": 16, "input_shape": [1, 3, side, side], "classes": CLASSES,
            "exporter": "optimum.exporters.onnx (task image-classification)",
            "onnx_opset": onnx_opset(folder / "onnx" / "model.onnx"),
            "conversion_max_abs_error": {"onnx": _onnx_error(folder / "onnx" / "model.onnx", inputs, logits)},
            "export_s": export_s, "file_bytes": {name: _size(folder / name) for name in ("model.safetensors", "onnx/model.onnx")}}


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def _onnx_error(path: Path, inputs: np.ndarray, reference: np.ndarray) -> float:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    got = np.concatenate([session.run(None, {name: inputs[i:i + 1]})[0] for i in range(len(inputs))])
    return float(np.max(np.abs(got - reference)))


def _tflite_error(path: Path, inputs: np.ndarray, reference: np.ndarray) -> float:
    # TensorFlow's own interpreter: TensorFlow is loaded in this process already, and LiteRT's
    # (ai-edge-litert, what native TFLite runs: native/webai_image.py) carries a second TFLite.
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    given, taken = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]
    rows = []
    for i in range(len(inputs)):
        interpreter.set_tensor(given, inputs[i:i + 1])
        interpreter.invoke()
        rows.append(interpreter.get_tensor(taken).copy())
    return float(np.max(np.abs(np.concatenate(rows) - reference)))
