// `webdlbench survey` probe: loaded after a framework's bundle and adapter on the ordinary page,
// as the job's pseudo-framework "__survey" (job kind "env"), so the harness awaits init() and
// posts what it returns in the result's info. It introspects the loaded library: the adapter's
// own describe(job) when it has one, otherwise the rule below for that framework. Counting rules
// are stated in every answer ("method") and in docs/frameworks.md.
'use strict';
(() => {
  const errorText = (error) => (error && error.message ? error.message : String(error));
  const functionsIn = (object) => Object.keys(object || {}).filter((k) => typeof object[k] === 'function');

  function tfjs() {
    const registry = tf.serialization.SerializationMap.getMap().classNameMap;
    const classes = Object.entries(registry).map(([name, entry]) => [name, entry[0]]);
    // Anchors found from the library itself: the base class of InputLayer is Layer, the base
    // class of the registered 'relu' is Activation; models (Sequential, Functional) are excluded.
    const LayerBase = Object.getPrototypeOf(tf.layers.inputLayer({ inputShape: [1] }).constructor);
    const ActivationBase = registry.relu ? Object.getPrototypeOf(registry.relu[0]) : null;
    const isModel = (cls) => cls.prototype instanceof tf.LayersModel || cls === tf.LayersModel;
    const layers = classes.filter(([, cls]) => cls.prototype instanceof LayerBase && !isModel(cls)).map(([n]) => n);
    const activations = ActivationBase ? classes.filter(([, cls]) => cls.prototype instanceof ActivationBase).map(([n]) => n) : [];
    const optimizers = tf.Optimizer
      ? classes.filter(([, cls]) => cls.prototype instanceof tf.Optimizer).map(([n]) => n)
      : functionsIn(tf.train);
    const run = (build, shape) => tf.tidy(() => {
      const model = tf.sequential({ layers: build() });
      const y = model.predict(tf.zeros(shape));
      return Array.from(y.dataSync()).every(Number.isFinite);
    });
    const attempt = (what, build, shape) => {
      try {
        return { supported: run(build, shape), evidence: `${what} built and run` };
      } catch (error) {
        return { supported: false, evidence: `${what} failed: ${errorText(error)}` };
      }
    };
    return {
      network_types: {
        DNN: attempt('tf.layers.dense', () => [tf.layers.dense({ units: 2, inputShape: [3] })], [1, 3]),
        CNN: attempt('tf.layers.conv2d + maxPooling2d', () => [tf.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [4, 4, 1] }),
          tf.layers.maxPooling2d({ poolSize: 2 })], [1, 4, 4, 1]),
        RNN: attempt('tf.layers.lstm', () => [tf.layers.lstm({ units: 2, inputShape: [2, 3] })], [1, 2, 3]),
      },
      layer_types: { count: layers.length, names: layers, method: 'registered classes extending Layer, models excluded' },
      activation_types: { count: activations.length, names: activations, method: "registered classes extending the base of 'relu'" },
      optimizer_types: { count: optimizers.length, names: optimizers, method: tf.Optimizer ? 'registered classes extending tf.Optimizer' : 'functions in tf.train' },
      training_api: 'model.fit / model.trainOnBatch',
      save_api: typeof tf.LayersModel.prototype.save === 'function' ? 'model.save(handler)' : null,
      load_api: typeof tf.loadLayersModel === 'function' ? 'tf.loadLayersModel(url)' : null,
      gpu_api: 'backends: ' + Object.keys(tf.engine().registryFactory).join(', '),
    };
  }

  function convnetjs_() {
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

  function kerasjs() {
    const K = window.KerasJS;
    const layers = functionsIn(K.layers);
    const activations = functionsIn(K.activations);
    const has = (names) => names.filter((n) => layers.includes(n));
    const modelMethods = Object.getOwnPropertyNames(K.Model.prototype);
    const training = modelMethods.filter((k) => /^(fit|train|compile)/i.test(k));
    const type = (names) => ({ supported: has(names).length > 0,
      evidence: (has(names).map((n) => `KerasJS.layers.${n}`).join(', ') || 'none') + ' (exposed; a Keras.js model needs a model file to run)' });
    return {
      network_types: { DNN: type(['Dense']), CNN: type(['Conv2D', 'MaxPooling2D']), RNN: type(['SimpleRNN', 'LSTM', 'GRU']) },
      layer_types: { count: layers.length, names: layers, method: 'classes in KerasJS.layers' },
      activation_types: { count: activations.length, names: activations, method: 'functions in KerasJS.activations' },
      optimizer_types: { count: null, reason: 'inference only: KerasJS has no optimizer or training code' },
      training_api: training.length ? `KerasJS.Model#${training.join(', #')}` : null,
      save_api: null,
      load_api: 'new KerasJS.Model({filepath, gpu})',
      gpu_api: `KerasJS.Model({gpu: true}) (WebGL2); GPU_SUPPORT here: ${K.GPU_SUPPORT}`,
    };
  }

  function webdnn() {
    const W = window.WebDNN;
    const availability = W.getBackendAvailability ? W.getBackendAvailability().status : {};
    const reason = 'WebDNN runs graph descriptors its Python converter compiled; the runtime has no layer API to list or build from';
    return {
      network_types: Object.fromEntries(['DNN', 'CNN', 'RNN'].map((k) => [k, { supported: null, evidence: reason }])),
      layer_types: { count: null, reason },
      activation_types: { count: null, reason },
      optimizer_types: { count: null, reason: 'inference only: no training code in the runtime' },
      training_api: null,
      save_api: null,
      load_api: typeof W.load === 'function' ? 'WebDNN.load(directory, {backendOrder})' : null,
      gpu_api: 'backends available here: ' + Object.entries(availability).map(([k, v]) => `${k}=${v}`).join(', '),
    };
  }

  // Frameworks whose adapter has no describe(): rule per framework, each checking its global.
  const INTROSPECTORS = {
    tfjs: () => (typeof tf !== 'undefined' ? tfjs() : null),
    convnetjs: () => (typeof convnetjs !== 'undefined' ? convnetjs_() : null),
    kerasjs: () => (typeof KerasJS !== 'undefined' ? kerasjs() : null),
    webdnn: () => (typeof WebDNN !== 'undefined' ? webdnn() : null),
  };

  window.webdlbench.adapters.__survey = {
    version: () => 'survey-probe',

    async init(job) {
      const name = job.survey.framework;
      const adapter = window.webdlbench.adapters[name];
      const out = { framework: name, adapter_registered: Boolean(adapter), adapter_version: null };
      if (adapter) {
        try {
          out.adapter_version = adapter.version();
        } catch (error) {
          out.adapter_version_error = errorText(error);
        }
      }
      try {
        if (adapter && typeof adapter.describe === 'function') {
          out.describe = await adapter.describe(job);
          out.describe_source = `adapters/${name}.js describe()`;
        } else if (INTROSPECTORS[name]) {
          out.describe = INTROSPECTORS[name]();
          out.describe_source = 'survey-probe.js';
          if (!out.describe) out.describe_reason = `the ${name} bundle defined no global to introspect`;
        } else {
          out.describe = null;
          out.describe_reason = `no introspection rule for ${name}`;
        }
      } catch (error) {
        out.describe = null;
        out.describe_reason = `introspection failed: ${errorText(error)}`;
      }
      return { survey: out };
    },
  };
})();
