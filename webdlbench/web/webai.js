// webdlbench's RQ4 page tasks (models/webai/), added to the harness's tasks (harness.js). A job of
// kind `embed` or `generate` is one visit of a replicate (runners/webai.py): the cold visit, in a
// browser context whose caches are empty, times loading the model and its first inference; the
// warm visit, in the same context, times loading it again and then the steady state. Each timed
// region holds one adapter call, and the adapter returns its result read back (numbers): an
// embedding, or a generation's tokens with the time each arrived.
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

  async function runEmbed(job, adapter, result) {
    const rows = await loadIds(job);
    const cold = job.visit === 'cold';
    result.info.visit = job.visit;
    result.info.stored_before = await storedHere();
    const messages = [];
    await W.mark('measure');
    let start = performance.now();
    const model = await withConsoleCopied(messages, () => adapter.loadEncoder(job));
    const loadMs = performance.now() - start;
    start = performance.now();
    const first = await adapter.embed(model, rows[0]);
    const firstMs = performance.now() - start;
    result.warmup_output = W.requireVector(first, 'embed');
    if (cold) {
      result.metrics.cold_load_ms = [loadMs];
      result.metrics.first_infer_ms = [firstMs];
    } else {
      result.metrics.warm_load_ms = [loadMs];
      result.metrics.warmup_ms = [firstMs];
      const embed = async (count, offset) => {  // one timed region: `count` embeddings, read back
        let out;
        const begin = performance.now();
        for (let j = 0; j < count; j++) out = await adapter.embed(model, rows[(offset + j) % rows.length]);
        const elapsed = performance.now() - begin;
        W.requireVector(out, 'embed');
        return elapsed;
      };
      result.metrics.infer_ms = await W.steadyState(embed, firstMs, job.spec, result);
    }
    await W.mark('done');
    // The output check, untimed: every reference sequence once.
    for (const row of rows) result.outputs.push(W.requireVector(await adapter.embed(model, row), 'embed'));
    Object.assign(result.info, await adapter.backendUsed(model));
    result.info.runtime_messages = messages;
    result.info.stored_after = await storedHere();
    if (adapter.dispose) await adapter.dispose(model);
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
})();
