// webdlbench sampling rules, shared by the page harness (harness.js) and its Node tests; the native
// worker (native/worker.py, steady_state/block_size) is their Python twin, held to the same cases
// by tests/test_sampling_rules.py. Pure functions: no timing happens here.
'use strict';
(function (root) {
  // Warm-up ends when the median of the last WINDOW timings is within TOLERANCE of the median of
  // the WINDOW before (the JIT and the kernel caches have settled), after `minimum` calls at least.
  const WINDOW = 5;
  const TOLERANCE = 0.10;
  // A timed region must last this many timer ticks, or the timer's resolution distorts it:
  // shorter calls are timed as blocks of k calls (torch.utils.benchmark's blocked autorange).
  const TICKS_PER_REGION = 100;
  const MAX_BLOCK = 10000;
  // A replicate samples until it has spec.samples samples and spec.sample_time_s inside its timed
  // regions, within its time budget and this many samples. Calls too short to fill sample_time_s
  // in about SAMPLES_TARGET samples are timed in blocks (pyperf's loops): each sample then is the
  // mean of k calls, and a replicate stores a few hundred values, not tens of thousands.
  const MAX_SAMPLES = 1000;
  const SAMPLES_TARGET = 200;

  function median(values) {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  // True when the warm-up timings so far have settled (see WINDOW and TOLERANCE).
  function settled(timings, minimum) {
    if (timings.length < Math.max(minimum, 2 * WINDOW)) return false;
    const last = median(timings.slice(-WINDOW));
    const before = median(timings.slice(-2 * WINDOW, -WINDOW));
    return Math.abs(last - before) <= TOLERANCE * before;
  }

  // Calls per timed region: 1, or enough that a region spans TICKS_PER_REGION ticks of the timer.
  // The shortest timed region: 100 ticks of the timer, and sample_time_s / SAMPLES_TARGET.
  function minRegionMs(resolutionMs, sampleTimeS) {
    return Math.max(TICKS_PER_REGION * resolutionMs, (sampleTimeS * 1000) / SAMPLES_TARGET);
  }

  // Another sample? `taken` samples so far, `timedMs` inside timed regions (see MAX_SAMPLES).
  function wantsSample(taken, timedMs, samples, sampleTimeS) {
    if (taken < samples) return true;
    return taken < MAX_SAMPLES && timedMs < sampleTimeS * 1000;
  }

  // Calls per timed region: 1, or enough that a region lasts `regionMs` (minRegionMs).
  function blockSize(perCallMs, regionMs) {
    if (!(perCallMs > 0) || !(regionMs > 0)) return 1;
    return Math.max(1, Math.min(MAX_BLOCK, Math.ceil(regionMs / perCallMs)));
  }

  // The smallest step performance.now() takes here (5 µs cross-origin isolated, 100 µs otherwise).
  function timerResolutionMs(now) {
    let smallest = Infinity;
    for (let i = 0; i < 20; i++) {
      const start = now();
      let next = now();
      while (next === start) next = now();
      smallest = Math.min(smallest, next - start);
    }
    return smallest;
  }

  const api = { WINDOW, TOLERANCE, TICKS_PER_REGION, MAX_BLOCK, MAX_SAMPLES, SAMPLES_TARGET, median, settled,
    wantsSample, minRegionMs, blockSize, timerResolutionMs };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.webdlbenchSampling = api;
})(typeof self !== 'undefined' ? self : this);
