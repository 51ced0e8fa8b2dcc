"""Native llama.cpp (RQ4), through llama-cpp-python: the decoder LLMs of models/webai/ (task
`generate`) from the same GGUF file wllama loads in the page. llama-cpp-python has no wheel: it
compiles llama.cpp when installed (11.5 minutes on 2 cores here), so `make setup` leaves it out and
`make llama-cpp` builds it; without it this runtime is recorded as unavailable, with that said."""
from __future__ import annotations

import time
from pathlib import Path

from webdlbench.native import NativeRuntime

CONTEXT_TOKENS = 512  # the prompt and its generation fit (models/webai/kinds.py: max_positions)

RUNTIME = NativeRuntime(
    name="llamacpp",
    title="llama.cpp (llama-cpp-python)",
    python_module="llama_cpp",
    backends={"cpu": ("generate",)},
    notes="RQ4 only: Llama(gguf, n_threads = n_threads_batch = spec.threads, KV cache f32 as wllama's); greedy "
          "generate with EOS masked; "
          "built from source by `make llama-cpp`",
    adapter="webdlbench.native.llamacpp_runner:LlamaCppGenerator",
    distributions=("llama_cpp_python", "llama-cpp-python"),
    model_format="GGUF (llama.cpp's convert_hf_to_gguf.py)",
    install_hint="build it with `make llama-cpp` (it compiles llama.cpp: ~12 minutes on 2 cores)",
)


class LlamaCppGenerator:
    """Llama.generate(): the prompt's ids evaluated (reset every call, so each generation prefills),
    then one token at a time, greedy (temp 0), EOS masked by a logits processor."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.llama_cpp = None

    def init(self) -> dict:
        return {"threads_requested": self.spec["threads"]}

    def environment(self) -> dict:
        if self.llama_cpp is None:
            return {}
        return {"llama_cpp_python_version": self.llama_cpp.__version__,
                "llama_cpp_system_info": self.llama_cpp.llama_print_system_info().decode(errors="replace")}

    def load(self, path: Path):
        if self.llama_cpp is None:
            import llama_cpp

            self.llama_cpp = llama_cpp
        threads = self.spec["threads"]
        # The KV cache in f32 as wllama's page keeps it (llama.cpp's default is f16): like for like.
        return self.llama_cpp.Llama(model_path=str(path), n_ctx=CONTEXT_TOKENS, n_threads=threads,
                                    n_threads_batch=threads, type_k=self.llama_cpp.GGML_TYPE_F32,
                                    type_v=self.llama_cpp.GGML_TYPE_F32, flash_attn=False, verbose=False)

    def generate(self, model, prompt: dict, count: int) -> tuple[list[int], list[float]]:
        eos = model.token_eos()

        def mask_eos(_, scores):
            scores[eos] = -float("inf")
            return scores

        processors = self.llama_cpp.LogitsProcessorList([mask_eos])
        tokens, stamps = [], []
        start = time.perf_counter_ns()
        for token in model.generate(prompt["ids"], temp=0.0, top_k=1, repeat_penalty=1.0, reset=True,
                                    logits_processor=processors):
            stamps.append((time.perf_counter_ns() - start) / 1e6)
            tokens.append(int(token))
            if len(tokens) == count:
                break
        return tokens, stamps

    def backend_used(self, model) -> dict:
        return {"device": "cpu", "threads": self.spec["threads"], "n_ctx": model.n_ctx(),
                "runtime": f"llama-cpp-python {self.llama_cpp.__version__}"}
