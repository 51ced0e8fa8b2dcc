// `webdlbench survey`, "Runs in Node.js": load the npm package as Node does and run a tiny model.
const tf = require('@tensorflow/tfjs');
const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
const y = model.predict(tf.ones([1, 3])).dataSync();
console.log('ok', 'tfjs', tf.version.tfjs, 'output', y.length);
