// webdlbench's RQ4 page tasks (models/webai/), added to the harness's tasks (harness.js). A job of
// kind `embed`, `classify` or `generate` is one visit of a replicate (runners/webai.py): the cold visit, in a
// browser context whose caches are empty, times loading the model and its first inference; the
// warm visit, in the same context, times loading it again and then the steady state. Each timed
// region holds one adapter call, and the adapter returns its result read back (numbers): an
// embedding, an image's class outputs, or a generation's tokens with the time each arrived.
'use strict';
(() => {
  const W = window.webdlbench;
  // Messages the runtime prints while its session is made (ONNX Runtime's warnings about nodes
  // it placed on another execution provider, a fallback to wasm): kept with the result, at most:
  const MAX_MESSAGES = 20;

  async function loadIds(job) {
    const { url, count, length } = job.data.ids;
    const all = new Int32Array(await (await W.fetchOk(url)).arrayBuffer());
    return Array.from({ length: count }, (_, i) => Array.from(all.subarray(i * length, (i + 1) * length)));
  }

  // A model file's bytes from the app's own Cache Storage when a visit before put them there, else
  // fetched and put there: what an app does for its second visit with a runtime that keeps nothing.
  async function cachedBytes(cacheName, url) {
    const cache = await caches.open(cacheName);
    let response = await cache.match(url);
    const fromCache = response !== undefined;
    if (!fromCache) {
      response = await W.fetchOk(url);
      await cache.put(url, response.clone());
    }
    return { bytes: new Uint8Array(await response.arrayBuffer()), fromCache };
  }
  W.cachedBytes = cachedBytes;

  // An RQ4 adapter's init for a WebGPU spec: `unsupported` in the browser's words when it has none.
  async function requireWebGpu() {
    if (!navigator.gpu) throw new W.Unsupported('WebGPU is not available in this browser (no navigator.gpu)');
    if (!(await navigator.gpu.requestAdapter())) throw new W.Unsupported('WebGPU: navigator.gpu.requestAdapter() returned null');
  }
  W.requireWebGpu = requireWebGpu;

  // What the page's origin holds in Cache Storage and IndexedDB: empty at the start of a cold
  // visit, filled by the runtime (or the adapter, as an app would) for the warm one.
  async function storedHere() {
    const stored = { cache_storage: {}, indexeddb: null };
    if (self.caches) {
      for (const name of await caches.keys()) stored.cache_storage[name] = (await (await caches.open(name)).keys()).length;
    }
    if (self.indexedDB && indexedDB.databases) stored.indexeddb = (await indexedDB.databases()).map((d) => d.name);
    if (navigator.storage && navigator.storage.getDirectory) {  // the origin-private file system (wllama's cache)
      stored.opfs = [];
      try {
        for await (const name of (await navigator.storage.getDirectory()).keys()) stored.opfs.push(name);
      } catch (error) {
        stored.opfs = `unreadable: ${error}`;
      }
    }
    return stored;
  }

  // Calls `work` while console.warn/error/log are copied into `into` (and still printed).
  async function withConsoleCopied(into, work) {
    const originals = {};
    for (const level of ['warn', 'error', 'log']) {
      originals[level] = console[level];
      console[level] = (...args) => {
        // Without the terminal colour codes ONNX Runtime wraps its log lines in.
        const text = args.map(String).join(' ').replace(/\u001b\[[0-9;]*m/g, '');
        if (into.length < MAX_MESSAGES) into.push(`${level}: ${text.slice(0, 500)}`);
        originals[level].apply(console, args);
      };
    }
    try {
      return await work();
    } finally {
      Object.assign(console, originals);
    }
  }

  // An image classifier's inputs: `count` preprocessed images of `shape` ([1, ...]), each its own array.
  async function loadImages(job) {
    const { url, count, shape } = job.data.images;
    const all = new Float32Array(await (await W.fetchOk(url)).arrayBuffer());
    const size = shape.reduce((a, b) => a * b, 1);
    return Array.from({ length: count }, (_, i) => all.slice(i * size, (i + 1) * size));
  }

  // A task of one input in, one vector out (embed: token ids; classify: an image), one visit:
  // `load` is the adapter's loader, `call` its inference.
  async function runOneInput(job, adapter, result, inputs, load, call, what) {
    const cold = job.visit === 'cold';
    result.info.visit = job.visit;
    result.info.stored_before = await storedHere();
    const messages = [];
    await W.mark('measure');
    let start = performance.now();
    const model = await withConsoleCopied(messages, () => load(job));
    const loadMs = performance.now() - start;
    start = performance.now();
    const first = await call(model, inputs[0]);
    const firstMs = performance.now() - start;
    result.warmup_output = W.requireVector(first, what);
    if (cold) {
      result.metrics.cold_load_ms = [loadMs];
      result.metrics.first_infer_ms = [firstMs];
    } else {
      result.metrics.warm_load_ms = [loadMs];
      result.metrics.warmup_ms = [firstMs];
      const timed = async (count, offset) => {  // one timed region: `count` inferences, the last read back
        let out;
        const begin = performance.now();
        for (let j = 0; j < count; j++) out = await call(model, inputs[(offset + j) % inputs.length]);
        const elapsed = performance.now() - begin;
        W.requireVector(out, what);
        return elapsed;
      };
      result.metrics.infer_ms = await W.steadyState(timed, firstMs, job.spec, result);
    }
    await W.mark('done');
    // The output check, untimed: every reference input once.
    for (const input of inputs) result.outputs.push(W.requireVector(await call(model, input), what));
    Object.assign(result.info, await adapter.backendUsed(model));
    result.info.runtime_messages = messages;
    result.info.stored_after = await storedHere();
    if (adapter.dispose) await adapter.dispose(model);
  }

  async function runEmbed(job, adapter, result) {
    await runOneInput(job, adapter, result, await loadIds(job), (j) => adapter.loadEncoder(j),
                      (model, ids) => adapter.embed(model, ids), 'embed');
  }

  async function runClassify(job, adapter, result) {
    await runOneInput(job, adapter, result, await loadImages(job), (j) => adapter.loadClassifier(j),
                      (model, image) => adapter.classify(model, image), 'classify');
  }

  // A generation as the adapter returns it: `count` token ids, and when each arrived (ms after the
  // call began); fewer tokens than asked are kept as they are, for the check to catch.
  function requireGeneration(run) {
    if (!run || !Array.isArray(run.tokens) || !Array.isArray(run.stamps) || run.tokens.length !== run.stamps.length
        || !run.tokens.length) {
      throw new Error('adapter generate returned no tokens with their times');
    }
    return run;
  }

  async function runGenerate(job, adapter, result) {
    const { spec } = job;
    const [ids] = await loadIds(job);
    const prompt = { ids, text: await (await W.fetchOk(job.data.prompt_text)).text() };
    const count = job.data.generated;
    const cold = job.visit === 'cold';
    result.info.visit = job.visit;
    result.info.stored_before = await storedHere();
    const messages = [];
    let last = null;
    const generate = async () => {  // one timed region: the adapter's call, its tokens read back
      last = requireGeneration(await adapter.generate(model, prompt, count));
      result.outputs.push(last.tokens.map(Number));
      return last;
    };
    await W.mark('measure');
    const start = performance.now();
    const model = await withConsoleCopied(messages, () => adapter.loadGenerator(job));
    const loadMs = performance.now() - start;
    const first = await generate();
    result.warmup_output = result.outputs[0];
    if (cold) {
      result.metrics.cold_load_ms = [loadMs];
      result.metrics.first_infer_ms = [first.stamps[0]];
    } else {
      result.metrics.warm_load_ms = [loadMs];
      result.metrics.warmup_ms = [first.stamps[0]];
      for (let i = 1; i < spec.warmup; i++) await generate();
      const ttft = [], prefill = [], decode = [];
      const deadline = performance.now() + spec.time_budget_s * 1000;
      for (let i = 0; i < spec.samples && (i === 0 || performance.now() < deadline); i++) {
        const run = await generate();
        const [firstMs, lastMs] = [run.stamps[0], run.stamps[run.stamps.length - 1]];
        ttft.push(firstMs);
        prefill.push(prompt.ids.length / (firstMs / 1000));
        if (run.stamps.length > 1) decode.push((run.stamps.length - 1) / ((lastMs - firstMs) / 1000));
      }
      Object.assign(result.metrics, { ttft_ms: ttft, prefill_tok_s: prefill, decode_tok_s: decode });
      result.sampling.generations = ttft.length;
    }
    await W.mark('done');
    Object.assign(result.info, await adapter.backendUsed(model));
    result.info.runtime_timings = last.timings || null;  // the runtime's own account, where it gives one
    result.info.runtime_messages = messages;
    result.info.stored_after = await storedHere();
    if (adapter.dispose) await adapter.dispose(model);
  }

  W.tasks.embed = runEmbed;
  W.tasks.generate = runGenerate;
  W.tasks.classify = runClassify;
})();
