"""A converted kind's model (a Keras application) in PyTorch: the graph pack models/torch_graph_maker.py
wrote from its ONNX conversion, executed node by node in eager PyTorch — each ONNX operator one
torch / torch.nn.functional call on the chosen device — so the same weights the page loads run
natively on PyTorch's CPU or CUDA kernels, with nothing but numpy and torch installed (the lent GPU
machine has neither TensorFlow nor onnx). An operator missing from OPS refuses the model when it is
loaded, naming it: the spec's outcome, not a wrong number."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

GRAPH_FILE, WEIGHTS_FILE = "graph.json", "weights.npz"  # models/torch_graph_maker.py writes them


class UnsupportedOperators(Exception):
    pass


def _pads_2d(pads: list[int]) -> tuple[list[int], bool]:
    """ONNX's [h_begin, w_begin, h_end, w_end] as torch.nn.functional.pad's (w_left, w_right,
    h_top, h_bottom), and whether begin and end are equal (a convolution can pad itself)."""
    h0, w0, h1, w1 = pads
    return [w0, w1, h0, h1], (h0 == h1 and w0 == w1)


def _conv(t, F, x, w, b=None, pads=(0, 0, 0, 0), strides=(1, 1), dilations=(1, 1), group=1, **_):
    order, symmetric = _pads_2d(list(pads))
    if not symmetric:
        x = F.pad(x, order)
    return F.conv2d(x, w, b, stride=list(strides), padding=[pads[0], pads[1]] if symmetric else 0,
                    dilation=list(dilations), groups=group)


def _pool(t, F, x, op, kernel_shape, strides=None, pads=(0, 0, 0, 0), ceil_mode=0, count_include_pad=0, **_):
    strides = list(strides or [1] * len(kernel_shape))
    order, symmetric = _pads_2d(list(pads))
    if op == "MaxPool":
        if not symmetric:
            x = F.pad(x, order, value=-float("inf"))
        return F.max_pool2d(x, kernel_shape, strides, padding=[pads[0], pads[1]] if symmetric else 0,
                            ceil_mode=bool(ceil_mode))
    if symmetric and (count_include_pad or not any(pads)):
        return F.avg_pool2d(x, kernel_shape, strides, padding=[pads[0], pads[1]], ceil_mode=bool(ceil_mode),
                            count_include_pad=bool(count_include_pad))
    # Padding that is not counted, or not the same on both sides: the sum over the window's real values.
    ones = t.ones_like(x[:, :1])
    total = F.avg_pool2d(F.pad(x, order), kernel_shape, strides, ceil_mode=bool(ceil_mode), divisor_override=1)
    if count_include_pad:
        return total / float(np.prod(kernel_shape))
    counted = F.avg_pool2d(F.pad(ones, order), kernel_shape, strides, ceil_mode=bool(ceil_mode), divisor_override=1)
    return total / counted


def _pad(t, F, x, pads, value=None, mode="constant", **_):
    pads = [int(p) for p in pads.tolist()]
    rank = len(pads) // 2
    order = []
    for axis in reversed(range(rank)):  # torch pads the last axis first
        order += [pads[axis], pads[axis + rank]]
    fill = float(value.item()) if value is not None and value.numel() else 0.0
    return F.pad(x, order, mode=mode, value=fill) if mode == "constant" else F.pad(x, order, mode=mode)


def _reshape(t, F, x, shape, **_):
    wanted = [int(s) for s in shape.tolist()]
    return x.reshape([x.shape[i] if s == 0 else s for i, s in enumerate(wanted)])


def _gemm(t, F, a, b, c=None, alpha=1.0, beta=1.0, transA=0, transB=0, **_):
    y = alpha * t.matmul(a.T if transA else a, b.T if transB else b)
    return y + beta * c if c is not None else y


def _axes(axes) -> list[int]:
    """Axes given as an input tensor (newer opsets) or as an attribute list (older ones)."""
    return [int(a) for a in (axes.tolist() if hasattr(axes, "tolist") else axes)]


def _squeeze(t, F, x, axes=None, **_):
    if axes is None:  # every axis of size 1
        return x.squeeze()
    for axis in sorted((a % x.dim() for a in _axes(axes)), reverse=True):
        x = x.squeeze(axis)
    return x


def _unsqueeze(t, F, x, axes, **_):
    for axis in sorted(_axes(axes)):
        x = x.unsqueeze(axis)
    return x


def _slice(t, F, x, starts, ends, axes=None, steps=None, **_):
    starts, ends = _axes(starts), _axes(ends)
    axes = _axes(axes) if axes is not None else list(range(len(starts)))
    steps = _axes(steps) if steps is not None else [1] * len(starts)
    index = [slice(None)] * x.dim()
    for start, end, axis, step in zip(starts, ends, axes, steps):
        size = x.shape[axis]
        index[axis] = slice(max(-size, min(start, size)), max(-size - 1, min(end, size)), step)  # ONNX clamps
    return x[tuple(index)]


def _clip(t, F, x, low=None, high=None, min=None, max=None, **_):  # noqa: A002 (ONNX's attribute names)
    low = low.item() if low is not None else min
    high = high.item() if high is not None else max
    return t.clamp(x, low, high)


# Each ONNX operator: (torch, torch.nn.functional, *inputs, **attributes) -> its output.
OPS = {
    "Conv": _conv,
    "MaxPool": lambda t, F, x, **a: _pool(t, F, x, "MaxPool", **a),
    "AveragePool": lambda t, F, x, **a: _pool(t, F, x, "AveragePool", **a),
    "GlobalAveragePool": lambda t, F, x, **_: x.mean(dim=(2, 3), keepdim=True),
    "BatchNormalization": lambda t, F, x, scale, bias, mean, var, epsilon=1e-5, **_:
        F.batch_norm(x, mean, var, scale, bias, training=False, eps=epsilon),
    "Relu": lambda t, F, x, **_: F.relu(x),
    "Sigmoid": lambda t, F, x, **_: t.sigmoid(x),
    "Tanh": lambda t, F, x, **_: t.tanh(x),
    "Clip": _clip,
    "Softmax": lambda t, F, x, axis=-1, **_: t.softmax(x, dim=axis),
    "Add": lambda t, F, a, b, **_: a + b,
    "Sub": lambda t, F, a, b, **_: a - b,
    "Mul": lambda t, F, a, b, **_: a * b,
    "Div": lambda t, F, a, b, **_: a / b,
    "MatMul": lambda t, F, a, b, **_: t.matmul(a, b),
    "Gemm": _gemm,
    "Concat": lambda t, F, *xs, axis, **_: t.cat(xs, dim=axis),
    "Transpose": lambda t, F, x, perm, **_: x.permute(list(perm)).contiguous(),
    "Reshape": _reshape,
    "Flatten": lambda t, F, x, axis=1, **_: x.reshape(int(np.prod(x.shape[:axis])), -1),
    "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze,
    "ReduceMean": lambda t, F, x, axes, keepdims=1, **_: x.mean(dim=_axes(axes), keepdim=bool(keepdims)),
    "Pad": lambda t, F, x, pads, value=None, **a: _pad(t, F, x, pads, value, **a),
    "Slice": _slice,
    "Identity": lambda t, F, x, **_: x,
}


class TorchGraph:
    """The pack in `folder` on `device`: call it with a numpy input, get the output tensor."""

    def __init__(self, folder: Path, torch, device: str):
        graph = json.loads((Path(folder) / GRAPH_FILE).read_text())
        missing = sorted(set(graph["op_types"]) - set(OPS))
        if missing:
            raise UnsupportedOperators(f"the PyTorch graph runner has no {', '.join(missing)} (ONNX operators of this "
                                       f"model: {', '.join(sorted(graph['op_types']))})")
        self.torch, self.device, self.graph = torch, device, graph
        with np.load(Path(folder) / WEIGHTS_FILE) as arrays:
            self.weights = {name: torch.from_numpy(np.array(arrays[key])).to(device)
                            for name, key in graph["weights"].items()}
        self.functional = torch.nn.functional

    def __call__(self, x: np.ndarray):
        t, F = self.torch, self.functional
        values = dict(self.weights)
        values[self.graph["inputs"][0]] = t.from_numpy(x).to(self.device)
        for node in self.graph["nodes"]:
            args = [values[name] if name else None for name in node["inputs"]]
            outputs = OPS[node["op"]](t, F, *args, **node["attrs"])
            values[node["outputs"][0]] = outputs
        return values[self.graph["outputs"][0]]
