"""ONNX models from our weights, built with onnx's helper API (no exporter, no framework).

The MLP is MatMul + Add (+ Relu) per layer and a Softmax on the last axis: the same function as
`mlp.forward`, with the same float32 weights. Tiny probe models (Gemm, Conv, LSTM) let the survey
ask ONNX Runtime Web which network types it actually runs.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Opset 17 / IR 8: every operator used here is stable since long before, and ONNX Runtime (web
# and native) of the last years loads it; newer IR versions gain nothing for an MLP.
OPSET = 17
IR_VERSION = 8
MODEL_FILE = "model.onnx"
INPUT_NAME, OUTPUT_NAME = "input", "output"
PRODUCER = "webdlbench"


def _model(graph: onnx.GraphProto) -> onnx.ModelProto:
    model = helper.make_model(graph, producer_name=PRODUCER, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def build_mlp(layers) -> onnx.ModelProto:
    """784 -> hidden ReLU layers -> softmax, from [(kernel [in, out], bias [out]), ...]."""
    if not layers:
        raise ValueError("an MLP needs at least one layer")
    nodes, initializers = [], []
    current = INPUT_NAME
    for i, (kernel, bias) in enumerate(layers):
        kernel = np.ascontiguousarray(kernel, dtype=np.float32)
        bias = np.ascontiguousarray(bias, dtype=np.float32)
        if kernel.ndim != 2 or bias.shape != (kernel.shape[1],):
            raise ValueError(f"layer {i}: kernel {kernel.shape} and bias {bias.shape} do not fit together")
        initializers += [numpy_helper.from_array(kernel, f"dense_{i}/kernel"),
                         numpy_helper.from_array(bias, f"dense_{i}/bias")]
        nodes += [helper.make_node("MatMul", [current, f"dense_{i}/kernel"], [f"dense_{i}/matmul"], name=f"dense_{i}/MatMul"),
                  helper.make_node("Add", [f"dense_{i}/matmul", f"dense_{i}/bias"], [f"dense_{i}/add"], name=f"dense_{i}/Add")]
        current = f"dense_{i}/add"
        if i < len(layers) - 1:
            nodes.append(helper.make_node("Relu", [current], [f"dense_{i}/relu"], name=f"dense_{i}/Relu"))
            current = f"dense_{i}/relu"
    nodes.append(helper.make_node("Softmax", [current], [OUTPUT_NAME], name="softmax", axis=-1))
    inputs = [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["batch", int(layers[0][0].shape[0])])]
    outputs = [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["batch", int(layers[-1][0].shape[1])])]
    return _model(helper.make_graph(nodes, "webdlbench_mlp", inputs, outputs, initializers))


def write_model(layers, folder: Path) -> None:
    """The Framework.write_model hook: folder/model.onnx from the same weights as every framework."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MODEL_FILE).write_bytes(build_mlp(layers).SerializeToString())


def init_model() -> onnx.ModelProto:
    """The smallest model (Identity on float[1]): creating a session from it starts the runtime."""
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "webdlbench_init",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    return _model(graph)


def probe_models() -> dict[str, tuple[onnx.ModelProto, list[int]]]:
    """One tiny model per network type, {type: (model, input shape)}; input "x", output "y"."""
    rng = np.random.default_rng(0)

    def weight(name, *shape):
        return numpy_helper.from_array(rng.normal(0, 0.1, size=shape).astype(np.float32), name)

    def graph(name, nodes, x_shape, y_shape, inits):
        return helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], inits)

    dnn = graph("probe_dnn", [helper.make_node("Gemm", ["x", "w", "b"], ["h"]), helper.make_node("Relu", ["h"], ["y"])],
                [1, 4], [1, 3], [weight("w", 4, 3), weight("b", 3)])
    cnn = graph("probe_cnn", [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
                              helper.make_node("MaxPool", ["c"], ["y"], kernel_shape=[2, 2], strides=[2, 2])],
                [1, 1, 4, 4], [1, 2, 2, 2], [weight("w", 2, 1, 3, 3)])
    # LSTM: seq 2, batch 1, input 3, hidden 4; y = Y [seq, directions, batch, hidden].
    rnn = graph("probe_rnn", [helper.make_node("LSTM", ["x", "w", "r"], ["y"], hidden_size=4)],
                [2, 1, 3], [2, 1, 1, 4], [weight("w", 1, 16, 3), weight("r", 1, 16, 4)])
    return {"DNN": (_model(dnn), [1, 4]), "CNN": (_model(cnn), [1, 1, 4, 4]), "RNN": (_model(rnn), [2, 1, 3])}
