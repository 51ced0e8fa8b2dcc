// LiteRT.js adapter (RQ4: task classify). loadClassifier() is the whole of what a page does before
// its first inference: import the ES module (the first time in a page), load LiteRT's wasm from the
// package's folder on our server (threaded build when the spec asks for more than one thread), get
// the .tflite file from Cache Storage or the server, and compile it for the accelerator asked for.
// classify() runs one image and reads its outputs back (data() copies them off the GPU on WebGPU).
'use strict';
(() => {
  const W = window.webdlbench;
  const { Unsupported } = W;
  const MODEL_CACHE = 'webdlbench-litertjs-models';  // LiteRT.js has no cache: an app keeps the file itself
  let L = null;  // the module, once imported
  let liteRt = null;
  // LiteRT's TensorBufferType values (its index.d.ts), by name.
  const BUFFER_TYPES = { 1: 'HOST_MEMORY', 20: 'WEB_GPU_BUFFER', 21: 'WEB_GPU_BUFFER_FP16', 26: 'WEB_GPU_BUFFER_PACKED' };

  const absolute = (path) => new URL(path, location.href).href;
  const words = (error) => (error && error.message ? error.message : String(error));

  window.webdlbench.adapters.litertjs = {
    version: () => null,  // the module exports none; the harness records the npm package's version

    async init(job) {
      const backend = job.spec.backend;
      if (backend === 'webgpu') await window.webdlbench.requireWebGpu();  // web/webai.js
      return { backend_requested: backend };
    },

    async loadClassifier(job) {
      const { options } = job;
      const backend = job.spec.backend;
      if (!L) L = await import(absolute(options.module_file));
      try {
        if (!liteRt) liteRt = await L.loadLiteRt(absolute(options.wasm_dir), { threads: options.threads > 1 });
      } catch (error) {
        throw new Unsupported(`LiteRT.js could not load its wasm: ${words(error)}`);
      }
      const { bytes, fromCache } = await W.cachedBytes(MODEL_CACHE, job.model_url);
      let model;
      try {
        model = await L.loadAndCompile(bytes, { accelerator: backend, cpuOptions: { numThreads: options.threads } });
      } catch (error) {
        const message = `LiteRT.js could not compile the model for ${backend}: ${words(error)}`;
        if (backend !== 'wasm') throw new Unsupported(message);
        throw new Error(message);
      }
      return { model, backend, fromCache, shape: job.data.images.shape, threads: options.threads };
    },

    async classify(handle, image) {
      const input = new L.Tensor(image, handle.shape);
      let outputs;
      try {
        outputs = await handle.model.run(input);  // copies the input to the accelerator when it must
      } finally {
        input.delete();
      }
      try {
        return await outputs[0].data();
      } finally {
        for (const output of outputs) output.delete();
      }
    },

    // What ran: the accelerator the model was compiled for (LiteRT.js falls back to wasm on its own,
    // with a console warning, when WebGPU cannot take the whole model: accelerator then says wasm),
    // whether it was fully accelerated, the buffer types of its input and output, the wasm's
    // threads and the WebGPU adapter.
    async backendUsed(handle) {
      const details = (list) => list.map((d) => ({ name: d.name, dtype: d.dtype, shape: Array.from(d.shape || []),
                                                  buffer_types: Array.from(d.supportedBufferTypes || [], (t) => BUFFER_TYPES[t] || t) }));
      return {
        backend_used: {
          runtime: 'LiteRT.js', accelerator_requested: handle.backend, accelerator: handle.model.options.accelerator,
          fully_accelerated: handle.model.isFullyAccelerated, model_from_cache_storage: handle.fromCache,
          inputs: details(handle.model.getInputDetails()), outputs: details(handle.model.getOutputDetails()),
          wasm: { threads_requested: handle.threads, wasm_threads: liteRt.liteRtWasm.getThreadCount(),
                  cross_origin_isolated: self.crossOriginIsolated },
          webgpu_adapter: handle.backend === 'webgpu'
            ? await W.describeGpuAdapter(() => L.getWebGpuDevice && L.getWebGpuDevice()?.adapterInfo) : null,
        },
      };
    },

    dispose(handle) {
      handle.model.delete();
    },
  };
})();
