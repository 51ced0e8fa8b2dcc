// webdlbench page harness: fetch the job, load the framework and its adapter, run the task,
// post one result. Nothing of the harness runs inside a timed region: each timed region holds
// exactly one adapter call, and the adapter returns plain numbers (its result read back).
'use strict';
(() => {
  const params = new URLSearchParams(location.search);
  const PAGE = params.get('page');
  const QUERY = `page=${encodeURIComponent(PAGE)}&token=${encodeURIComponent(params.get('token'))}`;
  const INPUT_SIZE = 784;
  const WARMUP_SHARE = 0.25;  // the most of a replicate's sampling budget warm-up may use

  class Unsupported extends Error {}
  // tasks: job kinds other scripts add (web/webai.js: embed), run like the ones below; beforeScripts:
  // by job kind, what runs before the framework's scripts load (web/memory.js watches their wasm memories).
  window.webdlbench = { adapters: {}, Unsupported, tasks: {}, beforeScripts: {} };
  // The separate passes (web/memory.js, web/qoe.js, web/ops.js; runners/passes.py) use the harness's own helpers.
  window.webdlbench.harness = { mark, loadReferenceInputs, requireVector, describe, Unsupported };

  // The browser's own reports of GPU trouble. A lost WebGL context or WebGPU device, or a GPU
  // out-of-memory error, often leaves the framework waiting forever: it ends the task at once,
  // with the browser's words, instead of running into the harness's timeout.
  const gpuEvents = [];
  let failGpu;
  const gpuFailure = new Promise((_, reject) => { failGpu = reject; });
  gpuFailure.catch(() => {});  // observed by Promise.race below; never an unhandled rejection
  // Libraries also lose contexts on purpose (gpu.js releases its kernels' contexts with
  // WEBGL_lose_context): a loss ends the task only if the task has not finished soon after it.
  const GPU_LOSS_GRACE_MS = 3000;
  function gpuEvent(text, fatal, graceMs = GPU_LOSS_GRACE_MS) {
    gpuEvents.push(text);
    if (fatal) setTimeout(() => failGpu(new Error(text)), graceMs);
  }
  function watchCanvas(prototype) {
    if (!prototype) return;
    const getContext = prototype.getContext;
    prototype.getContext = function (type, ...rest) {
      const context = getContext.call(this, type, ...rest);
      if (context && /webgl/.test(type) && !this.webdlbenchWatched) {
        this.webdlbenchWatched = true;
        this.addEventListener('webglcontextlost', (e) => gpuEvent(`webglcontextlost: ${e.statusMessage || 'the WebGL context was lost'}`, true));
      }
      return context;
    };
  }
  watchCanvas(window.HTMLCanvasElement && HTMLCanvasElement.prototype);
  watchCanvas(window.OffscreenCanvas && OffscreenCanvas.prototype);
  if (window.GPUAdapter) {
    const requestDevice = GPUAdapter.prototype.requestDevice;
    GPUAdapter.prototype.requestDevice = async function (...args) {
      const device = await requestDevice.apply(this, args);
      // No library loses its WebGPU device on purpose: work after the loss measures nothing (TF.js
      // returns at once on a destroyed device), so the task ends at once, with no grace.
      device.lost.then((info) => gpuEvent(`WebGPU device lost (${info.reason}): ${info.message}`, true, 0));
      device.addEventListener('uncapturederror', (e) => gpuEvent(
        `WebGPU ${e.error.constructor.name}: ${e.error.message}`, e.error.constructor.name === 'GPUOutOfMemoryError'));
      return device;
    };
  }

  const loadScript = (src) => new Promise((resolve, reject) => {
    const el = document.createElement('script');
    el.src = src;
    el.onload = resolve;
    el.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.appendChild(el);
  });

  async function fetchOk(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
    return response;
  }

  // Where a page's time goes (ms since navigation; benchmarks/sweep_efficiency.py), never timed.
  const phases = {};
  const phase = (name) => { phases[name] = performance.now(); };

  async function mark(name) {  // phase marks let the harness sample CPU only while measuring
    phase(name);
    await fetch(`/api/mark?${QUERY}`, { method: 'POST', body: name });
  }

  async function loadData(job) {
    const [images, labels] = await Promise.all([
      fetchOk(job.data.images).then((r) => r.arrayBuffer()),
      fetchOk(job.data.labels).then((r) => r.arrayBuffer()),
    ]);
    return { images: new Float32Array(images), labels: new Uint8Array(labels) };
  }

  async function loadWeights(job) {
    const all = new Float32Array(await (await fetchOk(job.weights.url)).arrayBuffer());
    let offset = 0;
    return job.weights.layers.map(([inputs, units]) => {
      const kernel = all.subarray(offset, offset + inputs * units);
      offset += inputs * units;
      const bias = all.subarray(offset, offset + units);
      offset += units;
      return { inputs, units, kernel, bias };
    });
  }

  function requireNumber(value, what) {
    if (typeof value !== 'number') throw new Error(`adapter ${what} returned ${typeof value}, not a number read back`);
    return value;
  }

  function requireVector(value, what) {
    if (!value || typeof value.length !== 'number' || typeof value[0] !== 'number') {
      throw new Error(`adapter ${what} returned no numbers (a tensor not read back?)`);
    }
    return Array.from(value);
  }

  // Training examples of any model kind: `size` floats each, fill(j, xs, offset) and label(j). MNIST
  // digits, or the RNN corpus's windows one-hot encoded (models/corpus.py is the native twin).
  async function loadTrainingData(job) {
    if (job.data.kind === 'text') {
      const tokens = new Uint8Array(await (await fetchOk(job.data.tokens)).arrayBuffer());
      const { vocabulary, sequence_length: length, step } = job.data;
      return {
        size: length * vocabulary,
        count: job.data.train_count,
        fill: (j, xs, offset) => {
          for (let t = 0; t < length; t++) xs[offset + t * vocabulary + tokens[j * step + t]] = 1;
        },
        label: (j) => tokens[j * step + length],
      };
    }
    const data = await loadData(job);
    return {
      size: INPUT_SIZE,
      count: job.data.train_count,
      fill: (j, xs, offset) => xs.set(data.images.subarray(j * INPUT_SIZE, (j + 1) * INPUT_SIZE), offset),
      label: (j) => data.labels[j],
    };
  }

  // Calls per timed region: one, unless a call is shorter than the shortest region (sampling.js
  // minRegionMs: the timer's resolution, and sample_time_s spread over a few hundred samples); then
  // a block whose time is checked once against the timer itself (a call under one tick reads as 0).
  async function calibrateBlock(timeBlock, perCallMs, resolution, sampleTimeS) {
    const S = window.webdlbenchSampling;
    const region = S.minRegionMs(resolution, sampleTimeS);
    let k = S.blockSize(perCallMs > 0 ? perCallMs : resolution / S.TICKS_PER_REGION, region);
    if (k > 1) k = S.blockSize((await timeBlock(k)) / k, region);
    return k;
  }

  async function runTrain(job, adapter, result) {
    const { spec } = job;
    const data = await loadTrainingData(job);
    // A converted model (every kind but the MLP) is loaded from its model file and compiled;
    // the MLP is built from the seeded weights.
    const model = job.model_url ? await adapter.loadTrainable(job.model_url, job.options)
      : await adapter.build(await loadWeights(job), job.options);
    const batchSize = spec.batch;
    const trainCount = data.count;
    let cursor = 0;
    const nextBatch = () => {
      const xs = new Float32Array(batchSize * data.size);
      const ys = new Uint8Array(batchSize);
      for (let i = 0; i < batchSize; i++, cursor = (cursor + 1) % trainCount) {
        data.fill(cursor, xs, i * data.size);
        ys[i] = data.label(cursor);
      }
      return adapter.prepareBatch(xs, ys, batchSize);
    };
    const S = window.webdlbenchSampling;
    const resolution = S.timerResolutionMs(() => performance.now());
    const train = async (batches) => {  // one timed region: the adapter's calls and nothing else
      const losses = [];
      const start = performance.now();
      for (const batch of batches) losses.push(await adapter.trainBatch(model, batch));
      const elapsed = performance.now() - start;
      for (const batch of batches) if (adapter.releaseBatch) adapter.releaseBatch(batch);
      for (const loss of losses) result.losses.push(requireNumber(loss, 'trainBatch'));
      return elapsed;
    };
    const warmup = [], samples = [];
    await mark('measure');
    const started = performance.now();
    const deadline = started + spec.time_budget_s * 1000;
    const warmupDeadline = started + WARMUP_SHARE * spec.time_budget_s * 1000;
    // Warm-up until the timings settle (at least spec.warmup batches, at most max_warmup, and
    // within its share of the budget); then samples, each a block of k batches if one is too short.
    while (warmup.length < spec.warmup || (warmup.length < spec.max_warmup && !S.settled(warmup, spec.warmup)
           && performance.now() < warmupDeadline)) {
      warmup.push(await train([nextBatch()]));
    }
    const k = await calibrateBlock((count) => train(Array.from({ length: count }, nextBatch)),
      warmup.length ? S.median(warmup.slice(-S.WINDOW)) : 0, resolution, spec.sample_time_s);
    let timed = 0;
    for (let i = 0; S.wantsSample(i, timed, spec.samples, spec.sample_time_s); i++) {
      if (i > 0 && performance.now() > deadline) break;  // at least one sample
      const batches = Array.from({ length: k }, nextBatch);
      const elapsed = await train(batches);
      timed += elapsed;
      samples.push(elapsed / k);
    }
    await mark('done');
    result.metrics.train_warmup_ms = warmup;
    result.metrics.train_batch_ms = samples;
    Object.assign(result.sampling, { warmup_calls: warmup.length, warmup_settled: S.settled(warmup, spec.warmup),
      block_calls: k, timer_resolution_ms: resolution });
    if (adapter.dispose) adapter.dispose(model);
  }

  // The reference inputs of the output check: held-out MNIST digits, or (converted models) the
  // artifact's own file of float32 inputs of any shape (images, one-hot character windows).
  async function loadReferenceInputs(job) {
    const refs = [];
    if (job.data.reference_inputs) {
      const { url, count } = job.data.reference_inputs;
      const all = new Float32Array(await (await fetchOk(url)).arrayBuffer());
      const size = all.length / count;
      for (let i = 0; i < count; i++) refs.push(all.slice(i * size, (i + 1) * size));
      return refs;
    }
    const data = await loadData(job);
    const offset = job.data.reference_offset;
    for (let i = 0; i < job.data.reference_count; i++) {
      refs.push(data.images.slice((offset + i) * INPUT_SIZE, (offset + i + 1) * INPUT_SIZE));
    }
    return refs;
  }

  // Steady-state samples of call(count, offset) (a timed region of `count` calls; ms) after warm-up
  // (firstMs counts as one) until the timings settle, within its budget (twin: worker.py steady_state).
  async function steadyState(call, firstMs, spec, result) {
    const S = window.webdlbenchSampling;
    const resolution = S.timerResolutionMs(() => performance.now());
    const warm = [];
    const started = performance.now();
    const deadline = started + spec.time_budget_s * 1000;
    const warmupDeadline = started + WARMUP_SHARE * spec.time_budget_s * 1000;
    while (warm.length + 1 < spec.warmup || (warm.length < spec.max_warmup && !S.settled(warm, spec.warmup)
           && performance.now() < warmupDeadline)) {
      warm.push(await call(1, warm.length + 1));
    }
    const k = await calibrateBlock((count) => call(count, 0), warm.length ? S.median(warm.slice(-S.WINDOW)) : firstMs,
      resolution, spec.sample_time_s);
    const samples = [];
    let timed = 0;
    for (let i = 0; S.wantsSample(i, timed, spec.samples, spec.sample_time_s); i++) {
      if (i > 0 && performance.now() > deadline) break;
      const elapsed = await call(k, i * k);
      timed += elapsed;
      samples.push(elapsed / k);
    }
    Object.assign(result.sampling, { warmup_calls: warm.length + 1, warmup_settled: S.settled(warm, spec.warmup),
      block_calls: k, timer_resolution_ms: resolution });
    return samples;
  }

  async function runInfer(job, adapter, result) {
    const { spec } = job;
    const refs = await loadReferenceInputs(job);
    const predict = async (count, offset) => {  // one timed region: `count` predictions, read back
      let out;
      const start = performance.now();
      for (let j = 0; j < count; j++) out = await adapter.predict(model, refs[(offset + j) % refs.length]);
      const elapsed = performance.now() - start;
      requireVector(out, 'predict');
      return elapsed;
    };
    await mark('measure');
    let start = performance.now();
    const model = await adapter.load(job.model_url);
    result.metrics.load_ms = [performance.now() - start];
    start = performance.now();
    const first = await adapter.predict(model, refs[0]);
    result.metrics.warmup_ms = [performance.now() - start];
    result.warmup_output = requireVector(first, 'predict');
    // Steady state starts after the warm-up predictions (the first is warmup_ms).
    result.metrics.infer_ms = await steadyState(predict, result.metrics.warmup_ms[0], spec, result);
    await mark('done');
    // The output check, untimed: every reference input once.
    for (const ref of refs) result.outputs.push(requireVector(await adapter.predict(model, ref), 'predict'));
    if (adapter.dispose) adapter.dispose(model);
    if (job.encodings) await window.webdlbenchEncodings.time(job, adapter, result);  // encodings.js
  }

  async function runPrepare(job, adapter, result) {
    const model = await adapter.build(await loadWeights(job), job.options);
    await adapter.save(model, job.upload_url);
    if (adapter.dispose) adapter.dispose(model);
  }

  const RUNNERS = { train: runTrain, infer: runInfer, prepare: runPrepare, env: async () => {},
    memory: (...args) => window.webdlbenchPasses.memory(...args), qoe: (...args) => window.webdlbenchPasses.qoe(...args),
    ops: (...args) => window.webdlbenchPasses.ops(...args) };
  Object.assign(window.webdlbench, { mark, loadScript, fetchOk, requireVector, steadyState, describeGpuAdapter });  // for tasks, adapters

  // The WebGPU adapter a framework runs on (a GPUAdapter, or the GPUAdapterInfo it keeps), in one
  // shape for every framework: null without one, the error's words when asking for it fails.
  async function describeGpuAdapter(find) {
    try {
      const adapter = await find();
      if (!adapter) return null;
      const info = adapter.info || adapter;
      return { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
               is_fallback: adapter.isFallbackAdapter ?? info.isFallbackAdapter ?? null };
    } catch (error) {
      return { error: String(error) };
    }
  }

  // What this browser offers, seen from the page: taken after measuring, so that probing
  // WebGL/WebGPU never disturbs a measurement.
  async function fingerprint() {
    const env = {
      user_agent: navigator.userAgent,
      hardware_concurrency: navigator.hardwareConcurrency,
      device_memory_gb: navigator.deviceMemory ?? null,
      cross_origin_isolated: self.crossOriginIsolated,
      shared_array_buffer: typeof SharedArrayBuffer !== 'undefined',
      // A module using one SIMD instruction (v128.const): validates only where wasm SIMD exists.
      wasm_simd: WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123,
        3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11])),
    };
    env.wasm_threads = env.cross_origin_isolated && env.shared_array_buffer;
    try {
      const gl = document.createElement('canvas').getContext('webgl2') || document.createElement('canvas').getContext('webgl');
      const info = gl && gl.getExtension('WEBGL_debug_renderer_info');
      env.webgl_version = gl ? (typeof WebGL2RenderingContext !== 'undefined' && gl instanceof WebGL2RenderingContext ? 2 : 1) : null;
      env.webgl_renderer = gl ? gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) : null;
      env.webgl_vendor = gl ? gl.getParameter(info ? info.UNMASKED_VENDOR_WEBGL : gl.VENDOR) : null;
      env.webgl_max_texture_size = gl ? gl.getParameter(gl.MAX_TEXTURE_SIZE) : null;
      const lose = gl && gl.getExtension('WEBGL_lose_context');
      if (lose) lose.loseContext();
    } catch (e) {
      env.webgl_renderer = null;
      env.webgl_error = String(e);
    }
    const adapter = navigator.gpu ? await navigator.gpu.requestAdapter().catch((e) => { env.webgpu_error = String(e); }) : null;
    env.webgpu_adapter = adapter ? { ...(await describeGpuAdapter(() => adapter)), max_buffer_size: adapter.limits.maxBufferSize } : null;
    return env;
  }

  function describe(error) {
    if (error instanceof Unsupported) return error.message;  // already a sentence of its own
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    return String(error);
  }

  async function main() {
    const result = { page: PAGE, outcome: 'ok', error: '', metrics: {}, outputs: [], losses: [], info: {},
      environment: {}, warmup_output: [], sampling: {} };
    phase('loaded');
    try {
      const job = await (await fetchOk(`/api/job?${QUERY}`)).json();
      phase('job');
      if (window.webdlbench.beforeScripts[job.kind]) window.webdlbench.beforeScripts[job.kind](job);
      for (const src of job.scripts) await loadScript(src);
      for (const src of job.adapters) await loadScript(src);
      phase('scripts');
      if (job.framework) {
        const adapter = window.webdlbench.adapters[job.framework];
        if (!adapter) throw new Error(`adapter for ${job.framework} did not register`);
        // The contract (contract.py) names the methods this job calls: a missing one is said at once.
        const missing = (job.required_methods || []).filter((name) => typeof adapter[name] !== 'function');
        if (missing.length) {
          throw new Error(`adapter ${job.framework} lacks ${missing.join(', ')}, which a ${job.kind} job needs`);
        }
        Object.assign(result.info, await Promise.race([adapter.init(job), gpuFailure]));
        phase('init');
        const run = RUNNERS[job.kind] || window.webdlbench.tasks[job.kind];
        if (!run) throw new Error(`no page task ${job.kind} (a script that adds it, e.g. /webai.js, did not load)`);
        await Promise.race([run(job, adapter, result), gpuFailure]);
        phase('task');
      } else {
        for (const [name, adapter] of Object.entries(window.webdlbench.adapters)) {
          result.info[name] = adapter.version();
        }
      }
    } catch (error) {
      result.outcome = error instanceof Unsupported ? 'unsupported' : 'error';
      result.error = describe(error);
    }
    if (gpuEvents.length) {
      result.info.gpu_events = gpuEvents.slice(0, 20);
      if (result.outcome !== 'ok' && !result.error.includes(gpuEvents[0])) result.error += ` (GPU: ${gpuEvents.join(' | ')})`;
    }
    try {
      result.environment = await fingerprint();
    } catch (error) {
      result.environment = { fingerprint_error: describe(error) };
    }
    phase('fingerprint');
    result.sampling.phases_ms = phases;
    document.getElementById('status').textContent = `webdlbench: ${result.outcome}`;
    await fetch(`/api/result?${QUERY}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(result),
    });
  }

  window.addEventListener('load', main);
})();
