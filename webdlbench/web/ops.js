// The operators pass (runners/passes.py, `--ops`): after warming up, `predictions` inferences run
// under the framework's own profiler (the adapter's optional profile(model, x): TF.js's tf.profile()),
// and each kernel's name, time, bytes and shapes go back in execution order. A timer the framework
// cannot trust (WebGL without the timer-query extension) comes back as its own words, never as 0.
'use strict';
(() => {
  const passes = (window.webdlbenchPasses = window.webdlbenchPasses || {});

  passes.ops = async (job, adapter, result) => {
    const H = window.webdlbench.harness;
    const { predictions } = job.pass;
    if (typeof adapter.profile !== 'function') {
      throw new H.Unsupported(`the ${job.framework} adapter has no profile(): its library has no per-operator profiler the harness can read`);
    }
    const refs = await H.loadReferenceInputs(job);
    const model = await adapter.load(job.model_url);
    for (let i = 0; i < Math.max(1, job.spec.warmup); i++) H.requireVector(await adapter.predict(model, refs[i % refs.length]), 'predict');
    await H.mark('measure');
    const runs = [];
    for (let i = 0; i < predictions; i++) runs.push(await adapter.profile(model, refs[i % refs.length]));
    await H.mark('done');
    if (adapter.dispose) adapter.dispose(model);
    const untimed = runs.flatMap((run) => run.kernels).find((k) => typeof k.ms !== 'number');
    result.info.ops_pass = {
      predictions, profiler: runs[0].profiler,
      timer: untimed ? { trusted: false, words: untimed.error || 'the profiler gave no time' } : runs[0].timer || { trusted: true },
      // Each prediction's kernels, in execution order (the Chrome trace is drawn from the first).
      kernels: runs.map((run) => run.kernels.map((k) => ({ name: k.name, ms: typeof k.ms === 'number' ? k.ms : null,
        bytes: k.bytes, inputs: k.inputs, outputs: k.outputs }))),
    };
  };
})();
