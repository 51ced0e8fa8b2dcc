"""transformers.js (`@huggingface/transformers`, RQ4): today's way to run a transformers model in a
page, on wasm or WebGPU through the ONNX Runtime Web it bundles. It runs the text encoders (task
`embed`), decoder LLMs (task `generate`) and ViT image classifier (task `classify`) of models/webai/ from their transformers.js folder
layout (optimum's ONNX export; the decoder's with its KV cache), served locally."""
from webdlbench.frameworks import Framework

_PACKAGE = "@huggingface/transformers"
# The ES module build with ONNX Runtime Web inside; the page imports it in the timed cold load.
_MODULE = _PACKAGE + "/dist/transformers.min.js"
# Its own (nested, newer) onnxruntime-web: the wasm glue and binary its bundled ORT asks for
# (the asyncify build, which carries the WebGPU execution provider). Without wasmPaths pointed
# here it reaches for a CDN: "no available backend found".
_ORT = _PACKAGE + "/node_modules/onnxruntime-web/dist/"
_WASM_GLUE = _ORT + "ort-wasm-simd-threaded.asyncify.mjs"
_WASM_BINARY = _ORT + "ort-wasm-simd-threaded.asyncify.wasm"

FRAMEWORK = Framework(
    name="transformersjs",
    title="transformers.js",
    npm_package=_PACKAGE,
    backends={"wasm": ("embed", "generate", "classify"), "webgpu": ("embed", "generate", "classify")},
    scripts={},  # nothing before the task: the adapter imports the module inside the timed cold load
    assets=(_MODULE, _WASM_GLUE, _WASM_BINARY),
    model_format="transformers.js folder: config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx "
                 "(optimum's ONNX export)",
    notes=("RQ4 only (tasks embed, generate, classify): AutoModel / AutoModelForCausalLM / "
           "AutoModelForImageClassification.from_pretrained(id, {dtype: 'fp32', "
           "device}) from env.localModelPath with remote models off; env.backends.onnx.wasm.numThreads = the spec's "
           "threads. Its own Cache Storage ('transformers-cache', on by default) keeps the model files and the wasm "
           "for the second visit. The embedding is mean_pooling of last_hidden_state, read back to the CPU; a "
           "generation is model.generate (greedy, min_new_tokens = max_new_tokens: EOS masked) with a streamer "
           "that timestamps each new token."),
    options={"module_file": _MODULE, "wasm_glue_file": _WASM_GLUE, "wasm_binary_file": _WASM_BINARY},
)
