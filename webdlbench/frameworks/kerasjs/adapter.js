// Keras.js 1.0.3 adapter (inference only). new KerasJS.Model({filepath, gpu}) fetches the protobuf
// and builds the layers; model.ready() resolves when it has run every layer once. predict() takes
// the named input of a Sequential model ("input") as a Float32Array and resolves to
// {output: Float32Array}: in gpu mode the last layer reads its texture back (readPixels) inside
// predict, so the numbers returned are read back, never queued work.
'use strict';
(() => {
  const { Unsupported } = window.webdlbench;
  const INPUT_NAME = 'input';  // Keras.js's name for a Sequential model's input
  let useGpu = false;

  // Keras.js logs a failed fetch or a failed shader compile to the console and carries on: keep
  // its words so that an error outcome says why.
  async function capturingConsole(work) {
    const said = [];
    const originals = {};
    for (const level of ['log', 'warn', 'error']) {
      originals[level] = console[level];
      console[level] = (...args) => { said.push(args.map(String).join(' ')); originals[level].apply(console, args); };
    }
    try {
      return await work();
    } catch (error) {
      if (said.length) error.message = `${error.message} (Keras.js said: ${said.slice(-3).join(' | ')})`;
      throw error;
    } finally {
      Object.assign(console, originals);
    }
  }

  // `webdlbench survey` (paper Table 1): what the loaded library offers, counted from the library
  // itself; each answer states its counting rule ("method"), as docs/frameworks.md lists them.
  const functionsIn = (object) => Object.keys(object || {}).filter((k) => typeof object[k] === 'function');
  function describeLibrary() {
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

  window.webdlbench.adapters.kerasjs = {
    version: () => null,  // the bundle carries no version string; the harness reads package.json

    async init(job) {
      useGpu = job.spec.backend === 'webgl';
      if (useGpu && !KerasJS.GPU_SUPPORT) {
        // Keras.js would silently run on the CPU instead: that is not the backend asked for.
        throw new Unsupported('Keras.js gpu mode needs WebGL2: KerasJS.GPU_SUPPORT is false in this browser');
      }
      return { backend: job.spec.backend, gpu: useGpu, gpu_support: KerasJS.GPU_SUPPORT };
    },

    async load(url) {
      return capturingConsole(async () => {
        const model = new KerasJS.Model({ filepath: url, gpu: useGpu });
        await model.ready();
        if (model.gpu !== useGpu) throw new Error(`Keras.js model runs with gpu=${model.gpu}, not ${useGpu}`);
        return model;
      });
    },

    async predict(model, x) {
      const out = await model.predict({ [INPUT_NAME]: x });
      return out.output;
    },

    dispose(model) {
      model.cleanup();
    },

    describe() {
      return describeLibrary();
    },
  };
})();
