"""The paper's fully connected network (§4.1): seeded weights and a numpy reference forward pass.

784 inputs, `depth` hidden ReLU layers of `width` units, 10 softmax outputs. The same weights
feed every framework; the numpy pass is the reference every framework's outputs are checked against.
"""
from __future__ import annotations

import hashlib

import numpy as np

INPUTS = 784
CLASSES = 10
# Biases are small but non-zero so that a framework that drops them fails the output check.
BIAS_SCALE = 0.05


def layer_shapes(depth: int, width: int) -> list[tuple[int, int]]:
    sizes = [INPUTS] + [width] * depth + [CLASSES]
    return list(zip(sizes[:-1], sizes[1:]))


def forward_flops(depth: int, width: int, samples: int = 1) -> int:
    """FLOPs of a forward pass of `samples` inputs: 2 per multiply-add of every Dense layer's
    product (analysis/peak.py states the rule)."""
    return 2 * samples * sum(fan_in * fan_out for fan_in, fan_out in layer_shapes(depth, width))


def make_weights(depth: int, width: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """He-normal kernels [in, out] and uniform biases, float32, reproducible from the seed."""
    rng = np.random.default_rng([seed, depth, width])
    layers = []
    for fan_in, fan_out in layer_shapes(depth, width):
        kernel = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out)).astype(np.float32)
        bias = rng.uniform(-BIAS_SCALE, BIAS_SCALE, size=fan_out).astype(np.float32)
        layers.append((kernel, bias))
    return layers


def weights_blob(layers) -> bytes:
    """Little-endian float32: kernel 0 (row-major [in][out]), bias 0, kernel 1, bias 1, ..."""
    return b"".join(np.ascontiguousarray(a, dtype="<f4").tobytes() for pair in layers for a in pair)


def weights_key(depth: int, width: int, seed: int) -> str:
    blob = weights_blob(make_weights(depth, width, seed))
    return f"mlp-{depth}x{width}-s{seed}-{hashlib.sha256(blob).hexdigest()[:12]}"


def forward(layers, x: np.ndarray) -> np.ndarray:
    """Reference outputs (softmax probabilities) for inputs x [n, 784], computed in float64."""
    h = np.asarray(x, dtype=np.float64)
    for i, (kernel, bias) in enumerate(layers):
        h = h @ kernel.astype(np.float64) + bias.astype(np.float64)
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    h = h - h.max(axis=1, keepdims=True)
    e = np.exp(h)
    return e / e.sum(axis=1, keepdims=True)
