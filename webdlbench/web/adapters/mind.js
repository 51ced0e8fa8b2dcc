// Mind adapter (stevenmiller888/mind, user-supplied bundle exposing a global `Mind`), written from
// its documented API: new Mind({activator, learningRate, hiddenUnits, hiddenLayers, iterations}),
// .learn(examples), .predict(input), .download() / .upload(weights), .on('data', (i, errors, results)).
//
// Mind is vectorized: learn() runs `iterations` full-batch gradient steps over the examples it is
// given, so one timed batch is learn(B examples) with iterations 1 -- one real mini-batch step.
// Its weights are mathjs matrices [inputs][units] (no biases); the adapter writes ours into them.
'use strict';
(() => {
  const { Unsupported } = window.webdlbench;
  const CLASSES = 10;
  let matrixFactory = null;  // a mathjs matrix Mind created: makes more of its own kind

  function MindClass() {
    const M = window.Mind && (window.Mind.default || window.Mind);
    if (typeof M !== 'function') throw new Error('the Mind bundle did not define a global Mind (bundle it with `-s Mind`)');
    return M;
  }

  function makeMatrix(rows) {
    if (typeof matrixFactory.create === 'function') return matrixFactory.create(rows);
    return new matrixFactory.constructor(rows);
  }

  function toRows(matrix) {  // a mathjs matrix (or plain nested array) as nested arrays
    return typeof matrix.valueOf === 'function' && !Array.isArray(matrix) ? matrix.valueOf() : matrix;
  }

  function meanSquare(errors) {
    let sum = 0, n = 0;
    for (const row of toRows(errors)) for (const v of row) { sum += v * v; n += 1; }
    return sum / n;
  }

  function newMind(options, sizes, learningRate) {
    const Mind = MindClass();
    return new Mind({
      activator: options.activator, learningRate, iterations: 1,
      hiddenLayers: sizes.length - 2, hiddenUnits: sizes[1],
    });
  }

  function uploadKernels(mind, kernels) {  // kernels: [{inputs, units, get(i, j)}]
    mind.upload(kernels.map(({ inputs, units, get }) => {
      const rows = [];
      for (let i = 0; i < inputs; i++) {
        const row = new Array(units);
        for (let j = 0; j < units; j++) row[j] = get(i, j);
        rows.push(row);
      }
      return makeMatrix(rows);
    }));
  }

  window.webdlbench.adapters.mind = {
    version: () => null,  // Mind has no version at run time; the user's bundle is recorded by path

    async init(job) {
      const Mind = MindClass();
      // Let Mind create one weight matrix (a one-example learn on a 1-1-1 network): its kind of
      // matrix is then what the adapter builds our weights with.
      const probe = new Mind({ activator: job.options.activator, iterations: 1, hiddenUnits: 1, hiddenLayers: 1 });
      probe.learn([{ input: [0], output: [0] }]);
      const weights = probe.download();
      if (!Array.isArray(weights) || !weights[0] || typeof weights[0].valueOf !== 'function') {
        throw new Unsupported('this Mind bundle predates the hiddenLayers version (its download() is not an array of matrices)');
      }
      matrixFactory = weights[0];
      const info = { backend: 'cpu', activator: job.options.activator, biases: false };
      if (job.spec.task === 'train') info.learning_rate_per_example = job.options.learning_rate / job.options.batch_size;
      return info;
    },

    build(layers, options) {
      const sizes = [layers[0].inputs, ...layers.map((l) => l.units)];
      if (new Set(sizes.slice(1, -1)).size > 1) throw new Error('Mind has one hiddenUnits for every hidden layer');
      // Mind sums the gradient over the examples: learning_rate / batch is one SGD step on the mean.
      const mind = newMind(options, sizes, options.learning_rate / options.batch_size);
      uploadKernels(mind, layers.map((l) => ({ inputs: l.inputs, units: l.units, get: (i, j) => l.kernel[i * l.units + j] })));
      const model = { mind, options, sizes, loss: NaN };
      mind.on('data', (iteration, errors) => { model.loss = meanSquare(errors); });
      return model;
    },

    prepareBatch(xs, labels, batchSize) {
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
      model.mind.learn(batch);
      return model.loss;
    },

    async save(model, url) {
      const body = JSON.stringify({ format: 'mind.download', activator: model.options.activator,
                                    sizes: model.sizes, weights: model.mind.download() });
      const response = await fetch(`${url}&name=model.json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (!response.ok) throw new Error(`saving the model: HTTP ${response.status}`);
    },

    async load(url) {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`loading ${url}: HTTP ${response.status}`);
      const saved = JSON.parse(await response.text());
      const mind = newMind({ activator: saved.activator }, saved.sizes, 0.1);
      uploadKernels(mind, saved.weights.map((w, k) => {
        const rows = w.data || w;  // mathjs matrices serialize as {mathjs, data, size}
        return { inputs: saved.sizes[k], units: saved.sizes[k + 1], get: (i, j) => rows[i][j] };
      }));
      return { mind };
    },

    async predict(model, x) {
      return toRows(model.mind.predict(Array.from(x)));
    },

    describe() {
      const Mind = MindClass();
      // Activators: Mind maps any name it does not know to htan, so count distinct functions.
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
