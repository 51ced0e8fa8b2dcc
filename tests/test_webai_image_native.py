"""RQ4's image classifiers made for real (models/webai/image.py) — keras:MobileNetV2's weights
converted by tf2onnx and TensorFlow's TFLite converter, ViT-Tiny exported by optimum — and classified
natively in fresh worker processes (two loads per process, every output checked against the
reference), with what ran recorded."""
import asyncio

import pytest

from webdlbench.models import kinds
from webdlbench.runners.native import NativeRunner
from webdlbench.spec import Spec

pytestmark = pytest.mark.native


@pytest.fixture(scope="module")
def cache(artifacts_dir):
    return artifacts_dir / "web-ai" / "cache"  # shared with tests/e2e/test_webai_image.py: one build


def made(kind_name, width, cache):
    from webdlbench.models.webai import artifacts

    return asyncio.run(artifacts.ensure_image(kinds.get(kind_name), 0, width, cache))


def test_mobilenet_is_keras_mobilenetv2_in_four_formats_that_tell_images_apart(cache):
    artifact, reference = made("image:MobileNetV2", 96, cache)
    facts = artifact.facts()
    assert facts["built_as"] == "keras:MobileNetV2" and facts["batch_norm_layers_calibrated"] == 52
    assert facts["params_total"] == 3_538_984  # MobileNetV2's own count (alpha 1.0, 1,000 classes)
    for tool in ("tensorflowjs", "tf2onnx", "TFLiteConverter"):
        assert tool in facts["exporter"], tool
    for name in ("keras/model.keras", "tfjs/model.json", "onnx/model.onnx", "model.tflite"):
        assert (artifact.model_dir / name).is_file(), name
    # The conversions compute what Keras computes (the runtimes' checks ask the same of each result).
    assert facts["conversion_max_abs_error"]["onnx"] < 1e-6 and facts["conversion_max_abs_error"]["tflite"] < 1e-6
    meta = reference.facts()
    assert meta["shape"] == [1, 96, 96, 3] and meta["layout"] == "NHWC"
    # With its BatchNorm statistics re-estimated, two photos' outputs differ by far more than the
    # check's tolerance (as built, by 1e-10: image.py).
    assert meta["cross_input_min_max_abs"] > 1e-4 and reference.outputs().shape == (4, 1000)


def test_vit_tiny_has_its_geometry_and_optimums_export(cache):
    artifact, reference = made("image:ViT-tiny", 224, cache)
    facts = artifact.facts()
    assert (facts["layers"], facts["hidden"], facts["heads"], facts["patch"]) == (12, 192, 3, 16)
    assert 5e6 < facts["parameters"] < 6.5e6 and "optimum" in facts["exporter"] and facts["onnx_opset"] >= 17
    assert facts["conversion_max_abs_error"]["onnx"] < 1e-4
    assert reference.facts()["shape"] == [1, 3, 224, 224] and reference.outputs().shape == (4, 1000)
    assert (artifact.model_dir / "preprocessor_config.json").is_file()


@pytest.mark.parametrize("model, runtime, width", [
    ("image:MobileNetV2", "tflite", 96), ("image:MobileNetV2", "onnxruntime", 96), ("image:MobileNetV2", "tensorflow", 96),
    ("image:ViT-tiny", "pytorch", 224), ("image:ViT-tiny", "onnxruntime", 224)])
def test_native_runtimes_classify_the_same_images_and_pass_the_check(cache, model, runtime, width):
    kind = kinds.get(model)
    spec = Spec(framework=runtime, backend="cpu", task="classify", model=model, depth=kind.fixed_depth, width=width,
                runtime="native", batch=1, replicates=2, max_replicates=2, samples=3, sample_time_s=0.1,
                warmup=2, time_budget_s=5)
    result = asyncio.run(NativeRunner(cache).measure(spec))
    assert result.outcome == "ok", result.error
    assert result.checks["passed"] and result.checks["replicates_checked"] == 2 and result.checks["top1_agrees"]
    for metric in ("cold_load_ms", "first_infer_ms", "warm_load_ms", "warmup_ms", "infer_ms"):
        values, replicates = result.replicate_values(metric)
        assert values and all(v > 0 for v in values) and set(replicates) == {0, 1}, metric
    used = result.info["backend_used"]
    assert used["device"] == "cpu"
    if runtime == "tflite":
        assert used["runtime"].startswith("ai-edge-litert") and result.environment.get("ai_edge_litert_version")
