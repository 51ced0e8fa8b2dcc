// The memory pass (runners/passes.py): load -> infer -> dispose, `cycles` times in one page. The
// harness outside reads the JS heap at each 'memory-cycle' mark (after a forced garbage collection)
// and samples its peak; here the framework's own counters are read, where its adapter has memory():
// at their highest with the model loaded and run, and after each dispose (the leak check).
'use strict';
(() => {
  const passes = (window.webdlbenchPasses = window.webdlbenchPasses || {});
  // adapter.memory() field -> the pass metric of its highest value with a model loaded.
  const PEAKS = { framework_bytes: 'memory_framework_bytes', framework_gpu_bytes: 'memory_framework_gpu_bytes',
    framework_tensors: 'memory_framework_tensors', wasm_bytes: 'memory_wasm_bytes' };
  // ... and of its value after each cycle's dispose.
  const AFTER = { framework_bytes: 'leak_framework_bytes', framework_tensors: 'leak_framework_tensors' };

  passes.memory = async (job, adapter, result) => {
    const H = window.webdlbench.harness;
    const { cycles, predictions } = job.pass;
    const refs = await H.loadReferenceInputs(job);
    const counters = typeof adapter.memory === 'function';
    const absent = {};
    const peaks = {};
    const after = {};
    const read = async () => (counters ? (await adapter.memory()) || {} : {});
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
    for (const [field, metric] of Object.entries(AFTER)) {
      if (after[field] && after[field].length === cycles) result.metrics[metric] = after[field];
      else absent[metric] = why;
    }
    result.info.memory_pass = { cycles, predictions_per_cycle: predictions, absent,
      disposes: adapter.dispose ? 'adapter.dispose(model)' : 'none: the adapter has no dispose(), the model is left to the garbage collector' };
  };
})();
