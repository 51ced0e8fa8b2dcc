"""The ONNX writer: models built with onnx.helper from our weights compute the numpy reference."""
import base64

import numpy as np
import onnx
import onnxruntime
import pytest

from webdlbench.frameworks import onnxruntime_web
from webdlbench.frameworks.onnxruntime_web import writer as onnx_writer
from webdlbench.models import mlp, mnist


def _run(model: onnx.ModelProto, feeds: dict) -> list:
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


@pytest.mark.parametrize("depth, width", [(1, 16), (3, 32)])
def test_written_model_equals_the_numpy_reference(tmp_path, depth, width):
    layers = mlp.make_weights(depth, width, seed=4)
    onnx_writer.write_model(layers, tmp_path / "m")
    model = onnx.load(tmp_path / "m" / onnx_writer.MODEL_FILE)
    onnx.checker.check_model(model, full_check=True)
    x = mnist.reference_inputs()
    (got,) = _run(model, {onnx_writer.INPUT_NAME: x})
    want = mlp.forward(layers, x)
    assert got.shape == want.shape == (len(x), 10)
    assert np.max(np.abs(got - want)) < 1e-5
    ops = [node.op_type for node in model.graph.node]
    assert ops.count("MatMul") == ops.count("Add") == depth + 1
    assert ops.count("Relu") == depth and ops[-1] == "Softmax"


def test_weights_are_stored_exactly_and_the_batch_dimension_is_free():
    layers = mlp.make_weights(2, 8, seed=1)
    model = onnx_writer.build_mlp(layers)
    stored = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    for i, (kernel, bias) in enumerate(layers):
        assert np.array_equal(stored[f"dense_{i}/kernel"], kernel) and np.array_equal(stored[f"dense_{i}/bias"], bias)
    assert model.ir_version == onnx_writer.IR_VERSION and model.opset_import[0].version == onnx_writer.OPSET
    (one,) = _run(model, {"input": mnist.reference_inputs()[:1]})
    assert one.shape == (1, 10)


def test_mismatched_layers_are_refused():
    kernel = np.zeros((784, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="do not fit"):
        onnx_writer.build_mlp([(kernel, np.zeros(5, dtype=np.float32))])
    with pytest.raises(ValueError):
        onnx_writer.build_mlp([])


def test_the_adapter_init_model_is_the_writers():
    # The framework module embeds the serialized init model so the CLI need not import onnx.
    assert onnxruntime_web.INIT_MODEL_B64 == base64.b64encode(onnx_writer.init_model().SerializeToString()).decode()
    (y,) = _run(onnx_writer.init_model(), {"x": np.array([3.0], dtype=np.float32)})
    assert y.tolist() == [3.0]


def test_probe_models_run_one_per_network_type():
    models = onnx_writer.probe_models()
    assert set(models) == {"DNN", "CNN", "RNN"}
    expected = {"DNN": (1, 3), "CNN": (1, 2, 2, 2), "RNN": (2, 1, 1, 4)}
    ops = {"DNN": "Gemm", "CNN": "Conv", "RNN": "LSTM"}
    for kind, (model, shape) in models.items():
        (y,) = _run(model, {"x": np.full(shape, 0.5, dtype=np.float32)})
        assert y.shape == expected[kind] and np.isfinite(y).all()
        assert ops[kind] in [n.op_type for n in model.graph.node]
