// `webdlbench survey`, "Runs in Node.js": load the npm package as Node does and run a tiny net.
const convnetjs = require('convnetjs');
const net = new convnetjs.Net();
net.makeLayers([{ type: 'input', out_sx: 1, out_sy: 1, out_depth: 3 },
  { type: 'fc', num_neurons: 4, activation: 'relu' }, { type: 'softmax', num_classes: 2 }]);
const y = net.forward(new convnetjs.Vol([1, 0, 1])).w;
console.log('ok', 'output', y.length);
