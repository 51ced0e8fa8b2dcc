"""Each finding's rule in words (shown in the report beside its verdict), its thresholds, the suite
that tests it, and the report section its numbers come from. Every comparison below is a test
between sets of replicates (analysis/compare.py: Welch's t on log replicate medians, Holm's
correction across the comparisons of one rule); a unit whose test does not decide is undecided and
never counted for the claim."""
from __future__ import annotations

from webdlbench.analysis import paper

# 1: a framework is actively maintained when it published a version within a year of the survey.
MAINTAINED_WITHIN_DAYS = 365
# 2: bootstrap resamples of each fit, and the fewest models a fit with intervals is made from.
BOOTSTRAP_RESAMPLES = 1000
MIN_FIT_CONFIGURATIONS = 6
# 3: "much longer" read as at least ten times the steady-state inference.
MUCH_LONGER = 10.0
# 6: "much bigger (7x)": at least the paper's factor less 20%; "increases the loading time": by at
# least a quarter.
SIZE_RATIO_AT_LEAST = paper.JSON_OVER_BINARY * 0.8
LOAD_SLOWER_AT_LEAST = 1.25
# 7: "much deeper" read as at least twice as deep.
DEEPER_AT_LEAST = 2.0
# 8: a renderer busier than one and a half cores uses more than one core (the paper's own bound for
# one core is 110%: other threads run now and then).
MULTI_CORE_PCT = 150.0

UNITS = ("A part's verdict from its units (frameworks, series, specs, pairs): holds when more than half support "
         "the claim, differs when at least half contradict it, inconclusive otherwise (too many undecided: more "
         "replicates decide them).")

RULES = {
    1: "From the stored survey (Table 1). Specific: a framework is general-purpose when it trained (a train spec "
       "ran and its loss fell) and the probe found DNN, CNN and RNN support, specific when any of the four is "
       "known to be missing; holds when more than half of the frameworks whose four facts are known are specific "
       "and TensorFlow.js is general-purpose. Maintained: the npm registry's publish dates read at survey time "
       f"(`npm view PACKAGE time --json`); a framework is maintained when it published a version within "
       f"{MAINTAINED_WITHIN_DAYS} days of the survey; holds when more than half of the frameworks with publish dates "
       "are. Dates count only when the answer carries npm's `created`/`modified` entries and no version is dated "
       "before the package's creation or after the survey (not tested here otherwise). 'Emerging' is not judged.",
    2: "Per browser MLP series (framework/backend/task) with at least "
       f"{MIN_FIT_CONFIGURATIONS} models over two depths and two widths: time = a + b·MFLOPs + c·depth, least "
       "squares on relative residuals, so that c is what a layer costs beyond its FLOPs. From the fit, the time "
       "factor when width doubles and when depth doubles at the grid's centre; 95% intervals by a hierarchical "
       f"bootstrap ({BOOTSTRAP_RESAMPLES} resamples of the models, and of each model's replicate medians). A series "
       "supports the claim when width's factor exceeds depth's (bootstrap p-value of their log ratio, Holm-corrected "
       "across the task's series, below 0.05), contradicts it when depth's does. Judged per task (training, "
       "inference). " + UNITS,
    3: f"Per browser inference spec, per model class (MLP, CNN, LSTM, pre-trained): per replicate (one page) "
       f"(load + warm-up) / median inference, and Student's t on their logs against {MUCH_LONGER:g}x, Holm-corrected "
       f"across the specs. A spec supports 'much longer' when the ratio is above {MUCH_LONGER:g}x, contradicts it "
       "when below. The finding holds only where every class measured holds. " + UNITS + " The second sentence "
       "(integrated vs standalone GPU warm-up) needs both kinds of GPU and is not tested here.",
    4: "For each pre-trained model (a model that is not one of Table 5's DNN/CNN/RNN sweeps): TF.js inference on a "
       "standalone graphics card (WebGL/WebGPU; not integrated, not SwiftShader or a fallback adapter) over native "
       "inference on the GPU (TensorFlow; PyTorch where TensorFlow has none), tested against "
       f"{paper.PRETRAINED_GPU_RATIO[1]:g}x (the paper: 1x–2x slower). A pair supports the claim when the ratio is "
       f"below {paper.PRETRAINED_GPU_RATIO[1]:g}x, contradicts it when above. " + UNITS,
    5: "Only on integrated graphics (the claim's subject; a standalone card or SwiftShader is not tested here): for "
       "every configuration run both by TF.js on that GPU and natively on the CPU (same model, task, depth, width, "
       "batch; TensorFlow, else PyTorch/ONNX Runtime), the browser/native time ratio tested against 1. A pair "
       "supports the claim when the browser is faster, contradicts it when slower. " + UNITS,
    6: "One framework's JSON and binary encodings of the same weights (metrics model_json_bytes / "
       "model_binary_bytes and load_json_ms / load_binary_ms of one spec). Size: a model supports the claim when "
       f"its JSON file is at least {SIZE_RATIO_AT_LEAST:g}x its binary file (the paper's 7x less 20%), contradicts "
       f"it otherwise. Load time: the JSON/binary load-time ratio tested against {LOAD_SLOWER_AT_LEAST:g}x; a "
       "model supports the claim when above, contradicts it when below. " + UNITS + " Files of different "
       "frameworks are shown for reference, not judged (their formats differ in more than the encoding).",
    7: f"Call stack: TF.js's deepest sampled stack (any backend) is at least {DEEPER_AT_LEAST:g}x ConvNetJS's. "
       "Performance, per TF.js backend (cpu, wasm, webgl, webgpu: every backend shares the deep stack): TF.js / "
       "ConvNetJS training time of the same model tested against 1, Holm-corrected across every backend's pairs; "
       "a pair supports the claim when TF.js is slower, contradicts it when faster. A backend that trains faster "
       "than ConvNetJS despite the stack is counter-evidence. " + UNITS,
    8: f"Cores, on a machine with more than one core: per CPU-side training spec (cpu, wasm), the renderer's CPU% "
       f"(replicate medians) tested against {MULTI_CORE_PCT:g}%, Holm-corrected across the specs; differs when any "
       f"spec is above (more than one core in use), holds when more than half are below. GPU memory, where the "
       "browser has a hardware GPU: the GPU process's peak memory (gpu_memory_peak_bytes) tested against 1 GiB; "
       "differs when any spec is above, holds when a model ran out of GPU memory while every measured spec was "
       "below. Where nvidia-smi cannot list the GPU process (containers), the card's memory in use "
       "(gpu_memory_used_peak_bytes) bounds it from above: it can show below, never above. Not tested without the measurement (WebGPU's maxBufferSize is a per-buffer limit, not judged).",
}
FILL = {
    1: "webdlbench survey --store STORE",
    2: "webdlbench run paper-training (and paper-inference)",
    3: "webdlbench run paper-inference",
    4: "webdlbench run paper-pretrained on a machine with a standalone GPU",
    5: "webdlbench run paper-pretrained or gap-quick on a machine with integrated graphics",
    6: "a suite whose TF.js inference specs save and load both JSON and binary weights",
    7: "webdlbench run paper-training (it profiles the call stack)",
    8: "webdlbench run paper-training (a GPU machine for the memory half)",
}
LINKS = {1: "table1", 2: "fig1", 3: "fig2", 4: "fig5", 5: "fig5", 6: "table3", 7: "stack", 8: "table2"}
