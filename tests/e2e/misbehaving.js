// A test-only framework (tests/e2e/test_passes.py): the real TF.js adapter's model and inference,
// misbehaving on purpose as its backend names it. 'leak': every prediction leaves a tensor behind
// (the leak check must flag it). 'block': every prediction first yields, then holds the thread busy
// for BLOCK_MS (the responsiveness pass must see dropped frames and long animation frames).
// 'worker-unread': in a Web Worker only, predict hands back the output tensor, never read back (the
// worker's first inference must be refused like the page's, not timed).
'use strict';
(() => {
  const BLOCK_MS = 60;
  let mode = 'none';
  const tfjs = () => window.webdlbench.adapters.tfjs;

  window.webdlbench.adapters.misbehaving = {
    version: () => tf.version.tfjs,

    async init(job) {
      mode = job.spec.backend;
      if (!(await tf.setBackend('cpu'))) throw new window.webdlbench.Unsupported('no TF.js cpu backend here');
      await tf.ready();
      return { backend: mode, tfjs_backend: tf.getBackend() };
    },

    build: (layers, options) => tfjs().build(layers, options),
    save: (model, url) => tfjs().save(model, url),
    load: (url) => tfjs().load(url),
    dispose: (model) => tfjs().dispose(model),
    memory: () => tfjs().memory(),

    async predict(model, x) {
      if (mode === 'leak') tf.tensor(x);  // created, never disposed
      if (mode === 'block') {
        await new Promise((resolve) => setTimeout(resolve, 0));  // a frame may be painted here...
        const until = performance.now() + BLOCK_MS;
        while (performance.now() < until) { /* ...but not during this */ }
      }
      if (mode === 'worker-unread' && typeof document === 'undefined') return model.predict(tf.tensor(x, [1, x.length]));
      return tfjs().predict(model, x);
    },
  };
})();
