// Finding 6's timing, run by harness.js after an inference page's samples when the job has `encodings`.
'use strict';
(() => {
  // Finding 6: the same model loaded from the framework's binary files and from the JSON encoding of
  // its weights (fetch + parse + build each time; model files are never cached), after the samples
  // are taken; the two alternate which goes first, so that neither always meets a warmer page.
  async function time(job, adapter, result) {
    const times = { binary: [], json: [] };
    const loaders = { binary: () => adapter.load(job.model_url), json: () => adapter.loadJsonEncoded(job.encodings.json_url) };
    for (let round = 0; round < job.encodings.rounds; round++) {
      for (const encoding of (round % 2 ? ['json', 'binary'] : ['binary', 'json'])) {
        const start = performance.now();
        const model = await loaders[encoding]();
        times[encoding].push(performance.now() - start);
        if (adapter.dispose) adapter.dispose(model);
      }
    }
    result.metrics.load_binary_ms = times.binary;
    result.metrics.load_json_ms = times.json;
  }

  window.webdlbenchEncodings = { time };
})();
