"""A converted kind's Keras model in ONNX, for ONNX Runtime Web and for PyTorch (native/torch_graph.py),
in a subprocess of its own (`python -m webdlbench.models.torch_graph_maker`, a JSON job on stdin;
models/artifacts.py starts it): the tf_keras file the TF.js converter saved beside its own files is
wrapped in a tf.function and converted by tf2onnx (as RQ4's image classifier is). It writes

    onnx/model.onnx          the ONNX file (ONNX Runtime Web loads it)
    torch-graph/graph.json   the same graph as a pack that needs only numpy and torch to run (the lent
                             GPU machine has neither TensorFlow nor onnx): the inputs, outputs and
                             nodes in execution order (op type, input and output names, attributes),
                             which ONNX value each weight is, the op types used, the converter
    torch-graph/weights.npz  every initializer (and Constant node) as a numpy array, under w0, w1, ...

A failure is written to failure.json with the converter's own words (the spec's outcome).
"""
from __future__ import annotations

import collections
import json
import os
import sys
import time
import traceback
from pathlib import Path

import numpy as np

OPSET = 17  # as RQ4's image classifier (models/webai/image.py)
GRAPH_FILE, WEIGHTS_FILE = "graph.json", "weights.npz"
ONNX_FOLDER, ONNX_FILE, GRAPH_FOLDER = "onnx", "model.onnx", "torch-graph"


def main() -> int:
    job = json.loads(sys.stdin.read())
    out = Path(job["out"])
    try:
        make(Path(job["keras_file"]), job["input_shape"], out)
    except Exception as exc:  # the converter's own words are the outcome; stderr keeps the trace
        traceback.print_exc()
        (out / "failure.json").write_text(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
    return 0


def make(keras_file: Path, input_shape: list[int], out: Path) -> None:
    # tf2onnx deep-copies the whole graph, weights and all, before each of its ONNX optimizer passes
    # so that a pass that raises can be skipped: VGG16's 138 M weights took that past the 24 GiB of a
    # 2-core test machine (killed, out of memory); without the copies its peak was 22 GiB and every
    # Keras application converted to the same graph. A pass that raises now fails the conversion,
    # with its words, as the spec's outcome.
    os.environ.setdefault("TF2ONNX_CATCH_ERRORS", "FALSE")
    import tensorflow as tf
    import tf2onnx
    import tf_keras

    started = time.perf_counter()
    model = tf_keras.models.load_model(str(keras_file), compile=False)
    signature = [tf.TensorSpec([1, *input_shape], tf.float32, name="input")]
    serve = tf.function(lambda x: model(x, training=False), input_signature=signature)
    (out / ONNX_FOLDER).mkdir()
    proto, _ = tf2onnx.convert.from_function(serve, input_signature=signature, opset=OPSET,
                                             output_path=str(out / ONNX_FOLDER / ONNX_FILE))
    (out / GRAPH_FOLDER).mkdir()
    pack(proto, out / GRAPH_FOLDER, f"tf2onnx {tf2onnx.__version__} (from_function, opset {OPSET}) from the tf_keras "
                                    f"file, TensorFlow {tf.__version__}", time.perf_counter() - started)


def pack(proto, out: Path, made_by: str, seconds: float = 0.0) -> dict:
    """Write the ONNX model `proto` as graph.json + weights.npz into `out`; the graph's facts."""
    from onnx import helper, numpy_helper

    arrays: dict[str, np.ndarray] = {init.name: numpy_helper.to_array(init) for init in proto.graph.initializer}
    nodes = []
    for node in proto.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Constant":  # a weight like any other
            arrays[node.output[0]] = numpy_helper.to_array(attrs["value"])
            continue
        nodes.append({"op": node.op_type, "inputs": list(node.input), "outputs": list(node.output),
                      "attrs": {k: _plain(v) for k, v in attrs.items()}})
    keys = {name: f"w{i}" for i, name in enumerate(arrays)}
    np.savez(out / WEIGHTS_FILE, **{keys[name]: array for name, array in arrays.items()})
    weight_names = set(arrays)
    graph = {"inputs": [i.name for i in proto.graph.input if i.name not in weight_names],
             "outputs": [o.name for o in proto.graph.output], "nodes": nodes, "weights": keys,
             "op_types": dict(collections.Counter(n["op"] for n in nodes)), "made_by": made_by,
             "parameters": int(sum(a.size for a in arrays.values())), "seconds": seconds}
    (out / GRAPH_FILE).write_text(json.dumps(graph))
    return graph


def _plain(value):
    """An attribute as JSON: bytes as text, numbers and lists as they are."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (int, float, str)):
        return value
    raise ValueError(f"an ONNX attribute of type {type(value).__name__} cannot be packed")


if __name__ == "__main__":
    sys.exit(main())
