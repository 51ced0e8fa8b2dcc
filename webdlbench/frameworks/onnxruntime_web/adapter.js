// ONNX Runtime Web adapter (inference only). The model is an .onnx file written in Python from
// the same weights; load() is ort.InferenceSession.create(url) (fetch + parse + optimise +
// partition), predict() is session.run() on one sample, its output read back to the CPU (the
// default output location), so a WebGPU run that has only queued work is never counted.
'use strict';
(() => {
  const { Unsupported } = window.webdlbench;
  let sessionOptions = null;
  let activeBackend = null;
  // A user's own model (model = "file:…") gives its input's whole shape; the MLP's is [1, 784].
  let tensorShape = null;
  // How ORT says it cannot run a model's operator or type: `unsupported`, in its own words.
  const REFUSED = /NOT_IMPLEMENTED|not a registered function\/op|Could not find an implementation|is not supported|unsupported/i;

  function requireOrt() {
    if (typeof ort === 'undefined' || !ort.InferenceSession) throw new Error('onnxruntime-web did not load (no global ort.InferenceSession)');
  }

  function base64Bytes(text) {
    const raw = atob(text);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function configureWasm(options) {
    ort.env.wasm.wasmPaths = new URL(options.wasm_dir, location.href).href;
    ort.env.wasm.proxy = false;  // run in the page's thread: the timed call is the inference itself
    if (options.threads) ort.env.wasm.numThreads = options.threads;
    ort.env.logLevel = 'warning';
  }

  function plain(value) {  // env fields can be getters, typed arrays or functions: keep JSON-able ones
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value;
    return value === undefined ? null : String(value);
  }

  const webgpuAdapterInfo = () => window.webdlbench.describeGpuAdapter(() => ort.env.webgpu.adapter);

  // RQ4: the Cache Storage the model's bytes are kept in between visits (web/webai.js cachedBytes),
  // as an app does for its second visit, since ORT Web keeps nothing.
  const MODEL_CACHE = 'webdlbench-onnxruntime-web-models';

  function int64(values) {
    return BigInt64Array.from(values, (v) => BigInt(v));
  }

  async function outputOf(session, feeds) {
    const results = await session.run(feeds);
    return results[session.outputNames[0]].data;
  }

  window.webdlbench.adapters.onnxruntime_web = {
    version: () => (typeof ort !== 'undefined' && ort.env && ort.env.versions ? ort.env.versions.web || ort.env.versions.common : null),

    async init(job) {
      if (job.kind === 'embed' || job.kind === 'classify') return { backend_requested: job.spec.backend };  // the runtime loads in loadEncoder
      requireOrt();
      const backend = job.spec.backend;
      const { options } = job;
      tensorShape = options.tensor_shape || null;
      configureWasm(options);
      activeBackend = backend;
      // The operators pass reads ORT's profile from its stdout: console.log, wrapped before the runtime starts.
      const profiling = job.kind === 'ops' && Boolean(window.webdlbenchOrtProfile);
      if (profiling) window.webdlbenchOrtProfile.capture();
      if (backend === 'webgpu') {
        if (!navigator.gpu) throw new Unsupported('WebGPU is not available in this browser (no navigator.gpu)');
        if (!(await navigator.gpu.requestAdapter())) throw new Unsupported('WebGPU: navigator.gpu.requestAdapter() returned null');
      }
      sessionOptions = { executionProviders: [backend], graphOptimizationLevel: options.graph_optimization_level };
      // Start the runtime (fetch + compile the wasm binary, open the WebGPU device) on a one-node
      // model, so that load() measures the model, not the runtime's start. ORT adds its own
      // settings to the options object it is given: it gets a copy, and the copy is recorded.
      const used = { ...sessionOptions };
      const start = performance.now();
      try {
        const session = await ort.InferenceSession.create(base64Bytes(options.init_model_b64), used);
        await outputOf(session, { x: new ort.Tensor('float32', new Float32Array([1]), [1]) });
        await session.release();
      } catch (error) {
        const message = `ONNX Runtime Web could not start the ${backend} backend: ${error && error.message ? error.message : error}`;
        if (backend !== 'wasm') throw new Unsupported(message);
        throw new Error(message);
      }
      const info = {
        backend,
        version: ort.env.versions ? ort.env.versions.web : null,
        runtime_init_ms: performance.now() - start,
        session_options: sessionOptions,
        session_options_after_create: JSON.parse(JSON.stringify(used)),
        wasm: {
          numThreads: plain(ort.env.wasm.numThreads), requested_threads: options.threads,
          simd: plain(ort.env.wasm.simd), proxy: plain(ort.env.wasm.proxy),
          wasmPaths: plain(ort.env.wasm.wasmPaths), cross_origin_isolated: self.crossOriginIsolated,
          // every 1.30 binary is the SIMD + threads build; env.wasm.simd is no longer a switch there
          binary: 'ort-wasm-simd-threaded.jsep.wasm',
        },
      };
      if (backend === 'webgpu') info.webgpu_adapter = await webgpuAdapterInfo();
      if (profiling) {  // the model's session (not the start-up one) is created with ORT's profiler on
        sessionOptions = { ...sessionOptions, enableProfiling: true };
        if (backend === 'webgpu') window.webdlbenchOrtProfile.watchGpu(ort.env);
      }
      return info;
    },

    build() {
      throw new Error('ONNX Runtime Web cannot build or train models; its model is written by webdlbench (onnx_writer)');
    },

    async save() {
      throw new Error('ONNX Runtime Web has no API to save a model');
    },

    async load(url) {
      let session;
      try {
        session = await ort.InferenceSession.create(url, { ...sessionOptions });
      } catch (error) {
        const message = error && error.message ? error.message : String(error);
        if (REFUSED.test(message)) throw new Unsupported(`ONNX Runtime Web cannot run this model: ${message}`);
        throw error;
      }
      return { session, input: session.inputNames[0] };
    },

    async predict(model, x) {
      return outputOf(model.session, { [model.input]: new ort.Tensor('float32', x, tensorShape || [1, x.length]) });
    },

    dispose(model) {
      model.session.release();
    },

    // The operators pass (web/ops.js): ORT's session profiler, and its WebGPU kernel timestamps (web/ort-profile.js).
    async profileRuns(model, inputs) {
      return window.webdlbenchOrtProfile.profileRuns(ort, activeBackend, model.session, (x) => this.predict(model, x), inputs);
    },

    // RQ4 (embed): the whole first-visit path, timed by the page: the bundle, the wasm, the model
    // (Cache Storage or the network) and the session. A backend ORT cannot start is `unsupported`,
    // in ORT's own words.
    async loadEncoder(job) {
      const { options } = job;
      const backend = job.spec.backend;
      if (typeof ort === 'undefined') await window.webdlbench.loadScript(options.runtime_file);
      requireOrt();
      configureWasm(options);
      const { bytes, fromCache } = await window.webdlbench.cachedBytes(MODEL_CACHE, job.model_url);
      const settings = { executionProviders: [backend], graphOptimizationLevel: options.graph_optimization_level };
      let session;
      try {
        session = await ort.InferenceSession.create(bytes, { ...settings });
      } catch (error) {
        const message = `ONNX Runtime Web could not start the ${backend} backend: ${error && error.message ? error.message : error}`;
        if (backend !== 'wasm') throw new Unsupported(message);
        throw error;
      }
      return { session, backend, settings, fromCache };
    },

    async embed(model, ids) {
      const shape = [1, ids.length];
      const mask = int64(new Array(ids.length).fill(1));
      const feeds = { input_ids: new ort.Tensor('int64', int64(ids), shape), attention_mask: new ort.Tensor('int64', mask, shape),
                      token_type_ids: new ort.Tensor('int64', new BigInt64Array(ids.length), shape) };
      const wanted = Object.fromEntries(model.session.inputNames.map((name) => [name, feeds[name]]));
      const hidden = await outputOf(model.session, wanted);  // [1, length, width], on the CPU
      const width = hidden.length / ids.length;
      const pooled = new Float32Array(width);
      for (let t = 0; t < ids.length; t++) for (let j = 0; j < width; j++) pooled[j] += hidden[t * width + j];
      for (let j = 0; j < width; j++) pooled[j] /= ids.length;
      return pooled;
    },

    // RQ4 (classify): loadEncoder's first-visit path; one image of the job's shape per call.
    async loadClassifier(job) {
      return { ...(await this.loadEncoder(job)), shape: job.data.images.shape };
    },

    async classify(model, image) {
      return outputOf(model.session, { [model.session.inputNames[0]]: new ort.Tensor('float32', image, model.shape) });
    },

    async backendUsed(model) {
      return {
        backend_used: {
          runtime: `onnxruntime-web ${ort.env.versions ? ort.env.versions.web : '?'}`, session_options: model.settings,
          model_from_cache_storage: model.fromCache,
          wasm: { numThreads: plain(ort.env.wasm.numThreads), simd: plain(ort.env.wasm.simd), proxy: plain(ort.env.wasm.proxy),
                  cross_origin_isolated: self.crossOriginIsolated },
          webgpu_adapter: model.backend === 'webgpu' ? await webgpuAdapterInfo() : null,
        },
      };
    },

    // `webdlbench survey`: network types are probed by running one tiny model of each kind
    // (Gemm, Conv + MaxPool, LSTM; written by writer.py: probe_models) on the wasm backend.
    async describe(job) {
      requireOrt();
      configureWasm(job.options || {});
      const probes = (job.survey && job.survey.onnx_probe_models) || {};
      const types = {};
      for (const kind of ['DNN', 'CNN', 'RNN']) {
        const probe = probes[kind];
        if (!probe) {
          types[kind] = { supported: null, evidence: 'no probe model given' };
          continue;
        }
        try {
          const session = await ort.InferenceSession.create(base64Bytes(probe.b64), { executionProviders: ['wasm'] });
          const size = probe.shape.reduce((a, b) => a * b, 1);
          const y = await outputOf(session, { x: new ort.Tensor('float32', new Float32Array(size).fill(0.5), probe.shape) });
          await session.release();
          types[kind] = { supported: y.length > 0 && Array.from(y).every(Number.isFinite), evidence: `${probe.ops} ran on wasm` };
        } catch (error) {
          types[kind] = { supported: false, evidence: `${probe.ops} failed: ${error && error.message ? error.message : error}` };
        }
      }
      return {
        network_types: types,
        layer_types: { count: null, reason: 'operators are compiled into the wasm binary (ONNX operator set); JavaScript cannot list them' },
        activation_types: { count: null, reason: 'activations are ONNX operators inside the wasm binary; not enumerable from JavaScript' },
        optimizer_types: { count: null, reason: 'inference only: no training API in onnxruntime-web 1.30' },
        training_api: typeof ort.TrainingSession === 'function' ? 'ort.TrainingSession' : null,
        save_api: null,
        load_api: 'ort.InferenceSession.create(url | bytes)',
        gpu_api: 'executionProviders: ["webgpu"] (also "webnn"; WebGL is only in ort.webgl / ort.all builds)',
      };
    },
  };
})();
