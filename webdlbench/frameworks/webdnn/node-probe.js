// `webdlbench survey`, "Runs in Node.js": does the npm package load outside a browser?
const WebDNN = require('webdnn');
console.log('ok', 'WebDNN.load', typeof WebDNN.load);
