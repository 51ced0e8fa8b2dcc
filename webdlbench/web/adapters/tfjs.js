// TensorFlow.js adapter. Every timed call returns plain numbers: trainOnBatch resolves to the
// loss value, predict reads its output back (dataSync on WebGL, data() elsewhere), so a GPU
// backend that has only queued work is never counted as finished.
'use strict';
(() => {
  const { Unsupported } = window.webdlbench;
  let readBack = (t) => t.data();
  // Converted models (CNN, LSTM, Keras applications) give their input shape and class count in the
  // job; the MLP's batches are [batch, 784] with 10 classes.
  let inputShape = null;
  let classes = 10;

  // Model loading reads each file's body as soon as its response starts. TF.js's own loader waits
  // for every weight file's response before reading any body; over HTTP/1.1 (six connections per
  // host) a model of more than six large shards then deadlocks: ResNet50's 25 shards of 4 MB never
  // finished loading here. Same requests, same bytes; the timed load still holds fetch and parse.
  const loadOptions = {
    fetchFunc: async (url, init) => {
      const response = await fetch(url, init);
      const body = await response.arrayBuffer();
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    },
  };

  async function selectBackend(job) {
    const backend = job.spec.backend;
    if (backend === 'wasm') tf.wasm.setWasmPaths(job.options.wasm_dir);
    // TF.js reports a failed backend only on the console: keep its words for the outcome.
    const said = [];
    const original = console.warn;
    console.warn = (...args) => { said.push(args.map(String).join(' ')); original.apply(console, args); };
    let ok = false;
    try {
      ok = await tf.setBackend(backend);
      await tf.ready();
    } catch (error) {
      said.push(String(error));
    } finally {
      console.warn = original;
    }
    if (!ok || tf.getBackend() !== backend) {
      throw new Unsupported(`TF.js backend ${backend} could not start: ${said.join(' | ') || 'no reason given'}`);
    }
    readBack = backend === 'webgl' ? (t) => t.dataSync() : (t) => t.data();
  }

  window.webdlbench.adapters.tfjs = {
    version: () => tf.version.tfjs,

    async init(job) {
      inputShape = job.options.input_shape || null;
      classes = job.options.classes || 10;
      await selectBackend(job);
      const info = { backend: tf.getBackend(), version: tf.version.tfjs };
      if (job.spec.backend === 'wasm') {
        info.wasm_simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        info.wasm_multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
        info.wasm_threads = tf.wasm.getThreadsCount();
      }
      if (job.spec.backend === 'webgl') info.webgl_version = tf.env().getNumber('WEBGL_VERSION');
      return info;
    },

    build(layers, options) {
      const model = tf.sequential();
      layers.forEach((layer, i) => model.add(tf.layers.dense({
        units: layer.units,
        inputShape: i === 0 ? [layer.inputs] : undefined,
        activation: i === layers.length - 1 ? 'softmax' : 'relu',
      })));
      const tensors = layers.flatMap((l) => [tf.tensor2d(l.kernel, [l.inputs, l.units]), tf.tensor1d(l.bias)]);
      model.setWeights(tensors);
      tf.dispose(tensors);
      model.compile({ optimizer: tf.train.sgd(options.learning_rate), loss: 'categoricalCrossentropy' });
      return model;
    },

    // A model file written by the official TF.js converter, compiled for the same SGD training.
    async loadTrainable(url, options) {
      const model = await tf.loadLayersModel(url, loadOptions);
      model.compile({ optimizer: tf.train.sgd(options.learning_rate), loss: 'categoricalCrossentropy' });
      return model;
    },

    prepareBatch(xs, labels, batchSize) {
      return tf.tidy(() => ({
        x: tf.tensor(xs, inputShape ? [batchSize, ...inputShape] : [batchSize, xs.length / batchSize]),
        y: tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat(),
      }));
    },

    releaseBatch(batch) {
      tf.dispose([batch.x, batch.y]);
    },

    async trainBatch(model, batch) {
      return model.trainOnBatch(batch.x, batch.y);
    },

    async save(model, url) {
      await model.save(tf.io.browserHTTPRequest(url));
    },

    async load(url) {
      return tf.loadLayersModel(url, loadOptions);
    },

    async predict(model, x) {
      const y = tf.tidy(() => model.predict(tf.tensor(x, [1, ...model.inputs[0].shape.slice(1)])));
      const values = await readBack(y);
      y.dispose();
      return values;
    },

    dispose(model) {
      model.dispose();
    },
  };
})();
