"""The Keras.js model writer: the package's own schema, our weights in, the same weights out."""
import ast
import json
import shutil
import subprocess

import numpy as np
import pytest
from google.protobuf import descriptor_pb2

from webdlbench.frameworks.kerasjs import writer as kerasjs_writer
from webdlbench.models import mlp
from webdlbench.paths import NODE_MODULES

KERASJS = NODE_MODULES / "keras-js"


def shipped_schema() -> descriptor_pb2.FileDescriptorProto:
    """The FileDescriptorProto serialized inside the package's generated model_pb2.py (read, not run)."""
    tree = ast.parse((KERASJS / "python" / "model_pb2.py").read_text())
    literal = next(ast.literal_eval(node.value.args[0]) for node in ast.walk(tree)
                   if isinstance(node, ast.keyword) and node.arg == "serialized_pb")
    return descriptor_pb2.FileDescriptorProto.FromString(literal.encode("latin1"))


@pytest.mark.skipif(not (KERASJS / "python" / "model_pb2.py").is_file(), reason="keras-js not installed (npm ci)")
def test_schema_is_the_one_keras_js_ships():
    assert kerasjs_writer.schema() == shipped_schema()


def test_weights_round_trip_with_keras_names_and_shapes():
    layers = mlp.make_weights(2, 8, seed=5)
    model = kerasjs_writer.decode(kerasjs_writer.encode(layers))
    assert model.keras_version == "2.1.2" and model.backend == "tensorflow"
    assert [(w.layer_name, w.weight_name, list(w.shape), w.type) for w in model.model_weights] == [
        ("dense_1", "dense_1/kernel:0", [784, 8], "float32"), ("dense_1", "dense_1/bias:0", [8], "float32"),
        ("dense_2", "dense_2/kernel:0", [8, 8], "float32"), ("dense_2", "dense_2/bias:0", [8], "float32"),
        ("dense_3", "dense_3/kernel:0", [8, 10], "float32"), ("dense_3", "dense_3/bias:0", [10], "float32"),
    ]
    back = kerasjs_writer.weights_of(model)
    assert all(np.array_equal(a, b) for pair, got in zip(layers, back) for a, b in zip(pair, got))


def test_config_is_a_keras_2_sequential_list_of_dense_layers():
    layers = mlp.make_weights(2, 8, seed=5)
    config = json.loads(kerasjs_writer.decode(kerasjs_writer.encode(layers)).model_config)
    assert config["class_name"] == "Sequential" and isinstance(config["config"], list)
    dense = [layer["config"] for layer in config["config"]]
    assert all(layer["class_name"] == "Dense" for layer in config["config"])
    assert dense[0]["batch_input_shape"] == [None, 784] and "batch_input_shape" not in dense[1]
    assert [(d["name"], d["units"], d["activation"], d["use_bias"]) for d in dense] == [
        ("dense_1", 8, "relu", True), ("dense_2", 8, "relu", True), ("dense_3", 10, "softmax", True)]


def test_same_weights_same_bytes_other_weights_other_id(tmp_path):
    a = kerasjs_writer.encode(mlp.make_weights(1, 4, seed=1))
    assert a == kerasjs_writer.encode(mlp.make_weights(1, 4, seed=1))
    other = kerasjs_writer.encode(mlp.make_weights(1, 4, seed=2))
    assert kerasjs_writer.decode(a).id != kerasjs_writer.decode(other).id
    kerasjs_writer.write_model(mlp.make_weights(1, 4, seed=1), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [kerasjs_writer.MODEL_FILE]
    assert (tmp_path / kerasjs_writer.MODEL_FILE).read_bytes() == a


# Decodes a file with Keras.js's own generated decoder (lib/proto.js) and copies each weight's bytes
# the way Model._createLayer does before viewing them as float32.
NODE_DECODE = """
const proto = require(process.argv[1]).default;
const buffer = require('fs').readFileSync(process.argv[2]);
const model = proto.Model.decode(buffer);
const weights = model.modelWeights.map((w) => {
  const copy = new Uint8Array(w.data.byteLength);
  copy.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
  return { name: w.weightName, layer: w.layerName, shape: w.shape, type: w.type,
           values: Array.from(new Float32Array(copy.buffer)) };
});
console.log(JSON.stringify({ keras_version: model.kerasVersion, config: JSON.parse(model.modelConfig), weights }));
"""


@pytest.mark.skipif(shutil.which("node") is None or not (KERASJS / "lib" / "proto.js").is_file(),
                    reason="needs node and keras-js (npm ci)")
def test_keras_js_own_decoder_reads_our_file(tmp_path):
    layers = mlp.make_weights(1, 4, seed=7)
    kerasjs_writer.write_model(layers, tmp_path)
    done = subprocess.run(["node", "-e", NODE_DECODE, str(KERASJS / "lib" / "proto.js"),
                           str(tmp_path / kerasjs_writer.MODEL_FILE)],
                          capture_output=True, text=True, timeout=60, cwd=NODE_MODULES.parent)
    assert done.returncode == 0, done.stderr
    decoded = json.loads(done.stdout)
    assert decoded["keras_version"] == "2.1.2" and decoded["config"]["class_name"] == "Sequential"
    expected = [a for pair in layers for a in pair]
    assert [w["shape"] for w in decoded["weights"]] == [list(a.shape) for a in expected]
    for got, want in zip(decoded["weights"], expected):
        assert got["type"] == "float32"
        assert np.array_equal(np.asarray(got["values"], dtype=np.float32), want.ravel())
