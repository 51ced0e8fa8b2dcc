// ConvNetJS adapter. ConvNetJS trains per sample: its Trainer accumulates gradients and updates
// once every `batch_size` calls, so one timed batch is `batch` calls to trainer.train().
'use strict';
(() => {
  const INPUT_SIZE = 784;

  function toVol(x) {
    const vol = new convnetjs.Vol(1, 1, x.length, 0.0);  // 0.0: no random fill to overwrite
    vol.w.set(x);
    return vol;
  }

  // `webdlbench survey` (paper Table 1): what the loaded library offers, counted from the library
  // itself; each answer states its counting rule ("method"), as docs/frameworks.md lists them.
  const errorText = (error) => (error && error.message ? error.message : String(error));
  const functionsIn = (object) => Object.keys(object || {}).filter((k) => typeof object[k] === 'function');
  function describeLibrary() {
    const c = window.convnetjs;
    const layerClasses = functionsIn(c).filter((k) => /Layer$/.test(k));
    const makeLayers = c.Net.prototype.makeLayers.toString();
    const activations = [...new Set([...makeLayers.matchAll(/activation\s*===?\s*['"](\w+)['"]/g)].map((m) => m[1]))];
    const activationClasses = layerClasses.filter((k) => activations.some((a) => k.toLowerCase() === `${a}layer`));
    const layers = layerClasses.filter((k) => !activationClasses.includes(k));
    const train = c.Trainer.prototype.train.toString();
    const methods = [...new Set([...train.matchAll(/method\s*[!=]==?\s*['"](\w+)['"]/g)].map((m) => m[1]))];
    const run = (defs) => {
      const net = new c.Net();
      net.makeLayers(defs);
      return Array.from(net.forward(new c.Vol(4, 4, 1, 0.5)).w).every(Number.isFinite);
    };
    const attempt = (what, defs) => {
      try {
        return { supported: run(defs), evidence: `${what} built and run` };
      } catch (error) {
        return { supported: false, evidence: `${what} failed: ${errorText(error)}` };
      }
    };
    const input = { type: 'input', out_sx: 4, out_sy: 4, out_depth: 1 };
    const recurrent = functionsIn(c).filter((k) => /LSTM|GRU|RNN|Recurrent/i.test(k));
    return {
      network_types: {
        DNN: attempt('fc layers', [input, { type: 'fc', num_neurons: 3, activation: 'relu' }, { type: 'softmax', num_classes: 2 }]),
        CNN: attempt('conv + pool layers', [input, { type: 'conv', sx: 3, filters: 2, pad: 1 }, { type: 'pool', sx: 2, stride: 2 },
          { type: 'softmax', num_classes: 2 }]),
        RNN: { supported: recurrent.length > 0, evidence: recurrent.join(', ') || 'no recurrent layer class in convnetjs' },
      },
      layer_types: { count: layers.length, names: layers, method: 'convnetjs.*Layer constructors that are not activations' },
      activation_types: { count: activations.length, names: activations, method: "values of def.activation Net#makeLayers accepts" },
      optimizer_types: { count: methods.length, names: methods, method: 'method names Trainer#train compares' },
      training_api: 'new convnetjs.Trainer(net, options).train(x, y)',
      save_api: typeof c.Net.prototype.toJSON === 'function' ? 'net.toJSON()' : null,
      load_api: typeof c.Net.prototype.fromJSON === 'function' ? 'net.fromJSON(json)' : null,
      gpu_api: null,
    };
  }

  window.webdlbench.adapters.convnetjs = {
    version: () => (typeof convnetjs.REVISION !== 'undefined' ? String(convnetjs.REVISION) : null),

    async init(job) {
      return { backend: 'cpu' };
    },

    build(layers, options) {
      const defs = [{ type: 'input', out_sx: 1, out_sy: 1, out_depth: INPUT_SIZE }];
      layers.slice(0, -1).forEach((l) => defs.push({ type: 'fc', num_neurons: l.units, activation: 'relu' }));
      defs.push({ type: 'softmax', num_classes: layers[layers.length - 1].units });
      const net = new convnetjs.Net();
      net.makeLayers(defs);
      const dense = net.layers.filter((layer) => layer.layer_type === 'fc');
      dense.forEach((layer, k) => {
        const { inputs, units, kernel, bias } = layers[k];
        for (let j = 0; j < units; j++) {
          const w = layer.filters[j].w;
          for (let i = 0; i < inputs; i++) w[i] = kernel[i * units + j];
          layer.biases.w[j] = bias[j];
        }
      });
      const trainer = new convnetjs.Trainer(net, {
        method: 'sgd', learning_rate: options.learning_rate, momentum: 0, l2_decay: 0,
        batch_size: options.batch_size,
      });
      return { net, trainer };
    },

    prepareBatch(xs, labels, batchSize) {
      const vols = [];
      for (let i = 0; i < batchSize; i++) vols.push(toVol(xs.subarray(i * INPUT_SIZE, (i + 1) * INPUT_SIZE)));
      return { vols, labels };
    },

    async trainBatch(model, batch) {
      let loss = 0;
      for (let i = 0; i < batch.vols.length; i++) loss += model.trainer.train(batch.vols[i], batch.labels[i]).cost_loss;
      return loss / batch.vols.length;
    },

    async save(model, url) {
      const body = JSON.stringify(model.net.toJSON());
      const response = await fetch(`${url}&name=model.json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (!response.ok) throw new Error(`saving the model: HTTP ${response.status}`);
    },

    async load(url) {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`loading ${url}: HTTP ${response.status}`);
      const text = await response.text();
      const net = new convnetjs.Net();
      net.fromJSON(JSON.parse(text));
      return { net };
    },

    async predict(model, x) {
      return model.net.forward(toVol(x), false).w;
    },

    describe() {
      return describeLibrary();
    },
  };
})();
