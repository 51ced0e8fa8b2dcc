"""wllama (`@wllama/wllama`, RQ4): llama.cpp compiled to WebAssembly — its server's completion API in
a page — running the decoder LLMs of models/webai/ (task `generate`) from the GGUF file llama.cpp's
own converter wrote. wasm only: single-threaded at 1 thread, its multi-thread build (SharedArrayBuffer,
which the server's cross-origin isolation allows) at more."""
from webdlbench.frameworks import Framework

_PACKAGE = "@wllama/wllama"
_MODULE = _PACKAGE + "/esm/index.js"        # one ES module, its worker's code inside
_WASM = _PACKAGE + "/esm/wasm/wllama.wasm"  # single- and multi-thread in one binary

FRAMEWORK = Framework(
    name="wllama",
    title="wllama (llama.cpp in wasm)",
    npm_package=_PACKAGE,
    backends={"wasm": ("generate",)},
    scripts={},  # nothing before the task: the adapter imports the module inside the timed cold load
    assets=(_MODULE, _WASM),
    model_format="GGUF (f32), written by llama.cpp's convert_hf_to_gguf.py from the transformers model",
    notes=("RQ4 only (task generate): new Wllama({default: wasm}, {allowOffline: true}).loadModelFromUrl(gguf, "
           "{n_threads: the spec's threads, n_ctx: 512, useCache: true}) — its own cache keeps the model for the "
           "second visit; createCompletion with the prompt's text (wllama takes text, not ids: the prompt is one "
           "that SentencePiece and llama.cpp tokenize alike), temperature 0, ignore_eos, cache_prompt false (each "
           "generation prefills its prompt), streamed with logprobs so that every token's id and arrival time are "
           "recorded."),
    options={"module_file": _MODULE, "wasm_file": _WASM, "context_tokens": 512},
)
