// The memory pass (runners/passes.py): load -> infer -> dispose, `cycles` times in one page. The
// harness outside reads the JS heap at each 'memory-cycle' mark (after a forced garbage collection)
// and samples its peak; here the framework's own counters are read, where its adapter has memory():
// at their highest with the model loaded and run, and after each dispose (the leak check).
// The wasm linear memory of any framework (ONNX Runtime Web, TF.js wasm, ...) is read from the
// WebAssembly.Memory objects its scripts create, watched from before they load, where the adapter
// does not report it itself.
'use strict';
(() => {
  const passes = (window.webdlbenchPasses = window.webdlbenchPasses || {});
  const memories = new Set();

  // Before the framework's scripts load (harness.js): every WebAssembly.Memory they make, by the
  // constructor (emscripten's threaded builds: ONNX Runtime Web) or as an instance's export.
  function watchWasmMemories() {
    const Memory = WebAssembly.Memory;
    WebAssembly.Memory = new Proxy(Memory, {
      construct(target, args, newTarget) {
        const memory = Reflect.construct(target, args, newTarget);
        memories.add(memory);
        return memory;
      },
    });
    for (const name of ['instantiate', 'instantiateStreaming']) {
      const original = WebAssembly[name];
      if (typeof original !== 'function') continue;
      WebAssembly[name] = async function (...args) {
        const made = await original.apply(this, args);
        const instance = made instanceof WebAssembly.Instance ? made : made.instance;
        for (const value of Object.values(instance.exports)) if (value instanceof Memory) memories.add(value);
        return made;
      };
    }
  }

  // WebGPU buffers the framework holds: created and neither destroyed nor garbage collected yet
  // (the browser frees an unreferenced buffer when it is collected). No WebGPU API reports a
  // device's memory; this is what the page itself allocated, at byte precision.
  const gpu = { live: 0, peak: 0, sizes: new WeakMap(), watched: false };
  function watchGpuBuffers() {
    if (!window.GPUDevice || !window.GPUBuffer) return;
    const forget = (size) => { gpu.live -= size; };
    const collected = new FinalizationRegistry(forget);
    const createBuffer = GPUDevice.prototype.createBuffer;
    GPUDevice.prototype.createBuffer = function (descriptor) {
      const buffer = createBuffer.call(this, descriptor);
      const size = Number(descriptor.size) || 0;
      gpu.sizes.set(buffer, size);
      collected.register(buffer, size, buffer);
      gpu.live += size;
      gpu.peak = Math.max(gpu.peak, gpu.live);
      return buffer;
    };
    const destroy = GPUBuffer.prototype.destroy;
    GPUBuffer.prototype.destroy = function () {
      if (gpu.sizes.has(this)) {
        forget(gpu.sizes.get(this));
        gpu.sizes.delete(this);
        collected.unregister(this);
      }
      return destroy.call(this);
    };
    gpu.watched = true;
  }

  window.webdlbench.beforeScripts.memory = () => {
    watchWasmMemories();
    watchGpuBuffers();
  };

  // The linear memory of every wasm instance the page made, now (it grows and never shrinks).
  const wasmBytes = () => [...memories].reduce((sum, memory) => sum + memory.buffer.byteLength, 0);
  // adapter.memory() field -> the pass metric of its highest value with a model loaded.
  const PEAKS = { framework_bytes: 'memory_framework_bytes', framework_gpu_bytes: 'memory_framework_gpu_bytes',
    framework_tensors: 'memory_framework_tensors', wasm_bytes: 'memory_wasm_bytes',
    webgpu_buffer_bytes: 'memory_webgpu_buffer_bytes' };
  // ... and of its value after each cycle's dispose.
  const AFTER = { framework_bytes: 'leak_framework_bytes', framework_tensors: 'leak_framework_tensors',
    webgpu_buffer_bytes: 'leak_webgpu_buffer_bytes' };

  passes.memory = async (job, adapter, result) => {
    const H = window.webdlbench.harness;
    const { cycles, predictions } = job.pass;
    const refs = await H.loadReferenceInputs(job);
    const counters = typeof adapter.memory === 'function';
    const absent = {};
    const peaks = {};
    const after = {};
    // The adapter's counters, and the wasm memories watched here where the adapter has no wasm_bytes.
    const read = async () => {
      const found = counters ? { ...((await adapter.memory()) || {}) } : {};
      if (typeof found.wasm_bytes !== 'number' && memories.size) found.wasm_bytes = wasmBytes();
      if (gpu.peak > 0) found.webgpu_buffer_bytes = gpu.live;
      return found;
    };
    await H.mark('memory-start');
    for (let cycle = 0; cycle < cycles; cycle++) {
      const model = await adapter.load(job.model_url);
      for (let i = 0; i < predictions; i++) H.requireVector(await adapter.predict(model, refs[i % refs.length]), 'predict');
      for (const [field, value] of Object.entries(await read())) {
        if (typeof value === 'number' && field in PEAKS) peaks[field] = Math.max(peaks[field] ?? 0, value);
      }
      if (adapter.dispose) adapter.dispose(model);
      const left = await read();
      for (const field of Object.keys(AFTER)) if (typeof left[field] === 'number') (after[field] = after[field] || []).push(left[field]);
      if (typeof left.wasm_bytes === 'number') peaks.wasm_bytes = Math.max(peaks.wasm_bytes ?? 0, left.wasm_bytes);
      await H.mark('memory-cycle');
    }
    await H.mark('done');
    const why = counters ? `the ${job.framework} adapter's memory() does not report it on the ${job.spec.backend} backend`
      : `the ${job.framework} adapter has no memory(): its library exposes no counters the harness can read`;
    for (const [field, metric] of Object.entries(PEAKS)) {
      if (field in peaks) result.metrics[metric] = [peaks[field]];
      else absent[metric] = why;
    }
    if (!('wasm_bytes' in peaks)) absent.memory_wasm_bytes = `the ${job.framework} page made no WebAssembly memory on the ${job.spec.backend} backend`;
    if (gpu.peak > 0) result.metrics.memory_webgpu_buffer_bytes = [gpu.peak];  // between reads too
    else {
      absent.memory_webgpu_buffer_bytes = gpu.watched ? `the ${job.framework} page created no WebGPU buffer on the ${job.spec.backend} backend`
        : 'this browser has no WebGPU (GPUDevice)';
    }
    for (const [field, metric] of Object.entries(AFTER)) {
      if (after[field] && after[field].length === cycles) result.metrics[metric] = after[field];
      else absent[metric] = field === 'webgpu_buffer_bytes' ? absent.memory_webgpu_buffer_bytes : why;
    }
    result.info.memory_pass = { cycles, predictions_per_cycle: predictions, absent, wasm_memories: memories.size,
      disposes: adapter.dispose ? 'adapter.dispose(model)' : 'none: the adapter has no dispose(), the model is left to the garbage collector' };
  };
})();
