"""A user's own model in a suite (`model = "file:PATH"`, models/user_models.py): what is read from the
file, and every mistake refused when the suite is read — exit 2, one line naming the file and the
fix, nothing written. (Running such models for real: tests/e2e/test_user_models_run.py.)"""
import json

import numpy as np
import pytest

from tests.conftest import run_cli
from tests.user_model_files import suite, write_onnx
from webdlbench.errors import UserError
from webdlbench.grid import load_suite
from webdlbench.models import kinds, user_models

ONNX_GRID = 'model = "file:{name}"\nframework = "{framework}"\nbackend = "{backend}"\nruntime = "{runtime}"\n'


def onnx_suite(tmp_path, name="tiny.onnx", framework="onnxruntime_web", backend="wasm", runtime="browser",
               extra=""):
    return suite(tmp_path / "suite.toml", [ONNX_GRID.format(name=name, framework=framework, backend=backend,
                                                            runtime=runtime) + extra])


def refused(tmp_path, suite_path) -> str:
    """Run the suite for real: it must exit 2 with one line, and write no store."""
    store = tmp_path / "results" / "store.sqlite"
    done = run_cli("run", suite_path, "--store", store, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not store.parent.exists()  # nothing written, not even the store's folder
    return done.stderr


def test_an_onnx_file_is_read_its_symbolic_batch_is_one_and_depth_width_are_one(tmp_path):
    write_onnx(tmp_path / "tiny.onnx")
    specs = load_suite(str(onnx_suite(tmp_path))).specs
    assert [s.model for s in specs] == [f"file:{tmp_path / 'tiny.onnx'}"]  # relative to the suite's folder
    spec = specs[0]
    assert (spec.depth, spec.width, spec.batch) == (1, 1, 1) and spec.label == "onnxruntime_web/wasm infer tiny.onnx"
    model = user_models.inspect(spec.model)
    assert (model.format, model.input_name, model.input_shape) == ("onnx", "x", (1, 3, 8, 8))
    kind = kinds.get(spec.model)
    assert kind.browser_frameworks == ("onnxruntime_web",) and kind.native_runtimes == ("onnxruntime",)
    assert kind.tasks == ("infer",) and kind.reference == "onnxruntime"
    assert (kind.output_atol, kind.output_rtol) == (kinds.CONVERTED_ATOL, kinds.CONVERTED_RTOL)


def test_the_suite_fills_symbolic_dimensions_and_names_them_in_the_id(tmp_path):
    write_onnx(tmp_path / "open.onnx", input_dims=["N", 3, "H", "W"])
    message = refused(tmp_path, onnx_suite(tmp_path, name="open.onnx"))
    assert "open.onnx: input 'x' is [?, 3, ?, ?], with symbolic dimensions" in message
    assert "input_shape = [1, 3, 224, 224]" in message
    specs = load_suite(str(onnx_suite(tmp_path, name="open.onnx", extra="input_shape = [1, 3, 16, 12]\n"))).specs
    assert specs[0].model.endswith("open.onnx|shape=1x3x16x12")
    assert user_models.inspect(specs[0].model).input_shape == (1, 3, 16, 12)
    assert specs[0].label == "onnxruntime_web/wasm infer open.onnx 1x3x16x12"
    message = refused(tmp_path, onnx_suite(tmp_path, name="open.onnx", extra="input_shape = [1, 4, 16, 12]\n"))
    assert "does not fit" in message and "[?, 3, ?, ?]" in message


def test_a_npy_of_inputs_gives_the_shape_and_must_fit(tmp_path):
    write_onnx(tmp_path / "open.onnx", input_dims=["N", 3, "H", "W"])
    np.save(tmp_path / "x.npy", np.zeros((2, 1, 3, 5, 5), np.float32))
    specs = load_suite(str(onnx_suite(tmp_path, name="open.onnx", extra='inputs = "x.npy"\n'))).specs
    assert user_models.inspect(specs[0].model).input_shape == (1, 3, 5, 5)
    assert specs[0].model.endswith(f"inputs={tmp_path / 'x.npy'}")
    in_defaults = suite(tmp_path / "defaults.toml", [ONNX_GRID.format(name="open.onnx", framework="onnxruntime",
                                                                     backend="cpu", runtime="native")],
                        defaults='inputs = "x.npy"\n')  # [defaults] may hold it too
    assert load_suite(str(in_defaults)).specs[0].model == specs[0].model
    (tmp_path / "bad.npy").write_text("not numpy")
    assert "cannot be read as .npy" in refused(tmp_path, onnx_suite(tmp_path, name="open.onnx",
                                                                     extra='inputs = "bad.npy"\n'))


@pytest.mark.parametrize("name, make, words", [
    ("missing.onnx", None, "missing.onnx cannot be read (No such file or directory)"),
    ("folder.onnx", lambda p: p.mkdir(), "folder.onnx is not a file"),
    ("text.onnx", lambda p: p.write_text("hello, not a model"), "text.onnx is not an ONNX model"),
    ("empty.onnx", lambda p: p.write_bytes(b""), "empty.onnx is not an ONNX model"),
])
def test_a_missing_or_unreadable_or_non_onnx_file_is_refused(tmp_path, name, make, words):
    if make:
        make(tmp_path / name)
    message = refused(tmp_path, onnx_suite(tmp_path, name=name))
    assert words in message and "grid #1" in message
    assert "give" in message  # and the fix


@pytest.mark.parametrize("text, words", [
    ("not json at all", "is not a TF.js model.json (not JSON"),
    (json.dumps({"name": "some other json"}), "is not a TF.js model.json (no modelTopology and weightsManifest)"),
    (json.dumps({"format": "graph-model", "modelTopology": {"node": []}, "weightsManifest": []}),
     "is a TF.js graph model"),
    (json.dumps({"format": "layers-model", "weightsManifest": [{"paths": ["gone.bin"], "weights": []}],
                 "modelTopology": {"model_config": {"class_name": "Sequential", "config": {"layers": [
                     {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32"}}]}}}}),
     "weight file gone.bin is missing beside it"),
])
def test_a_json_that_is_not_a_tfjs_layers_model_is_refused(tmp_path, text, words):
    (tmp_path / "model.json").write_text(text)
    grid = 'model = "file:model.json"\nframework = "tfjs"\nbackend = "cpu"\n'
    assert words in refused(tmp_path, suite(tmp_path / "suite.toml", [grid]))


def test_an_input_that_is_not_float32_is_refused(tmp_path):
    write_onnx(tmp_path / "ids.onnx", input_type=7)  # INT64, as token ids are
    message = refused(tmp_path, onnx_suite(tmp_path, name="ids.onnx"))
    assert "input 'x' is INT64; webdlbench feeds float32 inputs only" in message
    grid = hand_written_model_json(tmp_path, dtype="int32")
    message = refused(tmp_path, suite(tmp_path / "suite.toml", [grid]))
    assert "the input layer is int32; webdlbench feeds float32 inputs only" in message


@pytest.mark.parametrize("framework, backend, runtime, words", [
    ("tfjs", "wasm", "browser", 'tiny.onnx is an ONNX file, which browser framework tfjs cannot load: '
                                'use framework = "onnxruntime_web"'),
    ("tensorflow", "cpu", "native", 'which native framework tensorflow cannot load: use framework = "onnxruntime"'),
])
def test_a_framework_that_cannot_load_the_format_is_refused(tmp_path, framework, backend, runtime, words):
    write_onnx(tmp_path / "tiny.onnx")
    assert words in refused(tmp_path, onnx_suite(tmp_path, framework=framework, backend=backend, runtime=runtime))


def hand_written_model_json(folder, dtype="float32") -> str:
    """A TF.js Layers model.json of one input layer and no weights: enough to read, never to run."""
    (folder / "model.json").write_text(json.dumps({"format": "layers-model", "weightsManifest": [],
        "modelTopology": {"model_config": {"class_name": "Sequential", "config": {"layers": [
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": dtype}}]}}}}))
    return 'model = "file:model.json"\nframework = "tfjs"\nbackend = "cpu"\n'


def test_training_a_file_and_giving_it_a_depth_are_refused(tmp_path):
    grid = hand_written_model_json(tmp_path)
    (tmp_path / "train.toml").write_text("[[grid]]\ntask = \"train\"\n" + grid)
    with pytest.raises(UserError, match="model.json can only infer"):
        load_suite(str(tmp_path / "train.toml"))
    assert user_models.inspect(load_suite(str(suite(tmp_path / "ok.toml", [grid]))).specs[0].model).input_shape == (1, 4)
    write_onnx(tmp_path / "tiny.onnx")
    with pytest.raises(UserError, match="depth = 3 means nothing for a file: model"):
        load_suite(str(onnx_suite(tmp_path, extra="depth = 3\n")))
    with pytest.raises(UserError, match="input_shape applies to a file: model only"):
        load_suite(str(suite(tmp_path / "mlp.toml", ['framework = "tfjs"\nbackend = "cpu"\ndepth = 1\nwidth = 8\n'
                                                     'input_shape = [1, 784]\n'])))


def test_native_tensorflow_needs_the_keras_file_or_saved_model_beside_a_model_json(tmp_path):
    grid = hand_written_model_json(tmp_path).replace('"tfjs"', '"tensorflow"').replace('"cpu"', '"cpu"\nruntime = "native"')
    message = refused(tmp_path, suite(tmp_path / "suite.toml", [grid]))
    assert "native tensorflow needs the model model.json came from" in message and ".keras" in message
    (tmp_path / "model.keras").write_bytes(b"")  # found beside it: the suite is accepted
    assert user_models.inspect(load_suite(str(tmp_path / "suite.toml")).specs[0].model).native_file == tmp_path / "model.keras"


def test_the_verdict_and_labels_show_the_file_name_never_its_path(tmp_path):
    model = user_models.model_id(tmp_path / "nets" / "resnet.onnx", (1, 3, 32, 32))
    assert user_models.display_name(model) == "resnet.onnx 1x3x32x32"
    assert user_models.display_name(user_models.model_id(tmp_path / "mine" / "model.json")) == "mine/model.json"
    assert user_models.parse_id(model) == (tmp_path / "nets" / "resnet.onnx", (1, 3, 32, 32), None)
