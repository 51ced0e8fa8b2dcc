// `webdlbench survey`, "Runs in Node.js": load the npm package as Node does and run the one-node
// model of WEBDLBENCH_ONNX_B64 (the adapter's init model, given by the framework's node_probe_env).
const ort = require('onnxruntime-web');
ort.env.logLevel = 'error';
ort.InferenceSession.create(Buffer.from(process.env.WEBDLBENCH_ONNX_B64, 'base64'))
  .then((session) => session.run({ x: new ort.Tensor('float32', new Float32Array([2]), [1]) }))
  .then((result) => console.log('ok', 'output', result.y.data[0]))
  .catch((error) => { console.error(error); process.exit(1); });
