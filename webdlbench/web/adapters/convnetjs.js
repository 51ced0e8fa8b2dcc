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
  };
})();
