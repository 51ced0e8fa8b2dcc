// `webdlbench survey`, "Runs in Node.js": load the npm package as Node does and run one layer.
const KerasJS = require('keras-js');
const t = new KerasJS.Tensor(new Float32Array([1, -2, 3]), [3]);
new KerasJS.layers.Activation({ activation: 'relu' }).call(t);
console.log('ok', 'KerasJS.Model', typeof KerasJS.Model);
