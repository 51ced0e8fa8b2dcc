// `webdlbench survey`, "Runs in Node.js": load the bundle the page loads (WEBDLBENCH_BUNDLE: the one
// built at setup, or --lib's) and train a tiny net. A browser bundle may be CommonJS/UMD
// (module.exports) or a plain script defining the global `Mind` (the setup build is the latter).
const path = process.env.WEBDLBENCH_BUNDLE;
let Mind = require(path);
Mind = Mind && (Mind.default || Mind);
if (typeof Mind !== 'function') {
  require('vm').runInThisContext(require('fs').readFileSync(path, 'utf8'));
  Mind = globalThis.Mind && (globalThis.Mind.default || globalThis.Mind);
}
const mind = new Mind({ iterations: 2, hiddenUnits: 2 });
mind.learn([{ input: [0, 1], output: [1] }, { input: [1, 0], output: [0] }]);
console.log('ok', 'output', String(mind.predict([0, 1])));
