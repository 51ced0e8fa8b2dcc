// The responsiveness pass (runners/passes.py): while the model infers in a steady loop, the page
// runs a fixed requestAnimationFrame animation, watches Long Animation Frames and long tasks, and
// handles the clicks the harness dispatches through CDP. First the animation alone (its undisturbed
// frame rate), then the model's load and first (warm-up) inference on the main thread ('first': where
// a GPU backend compiles its shaders), then the loop on the main thread, then the same load and first
// inference in a dedicated Web Worker ('worker_first'; web/qoe-worker.js) and the loop there.
// A page that stops painting still ends: the loop stops by the clock, and its frames count as missed.
'use strict';
(() => {
  const passes = (window.webdlbenchPasses = window.webdlbenchPasses || {});
  const LONG_TASK_MS = 50;  // the Long Tasks API's own threshold: time beyond it is blocking time
  const SETTLE_MS = 300;    // after a phase: late observer entries and input frames arrive
  const SHAPES = 100;       // the animation's fixed work per frame
  // A fast model runs thousands of inferences in a phase: its per-call times are kept as at most this
  // many values, each the mean per call of consecutive calls (the count is in the phase's facts).
  const MAX_TIMES = 300;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function startAnimation() {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 200;
    document.body.appendChild(canvas);
    const ctx = canvas.getContext('2d');
    const animation = { frames: [], running: true };
    const draw = (t) => {
      if (!animation.running) return;
      animation.frames.push(t);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      for (let i = 0; i < SHAPES; i++) {
        ctx.fillStyle = `hsl(${(i * 7 + t / 10) % 360}, 70%, 50%)`;
        ctx.fillRect((i * 13 + t / 5) % canvas.width, (i * 29) % canvas.height, 12, 12);
      }
      requestAnimationFrame(draw);
    };
    requestAnimationFrame(draw);
    return animation;
  }

  function observe(type, options = {}) {
    const found = { type, entries: [], supported: PerformanceObserver.supportedEntryTypes.includes(type) };
    if (!found.supported) return found;
    const observer = new PerformanceObserver((list) => found.entries.push(...list.getEntries()));
    observer.observe({ type, ...options });
    found.stop = () => {
      found.entries.push(...observer.takeRecords());
      observer.disconnect();
    };
    return found;
  }

  // Each dispatched click: its delay to the handler, and to the next frame after the handler.
  function watchInputs() {
    const inputs = [];
    window.addEventListener('pointerdown', (event) => {
      const record = { at: event.timeStamp, delay: performance.now() - event.timeStamp, paint: null };
      inputs.push(record);
      requestAnimationFrame(() => { record.paint = performance.now() - event.timeStamp; });
    });
    return inputs;
  }

  function perCall(times) {
    if (times.length <= MAX_TIMES) return times;
    const size = Math.ceil(times.length / MAX_TIMES);
    const means = [];
    for (let i = 0; i < times.length; i += size) {
      const block = times.slice(i, i + size);
      means.push(block.reduce((a, b) => a + b, 0) / block.length);
    }
    return means;
  }

  const overlaps = (entry, from, to) => entry.startTime < to && entry.startTime + entry.duration > from;
  const sum = (values) => values.reduce((a, b) => a + b, 0);

  // One phase: the inference loop (`loop(seconds)` -> per-call ms) under the animation and inputs.
  async function phase(thread, loop, settings, context, result, absent) {
    const H = window.webdlbench.harness;
    const observed = [observe('long-animation-frame'), observe('longtask'), observe('event', { durationThreshold: 16 })];
    const firstInput = context.inputs.length;
    await H.mark('qoe-inputs');
    const from = performance.now();
    const times = await loop(settings.seconds);
    const to = performance.now();
    await H.mark('qoe-inputs-end');  // the harness waits there for inputs still being delivered
    await sleep(SETTLE_MS);
    for (const o of observed) if (o.stop) o.stop();
    if (!times.length) return;  // nothing ran (a worker that could not start): no phase to report
    const [frames, tasks, events] = observed;
    const prefix = `qoe_${thread}_`;
    const delivered = context.animation.frames.filter((t) => t >= from && t < to).length;
    const expected = ((to - from) / 1000) * context.idleFps;
    const metrics = {
      fps: [delivered / ((to - from) / 1000)],
      dropped_frame_pct: [expected > 0 ? Math.min(100, Math.max(0, (100 * (expected - delivered)) / expected)) : 0],
      infer_ms: perCall(times),
    };
    if (frames.supported) {
      const long = frames.entries.filter((e) => overlaps(e, from, to));
      metrics.long_frames = [long.length];
      metrics.long_frame_blocking_ms = [sum(long.map((e) => e.blockingDuration || 0))];
    } else {
      absent[`${prefix}long_frames`] = 'this browser has no Long Animation Frames API (long-animation-frame)';
    }
    if (tasks.supported) {
      const long = tasks.entries.filter((e) => overlaps(e, from, to));
      metrics.long_tasks = [long.length];
      metrics.total_blocking_ms = [sum(long.map((e) => Math.max(0, e.duration - LONG_TASK_MS)))];
    } else {
      absent[`${prefix}long_tasks`] = 'this browser has no Long Tasks API (longtask)';
    }
    const inputs = context.inputs.slice(firstInput).filter((i) => i.at >= from && i.at <= to);
    if (inputs.length) {
      metrics.input_delay_ms = inputs.map((i) => Math.max(0, i.delay));
      const painted = inputs.filter((i) => i.paint !== null);
      if (painted.length) metrics.input_to_paint_ms = painted.map((i) => Math.max(0, i.paint));
    } else {
      absent[`${prefix}input_delay_ms`] = 'no dispatched input reached the page during the loop';
    }
    for (const [name, values] of Object.entries(metrics)) result.metrics[prefix + name] = values;
    result.info.qoe_pass.phases[thread] = { seconds: (to - from) / 1000, frames: delivered, expected_frames: expected,
      inferences: times.length, inputs_handled: inputs.length,
      event_timing_entries: events.supported ? events.entries.filter((e) => e.name === 'pointerdown').length : null };
  }

  async function mainThreadLoop(adapter, model, refs) {
    const H = window.webdlbench.harness;
    return async (seconds) => {
      const times = [];
      const stop = performance.now() + seconds * 1000;
      for (let i = 0; performance.now() < stop; i++) {
        const start = performance.now();
        H.requireVector(await adapter.predict(model, refs[i % refs.length]), 'predict');
        times.push(performance.now() - start);
      }
      return times;
    };
  }

  // The same library and adapter in a dedicated worker; its failure to start is the worker's outcome.
  function startWorker(job, refs, warmup) {
    const worker = new Worker('/qoe-worker.js');
    const reply = () => new Promise((resolve) => {
      worker.onmessage = ({ data }) => resolve(data);
      worker.onerror = (event) => resolve({ type: 'error', error: `worker error: ${event.message || 'the worker script failed'}` });
    });
    const ready = reply();
    worker.postMessage({ type: 'load', job, refs, warmup });
    return ready.then((data) => {
      if (data.type !== 'ready') {
        worker.terminate();
        throw Object.assign(new Error(data.error), { stage: data.stage });
      }
      return {
        info: data.info,
        loadMs: data.load_ms,
        firstMs: data.first_ms,
        loop: async (seconds) => {
          const done = reply();
          worker.postMessage({ type: 'run', seconds });
          const answer = await done;
          if (answer.type !== 'times') throw new Error(answer.error);
          return answer.times;
        },
        stop: () => worker.terminate(),
      };
    });
  }

  passes.qoe = async (job, adapter, result) => {
    const H = window.webdlbench.harness;
    const settings = job.pass;
    const refs = await H.loadReferenceInputs(job);
    const absent = {};
    result.info.qoe_pass = { settings, phases: {}, absent };
    const context = { animation: startAnimation(), inputs: watchInputs(), idleFps: 0 };
    const idleFrom = performance.now();
    await sleep(settings.idle_seconds * 1000);
    const idleTo = performance.now();
    context.idleFps = context.animation.frames.filter((t) => t >= idleFrom && t < idleTo).length / ((idleTo - idleFrom) / 1000);
    result.metrics.qoe_idle_fps = [context.idleFps];
    if (settings.threads.includes('main')) {
      let model = null;
      let warmed = 0;
      if (settings.threads.includes('first')) {  // the model's load and first inference, under the animation too
        const first = async () => {
          const loadStart = performance.now();
          model = await adapter.load(job.model_url);
          result.metrics.qoe_first_load_ms = [performance.now() - loadStart];
          const start = performance.now();
          H.requireVector(await adapter.predict(model, refs[0]), 'predict');
          return [performance.now() - start];
        };
        await phase('first', first, settings, context, result, absent);
        warmed = 1;
      } else {
        model = await adapter.load(job.model_url);
      }
      for (let i = warmed; i < Math.max(1, settings.warmup); i++) H.requireVector(await adapter.predict(model, refs[i % refs.length]), 'predict');
      await phase('main', await mainThreadLoop(adapter, model, refs), settings, context, result, absent);
      if (adapter.dispose) adapter.dispose(model);
    }
    if (settings.threads.includes('worker')) {
      let worker = null;
      const start = async () => {  // the worker's start, load and first inference ('worker_first' times them)
        try {
          worker = await startWorker(job, refs, settings.warmup);
        } catch (error) {  // the library or its backend cannot run in a worker, or (stage 'first') its
          // first inference there gave no numbers: recorded with its words, no worker times kept
          const outcome = error.stage === 'first' ? 'error' : 'unsupported';
          result.info.qoe_pass.worker = { outcome, error: error.message || String(error) };
          return [];
        }
        result.info.qoe_pass.worker_info = worker.info;
        result.metrics.qoe_worker_first_load_ms = [worker.loadMs];
        return [worker.firstMs];
      };
      if (settings.threads.includes('worker_first')) await phase('worker_first', start, settings, context, result, absent);
      else await start();
      if (worker) {
        try {
          await phase('worker', worker.loop, settings, context, result, absent);
          result.info.qoe_pass.worker = { outcome: 'ok', error: '' };
        } catch (error) {
          result.info.qoe_pass.worker = { outcome: 'error', error: H.describe(error) };
        } finally {
          worker.stop();
        }
      }
    }
    context.animation.running = false;
    await H.mark('done');
  };
})();
