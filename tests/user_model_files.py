"""Small model files of the kinds a user brings (`model = "file:PATH"`), made in the tests: an ONNX
conv net written with onnx.helper, and a TF.js Layers model.json converted by the official TF.js
converter from a tf_keras model (in its own process, as models/tfjs_converter.py runs it)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

ONNX_INPUT = ["N", 3, 8, 8]  # a symbolic batch: webdlbench feeds one sample
CLASSES = 10


def write_onnx(path: Path, input_dims=ONNX_INPUT, input_type: int = 1, custom_op: bool = False) -> Path:
    """A tiny conv net (Conv 3x3, Relu, global pool, Gemm, Softmax) as it would come from
    torch.onnx.export: input x [N, 3, 8, 8] float32 -> y [N, 10]. `input_type` is its input's ONNX
    element type (1: float32); `custom_op` puts an operator no runtime knows after the Relu."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    weights = {"W": rng.normal(0, 0.3, (4, 3, 3, 3)), "B": rng.normal(0, 0.1, 4),
               "G": rng.normal(0, 0.3, (4, CLASSES)), "C": rng.normal(0, 0.1, CLASSES)}
    relu_out = "r0" if custom_op else "r"
    nodes = [helper.make_node("Conv", ["x", "W", "B"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                              strides=[1, 1], dilations=[1, 1]),
             helper.make_node("Relu", ["c"], [relu_out])]
    if custom_op:
        nodes.append(helper.make_node("Frobnicate", ["r0"], ["r"], domain="com.example.webdlbench"))
    nodes += [helper.make_node("GlobalAveragePool", ["r"], ["p"]), helper.make_node("Flatten", ["p"], ["f"]),
              helper.make_node("Gemm", ["f", "G", "C"], ["logits"]),
              helper.make_node("Softmax", ["logits"], ["y"], axis=1)]
    graph = helper.make_graph(
        nodes, "tiny_conv", [helper.make_tensor_value_info("x", input_type, input_dims)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [input_dims[0], CLASSES])],
        initializer=[numpy_helper.from_array(a.astype(np.float32), name) for name, a in weights.items()])
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid("com.example.webdlbench", 1)] if custom_op else [])
    model = helper.make_model(graph, opset_imports=opsets, producer_name="webdlbench tests")
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


TFJS_SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    import tf_keras as keras
    from webdlbench.models.tfjs_converter import install_stand_ins

    out, beside = Path(sys.argv[1]), sys.argv[2]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(8, 8, 3)),
                              keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
                              keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(10, activation="softmax")])
    if beside == "keras":
        model.save(str(out / "model.keras"))
    elif beside == "saved_model":
        model.save(str(out / "saved"), save_format="tf")
    install_stand_ins()
    import tensorflowjs
    tensorflowjs.converters.save_keras_model(model, str(out))
""")


def write_tfjs(folder: Path, beside: str = "keras") -> Path:
    """A tiny conv net [1, 8, 8, 3] -> 10 as a TF.js Layers model.json with its shard, converted from
    a tf_keras model saved beside it (`beside`: "keras", model.keras; "saved_model", a SavedModel
    folder saved/; "none"); the model.json's path."""
    folder.mkdir(parents=True, exist_ok=True)
    root = str(Path(__file__).resolve().parent.parent)
    done = subprocess.run([sys.executable, "-c", TFJS_SCRIPT, str(folder), beside],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": root, "TF_CPP_MIN_LOG_LEVEL": "2",
                               "CUDA_VISIBLE_DEVICES": ""})
    assert done.returncode == 0, done.stderr[-3000:]
    return folder / "model.json"


def suite(path: Path, grids: list[str], defaults: str = "") -> Path:
    """A suite file of small budgets with the given [[grid]] bodies."""
    text = ("name = \"own-model\"\n[defaults]\nsamples = 5\nreplicates = 2\nmax_replicates = 2\n"
            "time_budget_s = 10\nsample_time_s = 0.2\n" + defaults)
    for grid in grids:
        text += "\n[[grid]]\ntask = \"infer\"\n" + textwrap.dedent(grid)
    path.write_text(text)
    return path
