// `webdlbench survey`, "Runs in Node.js": load the npm package as Node does and train a tiny net.
const brain = require('brain.js');
const net = new brain.NeuralNetwork();
net.train([{ input: [0, 1], output: [1] }, { input: [1, 0], output: [0] }], { iterations: 10 });
console.log('ok', 'output', net.run([0, 1]).length);
