// A test-only framework that injects real faults into real TF.js work (tests/faults/). Its
// backends name the fault; the first two batches train normally, then the fault is triggered.
'use strict';
(() => {
  const FAULT_AT_BATCH = 2;
  let mode;
  let batches = 0;

  const faults = {
    hang() { for (;;) { /* a page that never reports */ } },
    'webgl-lost'() { tf.backend().gpgpu.gl.getExtension('WEBGL_lose_context').loseContext(); },
    'webgl-oom'() { tf.tidy(() => tf.add(tf.zeros([1 << 15, 1 << 15]), 1).dataSync()); },
    'webgpu-lost'() { tf.backend().device.destroy(); },
    async 'webgpu-oom'() {  // 8 GiB: far past maxBufferSize (1 GiB on SwiftShader); read back to force it
      const big = tf.add(tf.zeros([1 << 16, 1 << 15]), 1);
      await big.data();
    },
    none() {},
    'nan-loss'() {},
  };

  window.webdlbench.adapters.faulty = {
    version: () => tf.version.tfjs,

    async init(job) {
      mode = job.spec.backend;
      const backend = mode.startsWith('webgpu') ? 'webgpu' : mode.startsWith('webgl') ? 'webgl' : 'cpu';
      if (!(await tf.setBackend(backend))) throw new window.webdlbench.Unsupported(`no ${backend} here`);
      await tf.ready();
      return { backend: mode, tfjs_backend: tf.getBackend(), fault: mode };  // the backend the spec names
    },

    build(layers, options) {  // the real TF.js adapter's model, with our weights
      return window.webdlbench.adapters.tfjs.build(layers, options);
    },

    prepareBatch(xs, labels, batchSize) {
      return tf.tidy(() => ({ x: tf.tensor2d(xs, [batchSize, 784]), y: tf.oneHot(tf.tensor1d(labels, 'int32'), 10).toFloat() }));
    },

    releaseBatch(batch) { tf.dispose([batch.x, batch.y]); },

    async trainBatch(model, batch) {
      if (++batches > FAULT_AT_BATCH) await faults[mode]();
      const loss = await model.trainOnBatch(batch.x, batch.y);
      return mode === 'nan-loss' && batches > FAULT_AT_BATCH ? NaN : loss;  // a diverged model's loss
    },
  };

})();
