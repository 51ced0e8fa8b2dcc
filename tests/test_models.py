"""Seeded weights and the numpy reference forward pass."""
import numpy as np

from webdlbench.models import mlp, mnist


def test_weights_are_reproducible_and_shaped_like_the_paper_model():
    a = mlp.make_weights(2, 64, seed=0)
    b = mlp.make_weights(2, 64, seed=0)
    assert [k.shape for k, _ in a] == [(784, 64), (64, 64), (64, 10)]
    assert all(np.array_equal(x, y) for pa, pb in zip(a, b) for x, y in zip(pa, pb))
    assert mlp.weights_key(2, 64, 0) == mlp.weights_key(2, 64, 0) != mlp.weights_key(2, 64, 1)


def test_blob_holds_every_parameter_in_order():
    layers = mlp.make_weights(1, 8, seed=3)
    blob = np.frombuffer(mlp.weights_blob(layers), dtype="<f4")
    assert blob.size == 784 * 8 + 8 + 8 * 10 + 10
    assert np.array_equal(blob[:784 * 8].reshape(784, 8), layers[0][0])
    assert np.array_equal(blob[784 * 8:784 * 8 + 8], layers[0][1])


def test_forward_is_softmax_of_relu_layers():
    layers = mlp.make_weights(1, 4, seed=1)
    x = np.random.default_rng(0).random((2, 784))
    hidden = np.maximum(x @ layers[0][0] + layers[0][1], 0)
    logits = hidden @ layers[1][0] + layers[1][1]
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    out = mlp.forward(layers, x)
    assert np.allclose(out, expected, atol=1e-6) and np.allclose(out.sum(axis=1), 1)


def test_mnist_digits_are_real_and_split(tmp_path):
    x, y = mnist.load_digits()
    assert x.shape == (len(y), 784) and len(y) >= 10000 - 100
    assert set(np.unique(y)) == set(range(10)) and 0.0 <= x.min() and x.max() <= 1.0
    paths = mnist.write_data_files(tmp_path)
    assert paths["images"].stat().st_size == x.nbytes and paths["labels"].stat().st_size == len(y)
    assert np.array_equal(mnist.reference_inputs(), x[mnist.TRAIN_COUNT:mnist.TRAIN_COUNT + mnist.REFERENCE_COUNT])
