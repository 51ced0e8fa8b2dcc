// Mind adapter (stevenmiller888/mind 1.0.1, the bundle built at setup or a --lib build defining a
// global `Mind`). Written from Mind's index.js: new Mind({activator, learningRate, hiddenLayers,
// hiddenUnits, iterations}); learn(examples) runs `iterations` full-batch steps (forward over every
// example as one node-matrix Matrix, then back-propagation); predict(input) returns the output row;
// download() gives the weights (one node-matrix Matrix [inputs][units] per layer, no biases) and
// upload(weights) sets them; each step emits 'data' (iteration, errors = targets - outputs, results).
'use strict';
(() => {
  const { Unsupported } = window.webdlbench;
  const CLASSES = 10;
  let Matrix = null;  // node-matrix's constructor, as Mind's own weights carry it

  function MindClass() {
    const M = window.Mind && (window.Mind.default || window.Mind);
    if (typeof M !== 'function') throw new Unsupported('the Mind bundle did not define a global Mind (a script, e.g. esbuild --format=iife --global-name=Mind)');
    return M;
  }

  // Mind builds its own weights (Gaussian samples) only inside learn(): a one-example step on a
  // 1-1-1 network shows the matrix type this build of Mind computes with.
  function matrixConstructor(activator) {
    const Mind = MindClass();
    const probe = new Mind({ activator, iterations: 1, hiddenLayers: 1, hiddenUnits: 1 });
    probe.learn([{ input: [0], output: [0] }]);
    const weights = probe.download();
    if (!Array.isArray(weights) || !weights[0] || typeof weights[0].transpose !== 'function' || !('numRows' in weights[0])) {
      throw new Unsupported('this Mind build does not keep its weights as node-matrix matrices (download() is not an array of them): not Mind 1.x');
    }
    return weights[0].constructor;
  }

  function meanSquare(errors) {  // errors: Matrix [examples][outputs] of targets - outputs
    let sum = 0;
    for (let i = 0; i < errors.numRows; i++) for (let j = 0; j < errors.numCols; j++) sum += errors[i][j] * errors[i][j];
    return sum / (errors.numRows * errors.numCols);
  }

  function newMind(activator, hiddenLayers, hiddenUnits, learningRate) {
    const Mind = MindClass();
    return new Mind({ activator, hiddenLayers, hiddenUnits, learningRate, iterations: 1 });
  }

  window.webdlbench.adapters.mind = {
    version: () => null,  // Mind exposes no version at run time; the build records it (Python side)

    async init(job) {
      Matrix = matrixConstructor(job.options.activator);
      const info = { backend: 'cpu', activator: job.options.activator, biases: false };
      if (job.spec.task === 'train') info.learning_rate_per_example = job.options.learning_rate / job.options.batch_size;
      return info;
    },

    build(layers, options) {
      const hidden = layers.slice(0, -1).map((l) => l.units);
      if (new Set(hidden).size > 1) throw new Unsupported('Mind has one hiddenUnits for every hidden layer');
      // Mind sums its gradient over the examples of a step: rate / batch is one step on their mean.
      const mind = newMind(options.activator, hidden.length, hidden[0], options.learning_rate / options.batch_size);
      mind.upload(layers.map(({ inputs, units, kernel }) => {  // our kernels are [inputs][units] too
        const rows = [];
        for (let i = 0; i < inputs; i++) rows.push(Array.from(kernel.subarray(i * units, (i + 1) * units)));
        return new Matrix(rows);
      }));
      const model = { mind, activator: options.activator, loss: NaN };
      mind.on('data', (iteration, errors) => { model.loss = meanSquare(errors); });
      return model;
    },

    prepareBatch(xs, labels, batchSize) {  // Mind's examples: [{input: [...784], output: one-hot [...10]}]
      const size = xs.length / batchSize;
      const examples = [];
      for (let i = 0; i < batchSize; i++) {
        const output = new Array(CLASSES).fill(0);
        output[labels[i]] = 1;
        examples.push({ input: Array.from(xs.subarray(i * size, (i + 1) * size)), output });
      }
      return examples;
    },

    async trainBatch(model, batch) {
      model.loss = NaN;
      model.mind.learn(batch);  // iterations 1: one forward + back-propagation over the batch
      return model.loss;
    },

    async save(model, url) {
      // Mind's own serializer is download(); its options are not in the weights, so they travel beside them.
      const body = JSON.stringify({ activator: model.activator, hiddenLayers: model.mind.hiddenLayers,
                                    weights: model.mind.download() });
      const response = await fetch(`${url}&name=model.json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (!response.ok) throw new Error(`saving the model: HTTP ${response.status}`);
    },

    async load(url) {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`loading ${url}: HTTP ${response.status}`);
      const saved = JSON.parse(await response.text());
      // Prediction reads a weight through Matrix.multiply only (rows, numRows, numCols): the parsed
      // objects are uploaded as they are, as Mind's plugins are.
      const mind = newMind(saved.activator, saved.hiddenLayers, saved.weights[0].numCols).upload(saved.weights);
      return { mind };
    },

    async predict(model, x) {
      return model.mind.predict(x);  // the output row: plain numbers
    },

    describe() {
      const Mind = MindClass();
      // Activators: Mind maps any name it does not know to htan, so count the distinct functions.
      const candidates = ['sigmoid', 'htan', 'tanh', 'relu', 'softmax', 'linear', 'identity'];
      const seen = new Map();
      for (const name of candidates) {
        const m = new Mind({ activator: name });
        if (typeof m.activate === 'function' && !seen.has(m.activate)) seen.set(m.activate, name === 'tanh' ? 'htan' : name);
      }
      const methods = Object.getOwnPropertyNames(Mind.prototype);
      const conv = methods.filter((k) => /conv|pool/i.test(k));
      const recurrent = methods.filter((k) => /lstm|gru|rnn|recurr/i.test(k));
      return {
        network_types: {
          DNN: { supported: methods.includes('learn') && methods.includes('predict'), evidence: 'Mind#learn / Mind#predict (dense layers, hiddenLayers option)' },
          CNN: { supported: conv.length > 0, evidence: conv.join(', ') || 'no convolution or pooling method on Mind.prototype' },
          RNN: { supported: recurrent.length > 0, evidence: recurrent.join(', ') || 'no recurrent method on Mind.prototype' },
        },
        layer_types: { count: 1, names: ['dense (hiddenLayers x hiddenUnits)'], method: 'Mind builds only dense weight matrices' },
        activation_types: { count: seen.size, names: [...seen.values()], method: 'distinct activate functions over candidate activator names' },
        optimizer_types: { count: null, reason: 'no optimizer option: Mind#back applies plain gradient descent (learningRate)' },
        save_api: methods.includes('download') ? 'mind.download()' : null,
        load_api: methods.includes('upload') ? 'mind.upload(weights)' : null,
        gpu_api: null,
        training_api: 'mind.learn(examples)',
      };
    },
  };
})();
