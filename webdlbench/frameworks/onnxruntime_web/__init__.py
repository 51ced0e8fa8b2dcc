"""ONNX Runtime Web 1.30 (beyond the paper): inference on wasm (SIMD; threads when cross-origin
isolated) and webgpu, from an .onnx file written by writer.py (beside this file) from the same weights."""
from webdlbench.frameworks import Framework

_DIST = "onnxruntime-web/dist/"
# The default browser build (what `import 'onnxruntime-web'` gives): wasm and WebGPU (JSEP), one binary.
_BUNDLE = _DIST + "ort.min.js"
# writer.init_model(), serialized (tests/frameworks/test_onnx_writer.py keeps the two equal): the adapter
# creates a session from it in init(), so that starting the runtime (fetching and compiling the
# wasm binary, opening the WebGPU device) is not counted as loading the model.
INIT_MODEL_B64 = ("CAgSCndlYmRsYmVuY2g6RQoQCgF4EgF5IghJZGVudGl0eRIPd2ViZGxiZW5jaF9pbml0Wg8KAXgSCgoICAESBAoCCAFiDwoBeRIK"
                  "CggIARIECgIIAUIECgAQEQ==")


def _write_model(layers, folder) -> None:
    from webdlbench.frameworks.onnxruntime_web import writer  # imports onnx only when a model is written

    writer.write_model(layers, folder)


def _survey_page_data() -> dict:
    """For the adapter's describe(): one tiny ONNX model per network type, which the probe page runs."""
    import base64

    from webdlbench.frameworks.onnxruntime_web import writer

    ops = {"DNN": "Gemm + Relu", "CNN": "Conv + MaxPool", "RNN": "LSTM"}
    return {"onnx_probe_models": {
        kind: {"b64": base64.b64encode(model.SerializeToString()).decode(), "shape": shape, "ops": ops[kind]}
        for kind, (model, shape) in writer.probe_models().items()}}


FRAMEWORK = Framework(
    name="onnxruntime_web",
    title="ONNX Runtime Web",
    npm_package="onnxruntime-web",
    # webnn: Chromium's WebNN, where the browser has it (runs record the runtime's words where not);
    # embed: RQ4's text encoders (models/webai/), from optimum's ONNX export; classify: its image
    # classifiers (tf2onnx's MobileNetV2, optimum's ViT).
    backends={"wasm": ("infer", "embed", "classify"), "webgpu": ("infer", "embed", "classify"), "webnn": ("infer", "embed", "classify")},
    scripts={"wasm": (_BUNDLE,), "webgpu": (_BUNDLE,), "webnn": (_BUNDLE,)},
    # ort.min.js imports its wasm glue (.mjs) and binary at run time from env.wasm.wasmPaths.
    assets=(_DIST + "ort-wasm-simd-threaded.jsep.mjs", _DIST + "ort-wasm-simd-threaded.jsep.wasm"),
    model_format="ONNX (opset 17): MatMul + Add + Relu per layer, Softmax; written by webdlbench's onnx_writer "
                 "with onnx.helper (ONNX Runtime Web cannot train or save)",
    notes=("Inference only. The session is created with executionProviders [backend] and "
           "graphOptimizationLevel 'all'; wasm uses env.wasm.numThreads = the spec's threads (more than 1 needs "
           "cross-origin isolation, which the server provides) and the SIMD build. The runtime is started in "
           "init() from a one-node model, so load time is the model's own fetch + session creation. The info "
           "of every result records the session options and the env.wasm / WebGPU adapter actually used. "
           "RQ4 (embed, classify): the page loads the bundle and creates the session inside its timed cold load, and "
           "keeps the model in Cache Storage for the warm visit, as an app does (ORT Web has no cache)."),
    # runtime_file: an embed page loads the bundle itself, inside its timed cold load.
    options={"wasm_dir": _DIST, "init_model_b64": INIT_MODEL_B64, "graph_optimization_level": "all",
             "runtime_file": _BUNDLE},
    write_model=_write_model,
    model_entry="model.onnx",
    node_probe_env=lambda: {"WEBDLBENCH_ONNX_B64": INIT_MODEL_B64},  # node-probe.js runs the init model
    survey_page_data=_survey_page_data,
)
