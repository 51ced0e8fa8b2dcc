"""WebDNN 1.2.11's own graph transpiler, run in a subprocess: our MLP in, descriptors out.

    python -m webdlbench.frameworks.webdnn._generate WEIGHTS.npz FOLDER BACKEND [BACKEND ...]

The PyPI `webdnn` 1.2.11 package (numpy only) is the converter the paper's WebDNN models came
from; it predates Python 3.10 and NumPy 1.24/2. Rather than fork it, this process patches the
four things it assumes about its environment before importing it (see `patch_old_python_assumptions`).
The patches live only in this short-lived process, never in the harness that imports
webdlbench.frameworks.webdnn.writer. The graph is built the way WebDNN's Keras converter builds a
Dense layer (Tensordot, + bias, activation), so the kernels and memory layouts are WebDNN's.
"""
from __future__ import annotations

import collections
import collections.abc
import importlib.metadata
import sys
import types
from pathlib import Path

import numpy as np

WEBDNN_VERSION = "1.2.11"  # must match the npm runtime (webdnn/dist/webdnn.js) the pages load
# webdnn.js 1.2.11 fetches graph_webgl_<N>.json with N = 4096 for every MAX_TEXTURE_SIZE >= 4096
# (WebGLHandler.MAX_TEXTURE_SIZE) and refuses smaller ones; the converter also writes 8192 and
# 16384 variants that this runtime never fetches, so only the 4096 one is saved.
WEBGL_TEXTURE_SIZE = 4096
WEIGHT_ENCODING = "raw"  # float32 as is; "eightbit" would quantize and fail the output check


def patch_old_python_assumptions() -> None:
    """Give webdnn 1.2.11 the names it expects from Python 3.6 / NumPy 1.1x / setuptools."""
    # webdnn.graph.operators.util: `from collections import Collection` (moved to abc in 3.3, gone in 3.10).
    if not hasattr(collections, "Collection"):
        collections.Collection = collections.abc.Collection
    # webdnn.util.json: isinstance(obj, np.int) / np.float (aliases of the builtins, gone in NumPy 1.24).
    for alias, builtin in (("int", int), ("float", float)):
        if alias not in np.__dict__:
            setattr(np, alias, builtin)
    # webdnn.backend.webassembly.graph_descriptor: binary np.fromstring (removed in NumPy 2).
    original_fromstring = np.fromstring

    def fromstring(string, dtype=float, count=-1, *, sep="", **kwargs):
        if sep == "" and isinstance(string, (bytes, bytearray, memoryview)):
            return np.frombuffer(string, dtype=dtype, count=count)
        return original_fromstring(string, dtype=dtype, count=count, sep=sep, **kwargs)

    np.fromstring = fromstring
    # webdnn/__init__.py: `pkg_resources.require("webdnn")` for its version (setuptools' old API).
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        stand_in = types.ModuleType("pkg_resources")
        stand_in.require = lambda name: [types.SimpleNamespace(version=importlib.metadata.version(name))]
        sys.modules["pkg_resources"] = stand_in


def build_graph(layers):
    """784 -> [Tensordot + bias + ReLU] x depth -> Tensordot + bias + Softmax, batch 1."""
    from webdnn.graph.graph import Graph
    from webdnn.graph.operators.relu import Relu
    from webdnn.graph.operators.softmax import Softmax
    from webdnn.graph.operators.tensordot import Tensordot
    from webdnn.graph.order import Order, OrderNC
    from webdnn.graph.variable import Variable
    from webdnn.graph.variables.constant_variable import ConstantVariable

    x = Variable([1, int(layers[0][0].shape[0])], OrderNC)
    h = x
    for i, (kernel, bias) in enumerate(layers):
        # As webdnn.frontend.keras converts Dense: Tensordot over the last axis, then + bias.
        w = ConstantVariable(np.asarray(kernel, dtype=np.float32), Order([None, None]))
        y, = Tensordot(None, axes=[h.order.axes[-1], w.order.axes[0]])(h, w)
        b = ConstantVariable(np.asarray(bias, dtype=np.float32), Order([None]))
        b.order.axes[0].unify(w.order.axes[1])
        y = y + b
        h = Relu(None)(y)[0] if i < len(layers) - 1 else Softmax(None, axis=y.order.axes[-1])(y)[0]
    return Graph([x], [h])


def generate(layers, folder: Path, backends) -> None:
    try:
        installed = importlib.metadata.version("webdnn")
    except importlib.metadata.PackageNotFoundError:
        raise RuntimeError(f"the WebDNN converter (PyPI webdnn {WEBDNN_VERSION}) is not installed: "
                           f"pip install webdnn=={WEBDNN_VERSION}") from None
    if installed != WEBDNN_VERSION:
        raise RuntimeError(f"PyPI webdnn {installed} is installed; the browser runtime is {WEBDNN_VERSION}: "
                           f"pip install webdnn=={WEBDNN_VERSION}")
    from webdnn.backend import generate_descriptor

    for backend in backends:
        # Each backend's optimizer rewrites the graph in place: give each a fresh one.
        data = generate_descriptor(backend, build_graph(layers), constant_encoder_name=WEIGHT_ENCODING)
        if backend == "webgl":
            data.data_dict = {WEBGL_TEXTURE_SIZE: data.data_dict[WEBGL_TEXTURE_SIZE]}
        data.save(str(folder))


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    weights, folder, backends = Path(argv[0]), Path(argv[1]), argv[2:]
    with np.load(weights) as saved:
        layers = [(saved[f"kernel_{i}"], saved[f"bias_{i}"]) for i in range(len(saved.files) // 2)]
    patch_old_python_assumptions()
    generate(layers, folder, backends)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
