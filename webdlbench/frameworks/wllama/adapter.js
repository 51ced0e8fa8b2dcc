// wllama adapter (RQ4: task generate). loadGenerator() imports the module (once per page), starts
// llama.cpp's wasm with the spec's threads and loads the GGUF file (from wllama's own cache when a
// visit before stored it there). generate() asks for `count` tokens greedily, EOS ignored, with the
// prompt's KV cache not reused (every generation prefills), streamed: each chunk is one token,
// whose id comes with its logprob and whose arrival is timestamped here.
'use strict';
(() => {
  let W = null;  // the module, once imported

  const absolute = (path) => new URL(path, location.href).href;

  window.webdlbench.adapters.wllama = {
    version: () => (W && W.Wllama.getLibllamaVersion ? `llama.cpp ${W.Wllama.getLibllamaVersion()}` : null),

    async init(job) {
      return { backend_requested: job.spec.backend };
    },

    async loadGenerator(job) {
      const { options } = job;
      if (!W) W = await import(options.module_file);
      const wllama = new W.Wllama({ default: absolute(options.wasm_file) }, { allowOffline: true, suppressNativeLog: true });
      // The KV cache in f32 (llama.cpp's default is f16): the check is greedy tokens equal PyTorch's fp32.
      await wllama.loadModelFromUrl(absolute(job.model_url), { n_threads: options.threads, n_ctx: options.context_tokens,
                                                               cache_type_k: 'f32', cache_type_v: 'f32', flash_attn: false, useCache: true });
      return { wllama, threads: options.threads };
    },

    async generate(handle, prompt, count) {
      const stamps = [], tokens = [];
      let timings = null;
      const start = performance.now();
      await handle.wllama.createCompletion({
        prompt: prompt.text, max_tokens: count, temperature: 0, ignore_eos: true, cache_prompt: false, logprobs: 1,
        stream: true,
        onData: (chunk) => {
          const now = performance.now() - start;
          const content = chunk.choices[0].logprobs && chunk.choices[0].logprobs.content;
          for (const token of content || []) {
            stamps.push(now);
            tokens.push(token.id);
          }
          if (chunk.timings) timings = chunk.timings;
        },
      });
      return { tokens, stamps, timings };
    },

    async backendUsed(handle) {
      const { wllama } = handle;
      const info = wllama.getLoadedContextInfo();
      return {
        backend_used: {
          runtime: `wllama ${W.Wllama.getLibllamaVersion ? W.Wllama.getLibllamaVersion() : '?'}`, device: 'wasm (CPU)',
          threads: wllama.getNumThreads(), multithread: wllama.isMultithread(), threads_requested: handle.threads,
          n_ctx: info.n_ctx, n_batch: info.n_batch, cross_origin_isolated: self.crossOriginIsolated,
          webgpu_supported: wllama.isSupportWebGPU ? wllama.isSupportWebGPU() : null,
        },
      };
    },

    async dispose(handle) {
      await handle.wllama.exit();
    },
  };
})();
