"""RQ4's image classifiers (models/webai/image.py) without a browser or a native runtime: their kinds
in suites and the errors a bad suite gets (in-process and from the CLI, exit 2), the output check
(shown to fail on the wrong image, a wrong layout and a short output), each runtime's file, the
work that orders sizes and the crossover kept per task."""
import re

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run_cli
from webdlbench import contract, frameworks, native
from webdlbench.analysis import today
from webdlbench.errors import UserError
from webdlbench.grid import expand, load_suite
from webdlbench.models import kinds
from webdlbench.models.webai import artifacts, checks
from webdlbench.models.webai.kinds import KINDS as WEBAI_KINDS, unsupported_reason
from webdlbench.spec import HEADLINE, TASKS

MOBILENET, VIT = "image:MobileNetV2", "image:ViT-tiny"


def grid(**fields):
    base = {"framework": "litertjs", "backend": "wasm", "task": "classify", "model": MOBILENET}
    return {"grid": [{**base, **fields}]}


def test_the_image_classifiers_are_model_kinds_with_their_runtimes():
    mobilenet, vit = kinds.get(MOBILENET), kinds.get(VIT)
    assert mobilenet.keras_kind == "keras:MobileNetV2" and mobilenet.keras_kind in kinds.KINDS
    assert mobilenet.browser_frameworks == ("tfjs", "onnxruntime_web", "litertjs")
    assert mobilenet.native_runtimes == ("tensorflow", "onnxruntime", "tflite") and mobilenet.reference == "tensorflow"
    assert vit.browser_frameworks == ("transformersjs", "onnxruntime_web") and vit.native_runtimes == ("pytorch", "onnxruntime")
    g = vit.geometry
    assert (g.layers, g.hidden, g.heads, g.intermediate) == (12, 192, 3, 768) and vit.reference == "pytorch"
    # ~1.25 G multiply-adds at 224 px (DeiT-Ti's published 1.3 GFLOPs), above MobileNetV2's 0.3 G.
    assert 1.2e9 < vit.work(224) < 1.3e9 and mobilenet.work(224) == 3e8
    assert "classify" in TASKS and HEADLINE["classify"] == "infer_ms"
    assert contract.required_methods("classify") == ["version", "init", "loadClassifier", "classify", "backendUsed"]
    assert frameworks.FRAMEWORKS["litertjs"].tasks() == {"classify"}
    assert set(frameworks.FRAMEWORKS["litertjs"].backends) == {"wasm", "webgpu"}
    assert native.RUNTIMES["tflite"].backends == {"cpu": ("classify",)}
    for runtime in ("tensorflow", "onnxruntime", "pytorch"):
        assert "classify" in native.RUNTIMES[runtime].backends["cpu"], runtime


def test_suites_take_the_input_side_as_width():
    spec, = expand(grid(width=96))
    assert (spec.depth, spec.width, spec.batch, spec.threads) == (1, 96, 1, 1)
    vit, = expand(grid(framework="transformersjs", model=VIT))
    assert (vit.depth, vit.width) == (12, 224)  # ViT's one side, filled in


@pytest.mark.parametrize("fields, words", [
    ({"model": VIT, "width": 96}, "needs width >= 224"),
    ({"model": VIT, "width": 384}, "image:ViT-tiny takes at most 224 pixels"),
    ({"backend": "webnn"}, "litertjs has no backend 'webnn'; it has wasm, webgpu"),
    ({"task": "embed"}, "litertjs/wasm cannot embed; exclude that combination"),
    ({"framework": "onnxruntime_web", "task": "embed"}, "model image:MobileNetV2 cannot embed"),
    ({"model": "image:ResNet"}, "unknown model 'image:ResNet'; models are mlp, cnn"),
    ({"framework": "litert"}, "unknown browser framework 'litert'; known: .*litertjs"),
])
def test_bad_image_suites_name_the_field_and_the_fix(fields, words):
    with pytest.raises(UserError, match=words):
        expand(grid(**fields))


@pytest.mark.parametrize("line, words", [
    ('framework = "litert"', "unknown browser framework 'litert'; known:"),
    ('backend = "webgl"', "litertjs has no backend 'webgl'; it has wasm, webgpu"),
    ('model = "image:VGG"', "unknown model 'image:VGG'; models are"),
    ('runtime = "native"\nframework = "tflite"\nbackend = "gpu"', "tflite has no backend 'gpu'; it has cpu"),
])
def test_the_cli_refuses_a_bad_image_suite_with_exit_2_and_one_line(tmp_path, line, words):
    fields = {"framework": '"litertjs"', "backend": '"wasm"', "task": '"classify"', "model": f'"{MOBILENET}"'}
    for given in line.splitlines():
        key, value = given.split(" = ")
        fields[key] = value
    suite = tmp_path / "bad.toml"
    suite.write_text('name = "bad"\n[[grid]]\n' + "".join(f"{k} = {v}\n" for k, v in fields.items()))
    store = tmp_path / "bad.sqlite"
    done = run_cli("run", suite, "--store", store, timeout=120)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr and not store.exists()


def test_only_the_image_runtimes_run_the_image_classifiers():
    mobilenet, vit = WEBAI_KINDS[MOBILENET], WEBAI_KINDS[VIT]
    assert unsupported_reason(mobilenet, "litertjs", "browser") == "" and unsupported_reason(mobilenet, "tflite", "native") == ""
    said = unsupported_reason(mobilenet, "transformersjs", "browser")
    assert "transformersjs does not run the MobileNetV2" in said and "tfjs, onnxruntime_web, litertjs" in said
    said = unsupported_reason(vit, "litertjs", "browser")
    assert "transformers model exported to ONNX" in said and "transformersjs, onnxruntime_web (browser)" in said
    assert "tflite does not run" in unsupported_reason(vit, "tflite", "native")


def test_the_image_grid_is_in_web_ai():
    full = load_suite("web-ai")
    images = [s for s in full.specs if s.task == "classify"]
    assert {(s.runtime, s.framework) for s in images if s.model == MOBILENET} == {
        ("browser", "tfjs"), ("browser", "onnxruntime_web"), ("browser", "litertjs"),
        ("native", "tensorflow"), ("native", "onnxruntime"), ("native", "tflite")}
    assert {(s.runtime, s.framework) for s in images if s.model == VIT} == {
        ("browser", "transformersjs"), ("browser", "onnxruntime_web"), ("native", "pytorch"), ("native", "onnxruntime")}
    assert {s.backend for s in images if s.runtime == "browser"} == {"wasm", "webgpu"}
    assert {s.width for s in images if s.model == MOBILENET} == {96, 224} and {s.threads for s in images} == {1, 2}


def _reply(outputs, cold_outputs=None, first=None):
    return {"outputs": [list(map(float, r)) for r in outputs],
            "cold_outputs": [list(map(float, r)) for r in (outputs if cold_outputs is None else cold_outputs)],
            "warmup_output": list(map(float, (outputs[0] if first is None else first)))}


def _softmax_reference(rows=4, classes=1000, seed=0):
    """Near-uniform softmax outputs, as a randomly initialised MobileNetV2's (~1e-3 each)."""
    logits = np.random.default_rng(seed).normal(scale=0.3, size=(rows, classes))
    e = np.exp(logits)
    return (e / e.sum(1, keepdims=True)).astype(np.float32).astype(np.float64)


def test_the_class_check_passes_within_the_tolerance_and_fails_beyond_it():
    kind = WEBAI_KINDS[MOBILENET]
    reference = _softmax_reference()
    close = reference * (1 + 2e-5)  # float32 reordering: well within 1e-6 + 1e-3 x |reference|
    ok = checks.check_classes([_reply(close), _reply(close)], reference, kind)
    assert ok["passed"] and ok["top1_agrees"] and ok["images_checked"] == 2 * 9 and ok["replicates_checked"] == 2
    assert ok["max_abs_error"] < 1e-6 and (ok["atol"], ok["rtol"]) == (1e-6, 1e-3)
    # Another image's outputs, only on the cold visit: a failure naming the class and image.
    wrong = checks.check_classes([_reply(close, cold_outputs=reference[[1, 0, 3, 2]])], reference, kind)
    assert not wrong["passed"] and re.search(r"class \d+ of image \d is", wrong["reason"]) and "tolerance 1e-06 + 0.001" in wrong["reason"]
    # NHWC read as NCHW, say: the same numbers in another order.
    layout = checks.check_classes([_reply(reference[:, ::-1])], reference, kind)
    assert not layout["passed"]
    short = checks.check_classes([_reply(reference[:, :10])], reference, kind)
    assert not short["passed"] and "lengths [10]" in short["reason"]
    nothing = {"outputs": [], "cold_outputs": [], "warmup_output": []}
    assert not checks.check_classes([nothing], reference, kind)["passed"]
    # NaN compares false with any tolerance: an output with one fails by its own rule.
    broken = close.copy()
    broken[3, 7] = np.inf
    check = checks.check_classes([_reply(close, first=broken[3])], reference, kind)
    assert not check["passed"] and "image 0 has inf at position 7" in check["reason"], check


def test_the_vit_tolerance_takes_float32_noise_on_logits_and_not_more():
    kind = WEBAI_KINDS[VIT]
    logits = np.random.default_rng(1).normal(scale=0.3, size=(4, 1000))
    assert checks.check_classes([_reply(logits + 5e-6)], logits, kind)["passed"]
    assert not checks.check_classes([_reply(logits + 5e-3)], logits, kind)["passed"]


def test_each_runtime_gets_its_own_file_of_the_same_weights(tmp_path):
    model = tmp_path / "model"
    for name, size in {"tfjs/model.json": 10, "tfjs/group1-shard1of1.bin": 90, "keras/model.keras": 100,
                       "onnx/model.onnx": 120, "model.tflite": 110}.items():
        (model / name).parent.mkdir(parents=True, exist_ok=True)
        (model / name).write_bytes(b"x" * size)
    artifact = artifacts.Artifact(tmp_path, "models/webai/x", {"family": "image", "facts": {}, "versions": {}})
    entry, files = artifact.image_files("tfjs")
    assert entry == model / "tfjs" / "model.json" and files == {"tfjs/group1-shard1of1.bin": 90, "tfjs/model.json": 10}
    assert artifact.image_files("litertjs") == (model / "model.tflite", {"model.tflite": 110})
    assert artifact.image_files("tflite")[0] == artifact.image_files("litertjs")[0]  # the same file natively
    assert artifact.image_files("onnxruntime")[0] == artifact.image_files("onnxruntime_web")[0]
    assert artifact.image_files("tensorflow")[1] == {"keras/model.keras": 100}


def test_image_artifacts_are_cached_per_input_side_and_seed():
    kind = WEBAI_KINDS[MOBILENET]
    keys = {artifacts.artifact_key(kind, seed, width) for width, seed in ((96, 0), (224, 0), (224, 1))}
    assert len(keys) == 3 and all(k.startswith("image-mobilenetv2-") for k in keys)
    assert "-96px-s0-" in artifacts.artifact_key(kind, 0, 96)
    encoder = WEBAI_KINDS["encoder:bert-tiny"]  # the encoders' keys are not per width
    assert artifacts.artifact_key(encoder, 0) == artifacts.artifact_key(encoder, 0, 96)


def _summary(rows):
    """A summary and its replicates: rows of (framework, backend, task, model, width, replicate medians)."""
    summary, replicates = [], []
    for i, (framework, backend, task, model, width, values) in enumerate(rows):
        spec_hash = f"h{i}"
        summary.append({"spec_hash": spec_hash, "runtime": "browser", "framework": framework, "backend": backend,
                        "task": task, "model": model, "depth": 1, "width": width, "seed": 0, "threads": 1,
                        "metric": "infer_ms", "outcome": "ok", "n": len(values), "median": float(np.median(values))})
        replicates += [{"spec_hash": spec_hash, "metric": "infer_ms", "replicate": r, "value": v}
                       for r, v in enumerate(values)]
    return pd.DataFrame(summary), pd.DataFrame(replicates)


def test_the_crossover_is_kept_per_task():
    rows = [("onnxruntime_web", "wasm", "classify", MOBILENET, 96, [10.0, 10.2, 9.9]),
            ("onnxruntime_web", "webgpu", "classify", MOBILENET, 96, [20.0, 20.5, 19.8]),
            ("onnxruntime_web", "wasm", "classify", MOBILENET, 224, [60.0, 61.0, 59.5]),
            ("onnxruntime_web", "webgpu", "classify", MOBILENET, 224, [30.0, 30.4, 29.9]),
            ("onnxruntime_web", "wasm", "embed", "encoder:bert-tiny", 16, [1.0, 1.02, 0.99]),
            ("onnxruntime_web", "webgpu", "embed", "encoder:bert-tiny", 16, [5.0, 5.1, 4.9])]
    summary, replicates = _summary(rows)
    table, verdicts = today.crossover(summary, replicates, task="classify")
    assert list(table["width"]) == [96, 224] and set(table["model"]) == {MOBILENET}
    assert verdicts["onnxruntime_web"]["crossover"] == {"model": MOBILENET, "width": 224}
    _, embed = today.crossover(summary, replicates, task="embed")
    assert embed["onnxruntime_web"]["crossover"] is None and embed["onnxruntime_web"]["configurations"] == 1
    _, everything = today.crossover(summary, replicates)  # no task: every configuration in one order
    assert everything["onnxruntime_web"]["configurations"] == 3
