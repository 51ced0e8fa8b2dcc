// webdlbench's RQ4 page tasks (models/webai/), added to the harness's tasks (harness.js). A job of
// kind `embed` is one visit of a replicate (runners/webai.py): the cold visit, in a browser context
// whose caches are empty, times loading the encoder and its first embedding; the warm visit, in
// the same context, times loading it again and then the steady state. Each timed region holds one
// adapter call, and the adapter returns the embedding read back (numbers).
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

  W.tasks.embed = runEmbed;
})();
