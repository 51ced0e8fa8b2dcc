// brain.js 1.6.1 adapter. brain.js trains per sample: one timed batch is net.train(B samples,
// {iterations: 1}), which makes B online updates (a forward pass, backpropagation and a weight
// update per sample) and returns the training error brain.js measured on the way.
//
// brain.js 1.x applies one activation to every layer, the output layer included, and has no
// softmax. On cpu the model is a small subclass of brain.NeuralNetwork whose runInput runs
// brain.js's own ReLU forward pass over the hidden layers and then one dense + softmax output
// layer; brain.js's _calculateDeltasRelu then gives the output layer delta = target - output,
// which is exactly the softmax + cross-entropy gradient, and adjustWeights is brain.js's. So the
// model computes the same function as every other framework and is checked against the same
// numpy reference. On webgl the stock NeuralNetworkGPU runs (ReLU on every layer, gpu.js kernels).
'use strict';
(() => {
  const { Unsupported } = window.webdlbench;
  const CLASSES = 10;

  function requireBrain() {
    if (typeof brain === 'undefined' || !brain.NeuralNetwork) throw new Error('brain.js did not load (no global brain.NeuralNetwork)');
  }

  // Defined lazily: the class extends brain.NeuralNetwork, which exists only after the bundle loaded.
  let SoftmaxOutputNetwork = null;
  function softmaxOutputNetwork() {
    if (SoftmaxOutputNetwork) return SoftmaxOutputNetwork;
    SoftmaxOutputNetwork = class extends brain.NeuralNetwork {
      runInput(input) {
        const last = this.outputLayer;
        // brain.js's own ReLU pass over layers 1..last-1 (its loop stops at this.outputLayer).
        this.outputLayer = last - 1;
        let hidden;
        try {
          hidden = this._runInputRelu(input);
        } finally {
          this.outputLayer = last;
        }
        const out = this.outputs[last];
        const weights = this.weights[last];
        const biases = this.biases[last];
        let max = -Infinity;
        for (let node = 0; node < this.sizes[last]; node++) {
          const w = weights[node];
          let sum = biases[node];
          for (let k = 0; k < w.length; k++) sum += w[k] * hidden[k];
          out[node] = sum;
          if (sum > max) max = sum;
        }
        let total = 0;
        for (let node = 0; node < out.length; node++) {
          out[node] = Math.exp(out[node] - max);
          total += out[node];
        }
        for (let node = 0; node < out.length; node++) out[node] /= total;
        return out;
      }

      toJSON() {
        return { ...super.toJSON(), outputActivation: 'softmax' };
      }

      fromJSON(json) {
        if (json.outputActivation !== 'softmax') {
          throw new Error('this brain.js model was not saved with a softmax output layer (outputActivation missing)');
        }
        return super.fromJSON(json);
      }
    };
    return SoftmaxOutputNetwork;
  }

  function trainOptions(options) {
    // brain.js re-reads every training option on each train() call: give all of them each time.
    return {
      iterations: 1, errorThresh: 1e-9, log: false, timeout: Infinity,
      // One online update per sample at learning_rate / batch: a batch of B updates moves the
      // weights about as far as one SGD step on the batch mean (what TF.js and ConvNetJS do).
      learningRate: options.learning_rate / options.batch_size, momentum: options.momentum,
    };
  }

  function setWeights(net, layers) {
    layers.forEach((layer, i) => {
      const { inputs, units, kernel, bias } = layer;
      for (let j = 0; j < units; j++) {
        const row = new Float32Array(inputs);
        for (let k = 0; k < inputs; k++) row[k] = kernel[k * units + j];
        net.weights[i + 1][j] = row;
        net.biases[i + 1][j] = bias[j];
      }
    });
  }

  let backend = 'cpu';
  let trainOpts = null;

  window.webdlbench.adapters.brainjs = {
    version: () => null,  // brain.js 1.x exposes no version at run time; package.json gives it

    async init(job) {
      requireBrain();
      backend = job.spec.backend;
      const info = { backend };
      if (job.spec.task === 'train') {
        info.online_updates_per_batch = job.spec.batch;
        info.online_learning_rate = job.options.learning_rate / job.options.batch_size;
      }
      if (backend === 'webgl') {
        if (!brain.NeuralNetworkGPU) throw new Unsupported('this brain.js bundle has no NeuralNetworkGPU');
        let probe;
        try {
          probe = new brain.NeuralNetworkGPU({ mode: 'webgl' });
        } catch (error) {
          throw new Unsupported(`brain.js GPU mode (gpu.js 'webgl') could not start: ${error.message}`);
        }
        info.gpu_runner = probe.gpu._runner ? probe.gpu._runner.constructor.name : null;  // gpu.js's WebGLRunner or a fallback
        info.model = `brain.NeuralNetworkGPU, activation ${job.options.gpu_activation} on every layer (no softmax)`;
      } else {
        info.model = 'brain.NeuralNetwork subclass: ReLU hidden layers (brain.js), dense + softmax output';
      }
      info.momentum = job.options.momentum;
      return info;
    },

    build(layers, options) {
      trainOpts = trainOptions(options);
      const hiddenLayers = layers.slice(0, -1).map((l) => l.units);
      let net;
      if (backend === 'webgl') {
        net = new brain.NeuralNetworkGPU({ activation: options.gpu_activation, hiddenLayers, mode: 'webgl', ...trainOpts });
        // brain.js's GPU net computes its error only every 100th iteration; every call must read it back.
        net.errorCheckInterval = 1;
      } else {
        const Net = softmaxOutputNetwork();
        net = new Net({ activation: 'relu', hiddenLayers, ...trainOpts });
      }
      net.sizes = [layers[0].inputs, ...layers.map((l) => l.units)];
      net.initialize();  // the GPU net builds its kernels here, with learning rate and momentum baked in
      setWeights(net, layers);
      return { net };
    },

    prepareBatch(xs, labels, batchSize) {
      const inputSize = xs.length / batchSize;
      const data = [];
      for (let i = 0; i < batchSize; i++) {
        const output = new Array(CLASSES).fill(0);
        output[labels[i]] = 1;
        // Plain arrays: brain.js treats any other input as a hash and builds a lookup table.
        data.push({ input: Array.from(xs.subarray(i * inputSize, (i + 1) * inputSize)), output });
      }
      return data;
    },

    async trainBatch(model, batch) {
      return model.net.train(batch, trainOpts).error;
    },

    async save(model, url) {
      const body = JSON.stringify(model.net.toJSON());
      const response = await fetch(`${url}&name=model.json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (!response.ok) throw new Error(`saving the model: HTTP ${response.status}`);
    },

    async load(url) {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`loading ${url}: HTTP ${response.status}`);
      const json = JSON.parse(await response.text());
      const Net = softmaxOutputNetwork();
      return { net: new Net().fromJSON(json) };
    },

    async predict(model, x) {
      return model.net.run(x);
    },

    describe() {
      requireBrain();
      return describeBrain();
    },
  };

  // Introspection for `webdlbench survey` (what the loaded library offers, counted from it).
  function describeBrain() {
    const recurrent = Object.keys(brain.recurrent || {}).filter((k) => typeof brain.recurrent[k] === 'function');
    // brain.js 1.x has no layer API: each network class is one layer type (the GPU twin of
    // NeuralNetwork computes the same layers and is not counted twice).
    const networks = ['NeuralNetwork', ...recurrent.map((k) => `recurrent.${k}`)];
    // Activations: the case labels of NeuralNetwork#setActivation, each confirmed by building a net with it.
    const source = brain.NeuralNetwork.prototype.setActivation.toString();
    const named = [...source.matchAll(/case\s*['"]([\w-]+)['"]/g)].map((m) => m[1]);
    const activations = named.filter((name) => {
      try {
        const net = new brain.NeuralNetwork({ activation: name, hiddenLayers: [2] });
        net.sizes = [2, 2, 1];
        net.initialize();
        return typeof net.runInput === 'function';
      } catch (error) {
        return false;
      }
    });
    // Optimizers: plain SGD with momentum (adjustWeights) plus each praxis with its own update.
    const optimizers = ["sgd-momentum"];
    if (typeof brain.NeuralNetwork.prototype._setupAdam === 'function') optimizers.push('adam');
    const save = typeof brain.NeuralNetwork.prototype.toJSON === 'function';
    const load = typeof brain.NeuralNetwork.prototype.fromJSON === 'function';
    return {
      network_types: {
        DNN: { supported: true, evidence: 'brain.NeuralNetwork' },
        CNN: { supported: false, evidence: 'no convolution or pooling class in brain or brain.recurrent' },
        RNN: { supported: recurrent.length > 0, evidence: recurrent.map((k) => `brain.recurrent.${k}`).join(', ') || 'none' },
      },
      layer_types: { count: networks.length, names: networks, method: 'network classes (no layer API in 1.x)' },
      activation_types: { count: activations.length, names: activations, method: 'case labels of NeuralNetwork#setActivation, each built' },
      optimizer_types: { count: optimizers.length, names: optimizers, method: 'adjustWeights (SGD + momentum) and trainOpts.praxis values with an update rule' },
      save_api: save ? 'net.toJSON()' : null,
      load_api: load ? 'net.fromJSON(json)' : null,
      gpu_api: brain.NeuralNetworkGPU ? 'brain.NeuralNetworkGPU (gpu.js)' : null,
      training_api: 'net.train(data, options)',
    };
  }
})();
