// The responsiveness pass's Web Worker (web/qoe.js): the framework's bundles and adapter, loaded
// here as the page loads them, run the same steady inference loop off the main thread. Adapters
// register on `window.webdlbench`: in a worker, `window` is the worker's global scope.
'use strict';
self.window = self;
class Unsupported extends Error {}
self.webdlbench = { adapters: {}, Unsupported };

let adapter = null;
let model = null;
let refs = [];
let stage = 'load';  // 'load': the library cannot run here (unsupported); later, the adapter misbehaved

// The page's requireVector (web/harness.js), which a worker cannot reach: an output must be numbers.
function requireVector(value) {
  if (!value || typeof value.length !== 'number' || typeof value[0] !== 'number') {
    throw new Error('adapter predict returned no numbers (a tensor not read back?)');
  }
  return value;
}

const describe = (error) => (error instanceof Unsupported ? error.message
  : error instanceof Error ? `${error.name}: ${error.message}` : String(error));

async function load({ job, refs: inputs, warmup }) {
  refs = inputs;
  for (const src of [...job.scripts, ...job.adapters]) importScripts(src);
  adapter = self.webdlbench.adapters[job.framework];
  if (!adapter) throw new Error(`adapter for ${job.framework} did not register in a worker`);
  const info = await adapter.init(job);
  const loadStart = performance.now();
  model = await adapter.load(job.model_url);
  const loadMs = performance.now() - loadStart;
  stage = 'first';
  const firstStart = performance.now();
  const first = await adapter.predict(model, refs[0]);
  const firstMs = performance.now() - firstStart;  // the page's 'worker_first' phase reports both
  requireVector(first);  // checked outside the timed call
  for (let i = 1; i < Math.max(1, warmup); i++) requireVector(await adapter.predict(model, refs[i % refs.length]));
  return { type: 'ready', info, load_ms: loadMs, first_ms: firstMs };
}

async function run({ seconds }) {
  const times = [];
  const stop = performance.now() + seconds * 1000;
  for (let i = 0; performance.now() < stop; i++) {
    const start = performance.now();
    const out = await adapter.predict(model, refs[i % refs.length]);
    times.push(performance.now() - start);
    requireVector(out);  // checked outside the timed call
  }
  return { type: 'times', times };
}

self.onmessage = async ({ data }) => {
  try {
    self.postMessage(await (data.type === 'load' ? load(data) : run(data)));
  } catch (error) {
    self.postMessage({ type: 'error', error: describe(error), unsupported: error instanceof Unsupported, stage });
  }
};
