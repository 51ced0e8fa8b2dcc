"""TensorFlow.js 4.22: Layers API, backends cpu, webgl, wasm (SIMD, threads when isolated), webgpu."""
from webdlbench.frameworks import Framework
from webdlbench.frameworks.tfjs.json_encoding import write_json_encoding

_CORE = "@tensorflow/tfjs/dist/tf.min.js"

FRAMEWORK = Framework(
    name="tfjs",
    title="TensorFlow.js",
    npm_package="@tensorflow/tfjs",
    # classify: RQ4's image classifier (models/webai/, web/webai.js), the same converted MobileNetV2
    backends={b: ("train", "infer", "classify") for b in ("cpu", "webgl", "wasm", "webgpu")},
    scripts={
        "cpu": (_CORE,),
        "webgl": (_CORE,),
        "wasm": (_CORE, "@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js"),
        "webgpu": (_CORE, "@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js"),
    },
    assets=(
        "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm",
        "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm",
        "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm",
    ),
    model_format="tfjs-layers: model.json + binary weights, written by model.save(tf.io.browserHTTPRequest)",
    notes="Training: model.trainOnBatch (SGD); every timed call reads its result back (loss value, dataSync).",
    options={"wasm_dir": "@tensorflow/tfjs-backend-wasm/dist/"},
    json_encoding=write_json_encoding,
)
