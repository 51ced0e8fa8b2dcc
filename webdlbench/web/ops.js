// The operators pass (runners/passes.py, `--ops`): after warming up, `predictions` inferences run
// under the framework's own profiler (the adapter's optional profile(model, x): TF.js's tf.profile();
// or profileRuns(model, inputs) for a profiler that spans the predictions and is read once at the
// end: ONNX Runtime Web's, web/ort-profile.js), and each kernel's name, time, bytes and shapes go
// back in execution order. A timer the framework cannot trust (WebGL without the timer-query
// extension, WebGPU without timestamp-query) comes back as its own words, never as 0.
'use strict';
(() => {
  const passes = (window.webdlbenchPasses = window.webdlbenchPasses || {});

  passes.ops = async (job, adapter, result) => {
    const H = window.webdlbench.harness;
    const { predictions } = job.pass;
    if (typeof adapter.profile !== 'function' && typeof adapter.profileRuns !== 'function') {
      throw new H.Unsupported(`the ${job.framework} adapter has no profile() or profileRuns(): its library has no per-operator profiler the harness can read`);
    }
    const refs = await H.loadReferenceInputs(job);
    const model = await adapter.load(job.model_url);
    for (let i = 0; i < Math.max(1, job.spec.warmup); i++) H.requireVector(await adapter.predict(model, refs[i % refs.length]), 'predict');
    await H.mark('measure');
    const inputs = Array.from({ length: predictions }, (_, i) => refs[i % refs.length]);
    let runs = [];
    if (typeof adapter.profileRuns === 'function') {
      const found = await adapter.profileRuns(model, inputs);
      runs = found.kernels.map((kernels) => ({ ...found, kernels }));
    } else {
      for (const x of inputs) runs.push(await adapter.profile(model, x));
    }
    await H.mark('done');
    if (adapter.dispose) adapter.dispose(model);
    const untimed = runs.flatMap((run) => run.kernels).find((k) => typeof k.ms !== 'number');
    result.info.ops_pass = {
      predictions, profiler: runs[0].profiler,
      timer: untimed ? { trusted: false, words: untimed.error || 'the profiler gave no time' } : runs[0].timer || { trusted: true },
      // Each prediction's kernels, in execution order (the Chrome trace is drawn from the first).
      kernels: runs.map((run) => run.kernels.map((k) => ({ name: k.name, ms: typeof k.ms === 'number' ? k.ms : null,
        bytes: k.bytes, inputs: k.inputs, outputs: k.outputs, node: k.node, provider: k.provider }))),
    };
  };
})();
