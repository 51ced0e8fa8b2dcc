// `webdlbench survey`, "Runs in Node.js": load the npm package as Node does and train a tiny net.
const synaptic = require('synaptic');
const perceptron = new synaptic.Architect.Perceptron(3, 4, 2);
perceptron.activate([1, 0, 1]);
perceptron.propagate(0.1, [1, 0]);
console.log('ok', 'output', perceptron.activate([1, 0, 1]).length);
