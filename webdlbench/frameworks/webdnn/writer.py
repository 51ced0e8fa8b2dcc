"""WebDNN 1.2.11 graph descriptors, written from our weights by WebDNN's own converter.

WebDNN cannot build or save models in the browser: its Python graph transpiler turns a model into
one descriptor per backend, which `WebDNN.load(directory)` fetches:

* webgl:    graph_webgl_4096.json (GLSL shader sources per kernel, texture layouts) + weight_webgl_4096.bin
* fallback: graph_fallback.json + kernels_fallback.js (plain JavaScript kernels) + weight_fallback.bin
* webassembly (only when emscripten's em++ is installed): graph_webassembly.json + kernels compiled by em++

Weights are "raw" float32. The converter (PyPI `webdnn`, the same 1.2.11 release as the npm
runtime) runs in a subprocess, `webdlbench.frameworks.webdnn._generate`, which patches its old-Python
assumptions there and only there.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from webdlbench import subprocesses

# Descriptor files each backend's runtime fetches (webdnn.js 1.2.11), relative to the model folder.
DESCRIPTOR_FILES = {
    "webgl": ("graph_webgl_4096.json", "weight_webgl_4096.bin"),
    "fallback": ("graph_fallback.json", "kernels_fallback.js", "weight_fallback.bin"),
    "webassembly": ("graph_webassembly.json", "kernels_webassembly.js", "weight_webassembly.bin"),
}
ALWAYS_WRITTEN = ("webgl", "fallback")
EMSCRIPTEN_COMPILER = "em++"   # what WebDNN's webassembly generator calls
EIGEN_INCLUDE = Path("/usr/include/eigen3")  # Debian's libeigen3-dev; the wasm kernels include Eigen
# The converter optimizes the graph once per backend; a depth-8 x 1024 MLP takes seconds, not minutes.
GENERATE_TIMEOUT_S = 600
GENERATOR_MODULE = "webdlbench.frameworks.webdnn._generate"


def webassembly_unavailable_reason() -> str:
    """'' when em++ is on PATH (the webassembly descriptor can be compiled), else why not."""
    if shutil.which(EMSCRIPTEN_COMPILER):
        return ""
    return ("WebDNN's webassembly backend runs kernels that its converter compiles with emscripten (em++, with "
            "Eigen); emscripten is not installed on this machine (Debian: apt-get install emscripten "
            "libeigen3-dev, about +909 MB), so no webassembly descriptor was written")


def backends_written() -> tuple[str, ...]:
    return ALWAYS_WRITTEN + (() if webassembly_unavailable_reason() else ("webassembly",))


def write_model(layers, folder: Path, backends: tuple[str, ...] | None = None) -> None:
    """Write every backend's descriptor into folder (the Framework.write_model contract)."""
    folder = Path(folder)
    backends = backends or backends_written()
    with tempfile.TemporaryDirectory(prefix="webdnn-weights-") as scratch:
        weights = Path(scratch) / "weights.npz"
        np.savez(weights, **{f"{kind}_{i}": np.asarray(a, dtype=np.float32)
                             for i, pair in enumerate(layers) for kind, a in zip(("kernel", "bias"), pair)})
        # The subprocess imports this package: subprocesses.py makes that work whether or not it is installed.
        extra = {}
        if "webassembly" in backends and EIGEN_INCLUDE.is_dir():
            extra["CPLUS_INCLUDE_PATH"] = os.pathsep.join(filter(None, [str(EIGEN_INCLUDE),
                                                                        os.environ.get("CPLUS_INCLUDE_PATH")]))
        done = subprocesses.run_python_sync(["-m", GENERATOR_MODULE, str(weights), str(folder), *backends],
                                            subprocesses.python_environment(overrides=extra), GENERATE_TIMEOUT_S)
    if done.timed_out:
        raise RuntimeError(f"WebDNN's converter took over {GENERATE_TIMEOUT_S} s")
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).strip().splitlines() if line.strip()]
        raise RuntimeError(f"WebDNN's converter exited {done.returncode}: " + (lines[-1] if lines else "no output"))
    missing = [name for b in backends for name in DESCRIPTOR_FILES[b] if not (folder / name).is_file()]
    if missing:
        raise RuntimeError(f"WebDNN's converter wrote no {missing[0]}")


def read_descriptor(folder: Path, backend: str) -> dict:
    """The graph descriptor JSON of one backend."""
    return json.loads((Path(folder) / DESCRIPTOR_FILES[backend][0]).read_text())


def constants(folder: Path, backend: str) -> dict[str, np.ndarray]:
    """Constant (weight) arrays by variable name, decoded from the raw weight file as the runtime does."""
    folder = Path(folder)
    descriptor = read_descriptor(folder, backend)
    if descriptor["weight_encoding"] != "raw":
        raise ValueError(f"weight encoding {descriptor['weight_encoding']!r}, not raw")
    blob = np.frombuffer((folder / DESCRIPTOR_FILES[backend][-1]).read_bytes(), dtype="<f4")
    if backend == "webgl":  # constants_map: byte offset and size of each constant in the weight file
        return {name: blob[c["byte_offset"] // 4: c["byte_offset"] // 4 + c["size"]]
                for name, c in descriptor["constants_map"].items()}
    # fallback / webassembly: the weight file is the start of the static buffer, constants at their offsets
    return {name: blob[a["offset"]: a["offset"] + a["size"]]
            for name, a in descriptor["memory_layout"]["static"]["allocations"].items()
            if a["offset"] + a["size"] <= blob.size}
