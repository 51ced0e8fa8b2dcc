"""A Keras application's ONNX graph run by PyTorch op by op (native/torch_graph.py), from the pack
models/torch_graph_maker.py writes: small ONNX graphs built with onnx.helper, packed and run, their
outputs against ONNX Runtime's on the same graph; an operator the runner lacks refuses the model by
name. (The real MobileNetV2 through the whole native path, against TensorFlow's outputs:
tests/e2e/test_keras_models.py, in pretrained-quick.)"""
import numpy as np
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from webdlbench.models import kinds
from webdlbench.models.torch_graph_maker import pack
from webdlbench.native.torch_graph import TorchGraph, UnsupportedOperators

RNG = np.random.default_rng(0)
# PyTorch runs here (seconds to import): the native lane; imported inside so the fast lane never loads it.
pytestmark = pytest.mark.native


def _weight(name, *shape):
    return numpy_helper.from_array(RNG.normal(size=shape).astype(np.float32), name)


def _model(nodes, inputs, output_shape, weights):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, inputs)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, output_shape)], weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _run_both(tmp_path, model, x):
    pack(model, tmp_path, "onnx.helper (test)")
    import torch
    ours = TorchGraph(tmp_path, torch, "cpu")(x).numpy()
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return ours, session.run(None, {"x": x})[0]


def test_a_keras_like_convolution_block_equals_onnx_runtime(tmp_path):
    # NHWC in (as tf2onnx leaves a Keras model), asymmetric 'same' padding, depthwise conv, ReLU6,
    # pooling with uncounted padding, a residual Add, global pooling, Gemm and Softmax.
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["t", "w1", "b1"], ["c1"], pads=[0, 0, 1, 1], strides=[2, 2], kernel_shape=[3, 3]),
        helper.make_node("Clip", ["c1", "lo", "hi"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[1, 1, 1, 1], group=4, kernel_shape=[3, 3]),
        helper.make_node("Add", ["c2", "r1"], ["a"]),
        helper.make_node("AveragePool", ["a"], ["p"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=0),
        helper.make_node("MaxPool", ["p"], ["m"], kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 1, 1]),
        helper.make_node("GlobalAveragePool", ["m"], ["g"]),
        helper.make_node("Squeeze", ["g", "axes"], ["s"]),
        helper.make_node("Gemm", ["s", "w3", "b3"], ["z"], transB=1),
        helper.make_node("Softmax", ["z"], ["y"], axis=1),
    ]
    weights = [_weight("w1", 4, 3, 3, 3), _weight("b1", 4), _weight("w2", 4, 1, 3, 3), _weight("w3", 5, 4),
               _weight("b3", 5), numpy_helper.from_array(np.array(0, np.float32), "lo"),
               numpy_helper.from_array(np.array(6, np.float32), "hi"),
               numpy_helper.from_array(np.array([2, 3], np.int64), "axes")]
    x = RNG.normal(size=(1, 9, 9, 3)).astype(np.float32)
    ours, ort = _run_both(tmp_path, _model(nodes, [1, 9, 9, 3], [1, 5], weights), x)
    assert ours.shape == ort.shape == (1, 5)
    np.testing.assert_allclose(ours, ort, rtol=1e-5, atol=1e-7)


def test_padding_slice_reshape_concat_and_batch_norm_equal_onnx_runtime(tmp_path):
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["p"]),
        helper.make_node("BatchNormalization", ["p", "scale", "bias", "mean", "var"], ["n"], epsilon=1e-3),
        helper.make_node("Relu", ["n"], ["r"]),
        helper.make_node("Concat", ["r", "n"], ["c"], axis=1),
        helper.make_node("Slice", ["c", "starts", "ends", "slice_axes"], ["sl"]),  # NASNet's crop
        helper.make_node("Reshape", ["sl", "shape"], ["f"]),
        helper.make_node("MatMul", ["f", "w"], ["y"]),
    ]
    variance = numpy_helper.from_array(RNG.uniform(0.5, 2, size=2).astype(np.float32), "var")
    weights = [numpy_helper.from_array(np.array([0, 0, 1, 0, 0, 0, 1, 2], np.int64), "pads"), _weight("scale", 2),
               _weight("bias", 2), _weight("mean", 2), variance,
               numpy_helper.from_array(np.array([1, -1], np.int64), "shape"), _weight("w", 4 * 5 * 5, 3),
               numpy_helper.from_array(np.array([1, 1], np.int64), "starts"),
               numpy_helper.from_array(np.array([9223372036854775807, 9223372036854775807], np.int64), "ends"),
               numpy_helper.from_array(np.array([2, 3], np.int64), "slice_axes")]
    x = RNG.normal(size=(1, 2, 4, 4)).astype(np.float32)
    ours, ort = _run_both(tmp_path, _model(nodes, [1, 2, 4, 4], [1, 3], weights), x)
    np.testing.assert_allclose(ours, ort, rtol=1e-4, atol=1e-5)


def test_an_operator_the_runner_lacks_refuses_the_model_by_name(tmp_path):
    model = _model([helper.make_node("LpNormalization", ["x"], ["y"])], [1, 4], [1, 4], [])
    pack(model, tmp_path, "onnx.helper (test)")
    import torch
    with pytest.raises(UnsupportedOperators, match="the PyTorch graph runner has no LpNormalization"):
        TorchGraph(tmp_path, torch, "cpu")


def test_keras_applications_run_natively_on_pytorch_too():
    assert kinds.get("keras:ResNet50").native_runtimes == ("tensorflow", "pytorch")
    assert kinds.get("cnn").native_runtimes == ("tensorflow",)  # trained too: TensorFlow alone
    assert "no pytorch definition" not in kinds.unsupported_reason(kinds.get("keras:VGG16"), "pytorch", "native")
