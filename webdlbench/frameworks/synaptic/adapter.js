// synaptic 1.1.4 adapter. synaptic trains per sample: one timed batch is B calls of
// network.activate(x) + network.propagate(rate, target), i.e. B online weight updates.
//
// synaptic's Perceptron squashes every neuron with one function per neuron and has no softmax.
// Here hidden neurons use Neuron.squash.RELU and output neurons IDENTITY, so the network's 10
// outputs are the logits z; the adapter's softmax turns them into probabilities (predict) and
// trains softmax + cross-entropy through synaptic's own propagate: synaptic sets an output
// neuron's error to target - activation (no derivative), so passing target' = y - softmax(z) + z
// gives the error y - softmax(z), the cross-entropy gradient. Everything else (forward pass,
// backpropagation through ReLU, weight updates) is synaptic's, in its optimized (compiled) form.
'use strict';
(() => {
  const CLASSES = 10;

  function requireSynaptic() {
    if (typeof synaptic === 'undefined' || !synaptic.Architect) throw new Error('synaptic did not load (no global synaptic.Architect)');
  }

  function softmax(z) {
    let max = -Infinity;
    for (let k = 0; k < z.length; k++) if (z[k] > max) max = z[k];
    const p = new Array(z.length);
    let total = 0;
    for (let k = 0; k < z.length; k++) { p[k] = Math.exp(z[k] - max); total += p[k]; }
    for (let k = 0; k < z.length; k++) p[k] /= total;
    return p;
  }

  function layersOf(network) {
    const { input, hidden, output } = network.layers;
    return [input, ...hidden, output];
  }

  window.webdlbench.adapters.synaptic = {
    version: () => null,  // synaptic exposes no version at run time; package.json gives it

    async init(job) {
      requireSynaptic();
      const info = { backend: 'cpu', hidden_squash: 'RELU', output_squash: 'IDENTITY + adapter softmax' };
      if (job.spec.task === 'train') {
        info.online_updates_per_batch = job.spec.batch;
        info.online_learning_rate = job.options.learning_rate / job.options.batch_size;
      }
      return info;
    },

    build(layers, options) {
      const sizes = [layers[0].inputs, ...layers.map((l) => l.units)];
      const network = new synaptic.Architect.Perceptron(...sizes);
      const all = layersOf(network);
      all.slice(1, -1).forEach((layer) => layer.set({ squash: synaptic.Neuron.squash.RELU }));
      all[all.length - 1].set({ squash: synaptic.Neuron.squash.IDENTITY });
      // Weights go in before the first activate(), which compiles the network with its values.
      layers.forEach((layer, i) => {
        const { units, kernel, bias } = layer;
        const index = new Map(all[i].list.map((neuron, k) => [neuron.ID, k]));
        all[i + 1].list.forEach((neuron, j) => {
          for (const connection of Object.values(neuron.connections.inputs)) {
            connection.weight = kernel[index.get(connection.from.ID) * units + j];
          }
          neuron.bias = bias[j];
        });
      });
      // One online update per sample at learning_rate / batch: a batch of B updates moves the
      // weights about as far as one SGD step on the batch mean (what TF.js and ConvNetJS do).
      return { network, rate: options.learning_rate / options.batch_size };
    },

    prepareBatch(xs, labels, batchSize) {
      const size = xs.length / batchSize;
      const inputs = [];
      for (let i = 0; i < batchSize; i++) inputs.push(xs.subarray(i * size, (i + 1) * size));
      return { inputs, labels };
    },

    async trainBatch(model, batch) {
      const { network, rate } = model;
      const target = new Array(CLASSES);
      let loss = 0;
      for (let i = 0; i < batch.inputs.length; i++) {
        const z = Array.from(network.activate(batch.inputs[i]));
        const p = softmax(z);
        const label = batch.labels[i];
        loss -= Math.log(Math.max(p[label], 1e-30));
        for (let k = 0; k < CLASSES; k++) target[k] = (k === label ? 1 : 0) - p[k] + z[k];
        network.propagate(rate, target);
      }
      return loss / batch.inputs.length;
    },

    async save(model, url) {
      const body = JSON.stringify(model.network.toJSON());
      const response = await fetch(`${url}&name=model.json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (!response.ok) throw new Error(`saving the model: HTTP ${response.status}`);
    },

    async load(url) {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`loading ${url}: HTTP ${response.status}`);
      return { network: synaptic.Network.fromJSON(JSON.parse(await response.text())) };
    },

    async predict(model, x) {
      return softmax(model.network.activate(x));
    },

    describe() {
      requireSynaptic();
      const squash = Object.keys(synaptic.Neuron.squash).filter((k) => typeof synaptic.Neuron.squash[k] === 'function');
      const architectures = Object.keys(synaptic.Architect).filter((k) => typeof synaptic.Architect[k] === 'function');
      const layerClasses = Object.keys(synaptic).filter((k) => typeof synaptic[k] === 'function' && /Layer$/.test(k));
      const recurrent = architectures.filter((k) => /LSTM|Hopfield|Liquid|RNN|GRU/i.test(k));
      const conv = architectures.filter((k) => /conv|pool/i.test(k));
      return {
        network_types: {
          DNN: { supported: architectures.includes('Perceptron'), evidence: 'synaptic.Architect.Perceptron' },
          CNN: { supported: conv.length > 0, evidence: conv.join(', ') || 'no convolution or pooling in synaptic or synaptic.Architect' },
          RNN: { supported: recurrent.length > 0, evidence: recurrent.map((k) => `synaptic.Architect.${k}`).join(', ') || 'none' },
        },
        layer_types: { count: layerClasses.length, names: layerClasses, method: 'constructors in synaptic named *Layer (networks are wired from Layer objects)' },
        activation_types: { count: squash.length, names: squash, method: 'functions in synaptic.Neuron.squash' },
        optimizer_types: { count: null, names: [], reason: 'no optimizer abstraction: Neuron#propagate applies plain SGD (rate) and Trainer only loops over it' },
        save_api: typeof synaptic.Network.prototype.toJSON === 'function' ? 'network.toJSON()' : null,
        load_api: typeof synaptic.Network.fromJSON === 'function' ? 'synaptic.Network.fromJSON(json)' : null,
        gpu_api: null,
        training_api: 'network.propagate(rate, target) / new synaptic.Trainer(network).train(set)',
      };
    },
  };
})();
