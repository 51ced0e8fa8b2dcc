"""LiteRT.js (`@litertjs/core`, RQ4): Google's LiteRT (TFLite) runtime compiled to WebAssembly, on
wasm (XNNPACK) or WebGPU, running the image classifier's .tflite file that TensorFlow's TFLite
converter wrote from the Keras MobileNetV2 (models/webai/image.py) — the "which runtime?"
comparison beside TF.js and ONNX Runtime Web on the same weights. Its ES module imports
`@litertjs/wasm-utils` by name: the page's import map (web/page.html) points that at node_modules;
its wasm files are served from node_modules too (nothing from a CDN)."""
from webdlbench.frameworks import Framework

_PACKAGE = "@litertjs/core"
_MODULE = _PACKAGE + "/dist/index.js"
_WASM_UTILS = "@litertjs/wasm-utils/dist/index.js"  # what _MODULE imports (web/page.html's import map)
_WASM_DIR = _PACKAGE + "/wasm/"  # loadLiteRt(dir) picks the build the browser supports from here

FRAMEWORK = Framework(
    name="litertjs",
    title="LiteRT.js",
    npm_package=_PACKAGE,
    backends={"wasm": ("classify",), "webgpu": ("classify",)},
    scripts={},  # nothing before the task: the adapter imports the module inside the timed cold load
    assets=(_MODULE, _WASM_UTILS),
    model_format="TFLite flatbuffer (.tflite), written by TensorFlow's TFLiteConverter from the Keras model",
    notes=("RQ4 only (task classify): loadLiteRt(the package's wasm folder, {threads: the spec's threads > 1}), "
           "then loadAndCompile(model bytes, {accelerator: backend, cpuOptions: {numThreads: the spec's threads}}); "
           "one Tensor in per image, the output's data() read back. LiteRT.js keeps no cache of its own: the "
           "adapter keeps the model in Cache Storage for the second visit, as an app would."),
    options={"module_file": _MODULE, "wasm_dir": _WASM_DIR},
)
