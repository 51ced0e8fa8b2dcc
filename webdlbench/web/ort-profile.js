// ONNX Runtime Web's own profilers, read for the operators pass (web/ops.js through the
// onnxruntime_web adapter's profileRuns):
// * the session profiler (session option enableProfiling): ORT's wasm build prints its Chrome trace
//   on stdout, one event a line, when the profile ends (session.endProfiling()); emscripten binds
//   stdout to console.log when the runtime starts, so capture() wraps console.log before that and
//   keeps what arrives while a read is open. Each node's `_kernel_time` event is its time on the
//   thread that ran it: trusted for the CPU (wasm) execution provider.
// * WebGPU kernels (env.webgpu.profiling, mode 'default'): ORT reads each kernel's start and end
//   GPU timestamps back only where the device has the `timestamp-query` feature; without it there
//   are no GPU times at all, and the kernels are listed with no number and the reason.
'use strict';
(() => {
  const KERNEL_SUFFIX = '_kernel_time';
  const CPU_PROVIDER = 'CPUExecutionProvider';
  const TIMESTAMP_FEATURES = ['timestamp-query', 'chromium-experimental-timestamp-query-inside-passes'];
  const state = { installed: false, lines: null, gpu: null };

  // Before the runtime starts (the adapter's init() on an ops page): console.log, wrapped once.
  function capture() {
    if (state.installed) return;
    const original = console.log;
    console.log = function (...args) {
      if (state.lines && args.length === 1 && typeof args[0] === 'string') {
        state.lines.push(args[0]);
        return undefined;
      }
      return original.apply(this, args);
    };
    state.installed = true;
  }

  // What `finish` (session.endProfiling) prints, parsed: ORT's trace events.
  function readProfile(finish) {
    state.lines = [];
    let lines;
    try {
      finish();
    } finally {
      lines = state.lines;
      state.lines = null;
    }
    return lines.map((line) => line.trim().replace(/,$/, '')).filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
  }

  // The last `count` model_run events' node kernels, each run's in execution order.
  function kernelsPerRun(events, count) {
    const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts).slice(-count);
    const nodes = events.filter((e) => e.cat === 'Node' && e.name.endsWith(KERNEL_SUFFIX)).sort((a, b) => a.ts - b.ts);
    return runs.map((run) => nodes.filter((e) => e.ts >= run.ts && e.ts <= run.ts + run.dur).map((e) => ({
      name: e.args.op_name, node: e.name.slice(0, -KERNEL_SUFFIX.length), provider: e.args.provider,
      ms: e.dur / 1000, inputs: e.args.input_type_shape, outputs: e.args.output_type_shape })));
  }

  function gpuTimestamps(device) {
    return Boolean(device && device.features && TIMESTAMP_FEATURES.some((f) => device.features.has(f)));
  }

  // WebGPU: ORT calls ondata once per kernel when its timestamps are read back; they are kept per
  // prediction, between startRun() and endRun().
  function watchGpu(env) {
    env.webgpu.profiling = { mode: 'default', ondata: (data) => { if (state.gpu) state.gpu.push(data); } };
  }

  function startRun() {
    state.gpu = [];
  }

  async function endRun(device) {
    if (device) await device.queue.onSubmittedWorkDone();
    await new Promise((resolve) => setTimeout(resolve, 0));  // the timestamps' own read-back resolves first
    const bucket = state.gpu;
    state.gpu = null;
    return bucket;
  }

  // A run's session kernels with their GPU times: CPU kernels keep the session profiler's time, the
  // others take the GPU time of their node's programs, or no number and the reason.
  function withGpuTimes(kernels, bucket, timestamps) {
    const gpuMs = {};
    for (const d of bucket || []) gpuMs[d.kernelName] = (gpuMs[d.kernelName] || 0) + (d.endTime - d.startTime) / 1e6;
    return kernels.map((k) => {
      if (k.provider === CPU_PROVIDER) return k;
      if (!timestamps) {
        return { ...k, ms: null, error: `the WebGPU device has no timestamp-query feature: ONNX Runtime Web reads no GPU kernel times (${k.provider}'s CPU-side time is its dispatch, not its work)` };
      }
      return k.node in gpuMs ? { ...k, ms: gpuMs[k.node] } : { ...k, ms: null, error: `no GPU timestamp came back for node ${k.node}` };
    });
  }

  // The adapter's profileRuns: `inputs.length` predictions on a session created with enableProfiling
  // (after its warm-up), then the profile ended and read: {profiler, timer, kernels per prediction}.
  async function profileRuns(ort, backend, session, predict, inputs) {
    const device = backend === 'webgpu' ? ort.env.webgpu.device : null;
    const buckets = [];
    for (const x of inputs) {
      if (device) startRun();
      await predict(x);
      if (device) buckets.push(await endRun(device));
    }
    const events = readProfile(() => session.endProfiling());
    let runs = kernelsPerRun(events, inputs.length);
    if (runs.length !== inputs.length) {
      throw new Error(`ONNX Runtime Web's profile held ${runs.length} model_run events for ${inputs.length} predictions `
        + `(${events.length} trace events read from its console output)`);
    }
    const timestamps = gpuTimestamps(device);
    if (backend === 'webgpu') runs = runs.map((kernels, i) => withGpuTimes(kernels, buckets[i], timestamps));
    else if (backend !== 'wasm') {
      runs = runs.map((kernels) => kernels.map((k) => (k.provider === CPU_PROVIDER ? k : { ...k, ms: null,
        error: `${k.provider} runs its part of the graph in the browser: ORT's time for it is its wait, not the operators' own` })));
    }
    const version = ort.env.versions ? ort.env.versions.web : '?';
    return {
      profiler: `onnxruntime-web ${version} session profiler (enableProfiling)${backend === 'webgpu' ? ' + env.webgpu.profiling' : ''} on ${backend}`,
      timer: backend === 'webgpu' && timestamps ? { trusted: true, words: 'WebGPU kernels: GPU timestamps (timestamp-query)' }
        : { trusted: true, words: `node times from ORT's clock in wasm (performance.now(); cross-origin isolated: ${self.crossOriginIsolated})` },
      kernels: runs,
    };
  }

  window.webdlbenchOrtProfile = { capture, watchGpu, profileRuns,
    // for tests of the parsing alone
    kernelsPerRun, withGpuTimes };
})();
