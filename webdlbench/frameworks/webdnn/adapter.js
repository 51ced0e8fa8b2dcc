// WebDNN 1.2.11 adapter (inference only). WebDNN.load(directory, {backendOrder}) starts one backend
// and fetches that backend's descriptor (graph_<backend>.json + weight_<backend>.bin) from the
// folder; runner.run() executes every kernel, and on webgl reads the output texture back
// (readPixels) before it resolves, so predict returns numbers that were computed, not queued.
//
// Loading is pinned to the backend asked for (no fallback to another one) and to the network
// (no IndexedDB cache): every fresh page pays the whole model load, as the harness measures it.
'use strict';
(() => {
  const { Unsupported } = window.webdlbench;
  const LOAD_OPTIONS = { cacheStrategy: 'networkOnly', saveCache: false };
  let backend = null;

  // WebDNN reports a backend that fails to start, or a descriptor that fails to load, only on the
  // console ("Failed to initialize webgpu backend: ...") and then says "No backend is available".
  async function capturingWarnings(work) {
    const said = [];
    const originals = { warn: console.warn, error: console.error };
    for (const level of Object.keys(originals)) {
      console[level] = (...args) => { said.push(args.map(String).join(' ')); originals[level].apply(console, args); };
    }
    try {
      return { value: await work(), said };
    } catch (error) {
      return { error, said };
    } finally {
      Object.assign(console, originals);
    }
  }

  const folderOf = (url) => url.replace(/\/+$/, '');
  const describe = (error) => (error instanceof Error ? error.message : String(error));

  // `webdlbench survey` (paper Table 1): what the loaded library offers, counted from the library
  // itself; each answer states its counting rule ("method"), as docs/frameworks.md lists them.
  function describeLibrary() {
    const W = window.WebDNN;
    const availability = W.getBackendAvailability ? W.getBackendAvailability().status : {};
    const reason = 'WebDNN runs graph descriptors its Python converter compiled; the runtime has no layer API to list or build from';
    return {
      network_types: Object.fromEntries(['DNN', 'CNN', 'RNN'].map((k) => [k, { supported: null, evidence: reason }])),
      layer_types: { count: null, reason },
      activation_types: { count: null, reason },
      optimizer_types: { count: null, reason: 'inference only: no training code in the runtime' },
      training_api: null,
      save_api: null,
      load_api: typeof W.load === 'function' ? 'WebDNN.load(directory, {backendOrder})' : null,
      gpu_api: 'backends available here: ' + Object.entries(availability).map(([k, v]) => `${k}=${v}`).join(', '),
    };
  }

  window.webdlbench.adapters.webdnn = {
    version: () => null,  // the bundle carries no version string; the harness reads package.json

    async init(job) {
      backend = job.spec.backend;
      const availability = WebDNN.getBackendAvailability();
      const info = { backend, backend_availability: availability.status, default_order: availability.defaultOrder };
      if (!(backend in availability.status)) throw new Error(`WebDNN has no backend named ${backend}`);
      if (backend === 'webassembly' && job.options.webassembly_unavailable) {
        throw new Unsupported(job.options.webassembly_unavailable);
      }
      if (!availability.status[backend]) {
        // Let WebDNN try to start it anyway, so that the outcome carries the browser's own reason.
        const { error, said } = await capturingWarnings(
          () => WebDNN.load(folderOf(job.model_url), { ...LOAD_OPTIONS, backendOrder: [backend] }));
        const reasons = [...said, ...(error ? [describe(error)] : [])];
        throw new Unsupported(`WebDNN backend ${backend} is not available in this browser: ${reasons.join(' | ')}`);
      }
      return info;
    },

    async load(url) {
      const { value: runner, error, said } = await capturingWarnings(
        () => WebDNN.load(folderOf(url), { ...LOAD_OPTIONS, backendOrder: [backend] }));
      if (error) throw new Error([describe(error), ...said].join(' | '));
      if (runner.backendName !== backend) throw new Error(`WebDNN started backend ${runner.backendName}, not ${backend}`);
      return { runner, input: runner.getInputViews()[0], output: runner.getOutputViews()[0] };
    },

    async predict(model, x) {
      model.input.set(x);
      await model.runner.run();
      return model.output.toActual().slice();  // a view into WebDNN's buffer, reused by the next run
    },

    describe() {
      return describeLibrary();
    },
  };
})();
