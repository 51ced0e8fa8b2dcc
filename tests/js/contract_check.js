// The page side of the contract, checked in Node without a browser (tests/test_contract.py runs it):
//   node contract_check.js harness HARNESS.js SAMPLING.js JOB.json [WEBAI.js]
//                                                                    -> the reply harness.js posts
//   node contract_check.js adapter ADAPTER.js NAME                   -> the methods the adapter registers
// harness.js runs in a vm sandbox whose fetch serves the job and whose document loads a stub adapter
// (a tiny MLP in plain JS, and a stub encoder and classifier for embed and classify jobs, which
// also load WEBAI.js as /webai.js); the reply it POSTs to /api/result is printed as JSON.
'use strict';
const fs = require('fs');
const vm = require('vm');

function sandbox() {
  const listeners = {};
  const window = {
    addEventListener: (type, fn) => { (listeners[type] = listeners[type] || []).push(fn); },
  };
  const context = {
    window, self: window, console, performance, setTimeout, clearTimeout, Promise, URLSearchParams,
    WebAssembly, Float32Array, Uint8Array, Int32Array, Array, Math, Object, Error, JSON, String, Number,
    location: { search: '?page=p1&token=t1' },
    navigator: { userAgent: 'node', hardwareConcurrency: 2 },
    crossOriginIsolated: false,
  };
  Object.assign(window, context);
  context.fire = async (type) => { for (const fn of listeners[type] || []) await fn(); };
  return vm.createContext(context);
}

// A stub adapter: an MLP forward pass and an SGD-free "training" whose loss falls.
const STUB_ADAPTER = `
window.webdlbench.adapters.stub = {
  version: () => '0',
  async init(job) { return { backend: 'cpu' }; },
  build(layers, options) { return { layers, loss: 2.5 }; },
  prepareBatch(xs, ys, n) { return { xs, ys, n }; },
  trainBatch(model, batch) { model.loss *= 0.9; return model.loss; },
  async load(url) { return { out: 10 }; },
  predict(model, x) { const o = new Float32Array(model.out); o[0] = x[0]; return o; },
  async loadEncoder(job) { return { width: 3 }; },
  async embed(model, ids) { return new Float32Array([ids[0], ids.length, model.width]); },
  async loadClassifier(job) { return { classes: 7 }; },
  async classify(model, image) { return new Float32Array([image[0], image.length, model.classes]); },
  async backendUsed(model) { return { backend_used: { runtime: 'stub' } }; },
  dispose() {},
};`;

async function harness(harnessPath, samplingPath, jobPath, webaiPath) {
  const job = JSON.parse(fs.readFileSync(jobPath, 'utf8'));
  const context = sandbox();
  let posted = null;
  const files = {
    '/data/images': new Float32Array(784 * 16).buffer, '/data/labels': new Uint8Array(16).buffer,
    '/data/weights': new Float32Array(784 * 4 + 4 + 4 * 10 + 10).buffer,
    '/data/ids': new Int32Array([2, 7, 9, 3, 5, 8, 5, 3]).buffer,  // two sequences of four token ids
    '/data/pixels': new Float32Array([1, 0, 0, 0, 6, 0, 0, 0]).buffer,  // two images of [1, 2, 2, 1]
  };
  const scripts = { '/stub-adapter.js': STUB_ADAPTER, '/webai.js': webaiPath ? fs.readFileSync(webaiPath, 'utf8') : '' };
  context.fetch = context.window.fetch = async (url, init) => {
    const path = url.split('?')[0];
    if (path === '/api/result') { posted = JSON.parse(init.body); return { ok: true }; }
    if (path === '/api/mark') return { ok: true };
    if (path === '/api/job') return { ok: true, json: async () => job };
    if (files[path]) return { ok: true, arrayBuffer: async () => files[path] };
    return { ok: false, status: 404 };
  };
  context.document = context.window.document = {
    head: { appendChild: (el) => { vm.runInContext(scripts[el.src] || '', context); el.onload(); } },
    createElement: (tag) => ({ tag, getContext: () => null }),
    getElementById: () => ({ textContent: '' }),
  };
  vm.runInContext(fs.readFileSync(samplingPath, 'utf8'), context);
  vm.runInContext(fs.readFileSync(harnessPath, 'utf8'), context);
  await context.fire('load');
  process.stdout.write(JSON.stringify(posted));
}

function adapter(adapterPath, name) {
  const context = sandbox();
  context.window.webdlbench = { adapters: {}, Unsupported: class Unsupported extends Error {} };
  vm.runInContext(fs.readFileSync(adapterPath, 'utf8'), context);
  const registered = context.window.webdlbench.adapters[name];
  const methods = registered ? Object.keys(registered).filter((k) => typeof registered[k] === 'function') : null;
  process.stdout.write(JSON.stringify({ registered: !!registered, methods }));
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'harness') harness(...args).catch((e) => { console.error(e); process.exit(1); });
else if (mode === 'adapter') adapter(...args);
else { console.error('usage: contract_check.js harness|adapter ...'); process.exit(2); }
