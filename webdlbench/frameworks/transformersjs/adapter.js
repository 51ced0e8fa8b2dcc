// transformers.js adapter (RQ4: tasks embed, classify and generate). loadEncoder() / loadGenerator() are the
// whole of what a page does before its first inference: import the module (the first time in a
// page), point it at the local model folder and the wasm files the server has, and
// from_pretrained(), which fetches the files (or finds them in its own Cache Storage) and creates
// the ONNX Runtime Web session. embed() runs the encoder on one sequence of token ids and mean-pools
// last_hidden_state, read back; generate() decodes greedily with EOS masked (min_new_tokens) and
// timestamps every new token as its streamer receives it.
'use strict';
(() => {
  let T = null;  // the module, once imported

  const absolute = (path) => new URL(path, location.href).href;

  function int64(values) {
    return BigInt64Array.from(values, (v) => BigInt(v));
  }

  const webgpuAdapterInfo = () => window.webdlbench.describeGpuAdapter(() => T.env.backends.onnx.webgpu.adapter);

  // Import the module (once per page), point it at the model folder and the wasm, and create the model.
  async function load(job, modelClass) {
    const { options } = job;
    if (!T) T = await import(options.module_file);
    const { env } = T;
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    // env.localModelPath + model id = the model folder (models/webai/artifacts.py lays it out).
    const folder = job.model_folder.replace(/\/$/, '');
    const cut = folder.lastIndexOf('/');
    env.localModelPath = folder.slice(0, cut + 1);
    // Set the property, not a new wasm object: the bundled ORT keeps a reference to it.
    env.backends.onnx.wasm.wasmPaths = { mjs: absolute(options.wasm_glue_file), wasm: absolute(options.wasm_binary_file) };
    env.backends.onnx.wasm.numThreads = options.threads;
    env.backends.onnx.wasm.proxy = false;  // in the page's thread: the timed call is the inference itself
    // dtype: fp32, or a quantised kind's (q8, fp16: the onnx/model_<suffix>.onnx file beside model.onnx).
    return T[modelClass].from_pretrained(folder.slice(cut + 1), { dtype: options.dtype || 'fp32', device: job.spec.backend });
  }

  window.webdlbench.adapters.transformersjs = {
    version: () => (T ? T.env.version : null),

    async init(job) {
      const backend = job.spec.backend;
      if (backend === 'webgpu') await window.webdlbench.requireWebGpu();  // web/webai.js
      return { backend_requested: backend };
    },

    async loadEncoder(job) {
      return { model: await load(job, 'AutoModel'), device: job.spec.backend };
    },

    async loadGenerator(job) {
      return { model: await load(job, 'AutoModelForCausalLM'), device: job.spec.backend };
    },

    async loadClassifier(job) {
      return { model: await load(job, 'AutoModelForImageClassification'), device: job.spec.backend,
               shape: job.data.images.shape };
    },

    async classify(handle, image) {  // pixel_values as the image processor makes them (NCHW), logits read back
      const output = await handle.model({ pixel_values: new T.Tensor('float32', image, handle.shape) });
      return output.logits.data;
    },

    async embed(handle, ids) {
      const shape = [1, ids.length];
      const attentionMask = new T.Tensor('int64', int64(new Array(ids.length).fill(1)), shape);
      const output = await handle.model({
        input_ids: new T.Tensor('int64', int64(ids), shape),
        attention_mask: attentionMask,
        token_type_ids: new T.Tensor('int64', new BigInt64Array(ids.length), shape),
      });
      return T.mean_pooling(output.last_hidden_state, attentionMask).data;
    },

    async generate(handle, prompt, count) {
      const stamps = [], tokens = [];
      let start = 0, prompted = false;
      const streamer = {  // generate() puts the prompt first, then each new token as it is chosen
        put(value) {
          if (!prompted) { prompted = true; return; }
          stamps.push(performance.now() - start);
          tokens.push(Number(value[0][0]));
        },
        end() {},
      };
      const input = new T.Tensor('int64', int64(prompt.ids), [1, prompt.ids.length]);
      const mask = new T.Tensor('int64', int64(new Array(prompt.ids.length).fill(1)), [1, prompt.ids.length]);
      start = performance.now();
      await handle.model.generate({ input_ids: input, attention_mask: mask, max_new_tokens: count, min_new_tokens: count,
                                    do_sample: false, streamer });
      return { tokens, stamps };
    },

    // What actually ran: the session's own config (dtype, device) as transformers.js recorded it,
    // ORT's wasm settings after the run, and the WebGPU adapter ORT opened.
    async backendUsed(handle) {
      const onnx = T.env.backends.onnx;
      const sessions = Object.fromEntries(Object.entries(handle.model.sessions || {}).map(
        ([name, session]) => [name, { config: session.config || null, inputs: session.inputNames, outputs: session.outputNames }]));
      return {
        backend_used: {
          runtime: `transformers.js ${T.env.version}`, onnxruntime_web: onnx.versions ? onnx.versions.web : null,
          device_requested: handle.device, sessions,
          wasm: { numThreads: onnx.wasm.numThreads, proxy: onnx.wasm.proxy, simd: onnx.wasm.simd ?? null,
                  binary: String(onnx.wasm.wasmPaths && onnx.wasm.wasmPaths.wasm), cross_origin_isolated: self.crossOriginIsolated },
          webgpu_adapter: handle.device === 'webgpu' ? await webgpuAdapterInfo() : null,
        },
      };
    },

    async dispose(handle) {
      await handle.model.dispose();
    },
  };
})();
