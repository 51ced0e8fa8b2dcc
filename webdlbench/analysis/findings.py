"""The paper's eight findings (Table 6) judged from measurements: one function per finding, each
with its rule stated in RULES and applied to the summary frame of one environment (the browser's
results plus native results from the same machine). Pure functions; no I/O.

Every judgement returns a `Finding`: the paper's claim, the rule, a verdict (`holds`, `differs` or
`not tested here`), how the data led there, and the numbers (medians with 95% CIs and n) that bear
on it, each linked to the report's table or figure it comes from. A claim made of two parts is
judged part by part; the verdict is `differs` when a tested part differs, `holds` when every
tested part holds, and `not tested here` when no part could be tested.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from webdlbench.analysis import gap, paper

HOLDS, DIFFERS, NOT_TESTED = "holds", "differs", "not tested here"
VERDICTS = (HOLDS, DIFFERS, NOT_TESTED)
HEADLINE = {"train": "train_batch_ms", "infer": "infer_ms"}
GPU_BACKENDS = ("webgl", "webgpu", "gpu")
CPU_BACKEND_NAMES = ("cpu",)   # the plain-JavaScript backend the paper called "CPU"
# Finding 3: "much longer" read as at least ten times the steady-state inference.
MUCH_LONGER = 10.0
# Finding 6: "much bigger (7x)" read as at least half the paper's factor.
JSON_RATIO_AT_LEAST = paper.JSON_OVER_BINARY / 2
# Finding 7: "much deeper" read as at least twice as deep.
DEEPER_AT_LEAST = 2.0
# Finding 8: a renderer busier than one and a half cores at the median uses more than one core
# (the paper's own bound for one core is 110%: other threads run now and then).
MULTI_CORE_PCT = 150.0
GPU_MEMORY_ERROR_WORDS = ("out of memory", "out_of_memory", "greater than webgl maximum", "oom")

RULES = {
    1: "From the stored survey (Table 1): a framework is general-purpose when it trained (a train spec ran and "
       "its loss fell) and the probe found DNN, CNN and RNN support; specific when any of the four is known to "
       "be missing. Holds when more than half of the frameworks whose four facts are known are specific and "
       "TensorFlow.js is general-purpose. (Whether frameworks are actively maintained is not measurable "
       "offline and is not judged.)",
    2: "Per browser series (framework/backend/task) with at least two depths and two widths: least-squares fit "
       "of log2(median time) on log2(depth) and log2(width); width dominates when its slope (growth per "
       "doubling) exceeds depth's. Judged per task (training, inference): holds for a task when width dominates "
       "in more than half of its series; the finding holds when it holds for every task measured.",
    3: f"Per ok browser inference spec: load + warm-up (sum of the medians; the sum of the CI lower bounds) "
       f"against steady-state inference (the CI upper bound). Much longer = at least {MUCH_LONGER:g}x, judged on "
       "the conservative bounds. Holds when that is so for more than half of the specs. The second sentence "
       "(integrated vs standalone GPU warm-up) needs both kinds of GPU and is not judged.",
    4: "For each pre-trained model (Figure 5: a model that is not one of Table 5's DNN/CNN/RNN sweeps): TF.js "
       "inference on a hardware GPU "
       "(WebGL/WebGPU, not SwiftShader or a fallback adapter) over native inference on the GPU (TensorFlow; "
       "PyTorch where TensorFlow has no GPU result). Holds when the median ratio is at most 2 (the paper: "
       "1x-2x slower) for more than half of the model/backend pairs.",
    5: "For every configuration run both by TF.js on a hardware GPU and natively on the CPU (same model, task, "
       "depth, width, batch; native TensorFlow, else PyTorch/ONNX Runtime): the browser is better when its CI "
       "upper bound lies below the native CI lower bound. Holds when the browser is better in more than half "
       "of the pairs.",
    6: f"JSON formats (brain.js, ConvNetJS, synaptic, Mind: the framework's model_format starts with JSON) "
       f"against the binary TF.js files of the same depth x width. Size: holds when each JSON format's median "
       f"size ratio is at least {JSON_RATIO_AT_LEAST:g}x (half the paper's 7x). Load time: holds when the JSON "
       "model's load CI lies wholly above the binary model's (TF.js on its cpu backend) in more than half of "
       "the shared models. The finding holds when both parts hold.",
    7: f"Call-stack depth: the deepest sampled stack of TF.js training (any backend, profiling pass) is at "
       f"least {DEEPER_AT_LEAST:g}x ConvNetJS's. Performance: ConvNetJS trains faster than TF.js's CPU backend "
       "(ConvNetJS's CI upper bound below TF.js's CI lower bound) in more than half of the shared models. "
       "Holds when both parts hold.",
    8: f"Cores: on a machine with more than one core, no browser CPU-side training backend (cpu, wasm) keeps "
       f"the page's renderer above {MULTI_CORE_PCT:g}% CPU at the median (Table 2). GPU memory, where the "
       "browser has a hardware GPU: holds when the WebGPU adapter's max buffer is at most 1 GiB or a GPU "
       "out-of-memory outcome was recorded; differs when the limit is larger and nothing ran out.",
}
FILL = {
    1: "webdlbench survey --store STORE",
    2: "webdlbench run paper-training (and paper-inference)",
    3: "webdlbench run paper-inference",
    4: "webdlbench run paper-pretrained on a machine with a GPU",
    5: "webdlbench run paper-pretrained or gap-quick on a machine with a GPU",
    6: "webdlbench run paper-inference",
    7: "webdlbench run paper-training (it profiles the call stack)",
    8: "webdlbench run paper-training (a GPU machine for the memory half)",
}
LINKS = {1: "table1", 2: "fig1", 3: "fig2", 4: "fig5", 5: "fig5", 6: "table3", 7: "stack", 8: "table2"}


def is_pretrained(model: str) -> bool:
    """A pre-trained architecture (Table 4, Figure 5, e.g. keras:MobileNetV2): any model whose
    network type (analysis/gap.py) is not one of Table 5's factor networks (DNN, CNN, RNN)."""
    return gap.NETWORK_TYPES.get(model, model) not in paper.TABLE5


@dataclass(frozen=True)
class Evidence:
    text: str
    link: str = ""   # the report anchor (table or figure) the numbers come from


@dataclass
class Part:
    verdict: str
    how: str
    fill: str = ""   # when not tested: what would test this part (default: the finding's suite)


@dataclass
class Finding:
    number: int
    name: str
    claim: str
    rule: str
    verdict: str
    how: str
    evidence: list[Evidence] = field(default_factory=list)
    fill: str = ""
    link: str = ""


@dataclass
class FindingData:
    """What one environment measured: its summary frame (stats.summary_frame rows, browser and
    native), the browser's fingerprint, and the stored survey facts (None when none)."""

    summary: pd.DataFrame
    fingerprint: dict = field(default_factory=dict)
    survey: dict | None = None


# -- helpers ----------------------------------------------------------------------------------------
def fmt(value: float) -> str:
    """About three significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1 or magnitude == 0:
        return f"{value:.2f}"
    return f"{value:.3g}"


def ci_text(row, unit: str = "ms") -> str:
    """'4.20 ms (95% CI 4.10–4.30, n = 20)' from a summary row."""
    return f"{fmt(row['median'])} {unit} (95% CI {fmt(row['ci_low'])}–{fmt(row['ci_high'])}, n = {int(row['n'])})"


def label(row) -> str:
    fw = str(row["framework"])
    return f"{fw} (native)/{row['backend']}" if row.get("runtime") == "native" else f"{fw}/{row['backend']}"


def combine(parts: list[Part]) -> tuple[str, str]:
    """The finding's verdict from its parts (see the module docstring) and the parts' explanations."""
    verdicts = [p.verdict for p in parts]
    if DIFFERS in verdicts:
        verdict = DIFFERS
    elif HOLDS in verdicts:
        verdict = HOLDS
    else:
        verdict = NOT_TESTED
    return verdict, " ".join(p.how for p in parts)


def _side(row: dict, suffix: str) -> dict:
    """The median, CI and n of the other side of a merged pair (columns with `suffix`)."""
    return {k: row[k + suffix] for k in ("median", "ci_low", "ci_high", "n")}


def _majority(hits: int, total: int) -> bool:
    return total > 0 and hits * 2 > total


def _ok(summary: pd.DataFrame, metric: str | None = None) -> pd.DataFrame:
    rows = summary[(summary["outcome"] == "ok") & (summary["n"] > 0)]
    return rows if metric is None else rows[rows["metric"] == metric]


def _headline(summary: pd.DataFrame) -> pd.DataFrame:
    rows = _ok(summary)
    return rows[rows["metric"] == rows["task"].map(HEADLINE)]


def hardware_gpu(fingerprint: dict, backend: str) -> tuple[bool, str]:
    """(the backend runs on a hardware GPU, what the fingerprint says)."""
    if backend == "webgpu":
        adapter = fingerprint.get("webgpu_adapter")
        if not adapter:
            return False, "no WebGPU adapter"
        text = f"WebGPU adapter {adapter.get('vendor') or '?'} / {adapter.get('architecture') or '?'}"
        software = adapter.get("is_fallback") or "swiftshader" in str(adapter).lower()
        return (not software), text + (" (software fallback)" if software else "")
    renderer = str(fingerprint.get("webgl_renderer") or "")
    if not renderer:
        return False, "no WebGL renderer recorded"
    software = any(word in renderer.lower() for word in ("swiftshader", "llvmpipe", "software"))
    return (not software), f"WebGL renderer {renderer}" + (" (software)" if software else "")


def _finding(number: int, parts: list[Part], evidence: list[Evidence]) -> Finding:
    claim = paper.TABLE6[number - 1]
    verdict, how = combine(parts)
    fills = [p.fill or FILL[number] for p in parts if p.verdict == NOT_TESTED]
    return Finding(number, claim.name, claim.finding, RULES[number], verdict, how, evidence,
                   fill="; ".join(dict.fromkeys(fills)), link=LINKS[number])


# -- 1: specific DL task support ---------------------------------------------------------------------
def framework_capabilities(survey: dict) -> dict[str, dict]:
    """Per framework: train / DNN / CNN / RNN as True, False or None (unknown), from survey facts."""
    found = {}
    for name, facts in survey.items():
        describe = (facts.get("probe") or {}).get("describe") or {}
        caps = {kind: (describe.get("network_types") or {}).get(kind, {}).get("supported")
                for kind in ("DNN", "CNN", "RNN")}
        trains = [s for s in facts.get("specs", []) if s.get("task") == "train"]
        declared = {t for tasks in (facts.get("declared", {}).get("backends") or {}).values() for t in tasks}
        if trains:
            caps["train"] = any(s.get("outcome") == "ok" for s in trains)
        else:  # not run: known only when no backend even declares training
            caps["train"] = False if declared and "train" not in declared else None
        found[name] = {"title": facts.get("title", name), **caps}
    return found


def judge_task_support(data: FindingData) -> Finding:
    if not data.survey:
        return _finding(1, [Part(NOT_TESTED, "No survey is stored.")], [])
    caps = framework_capabilities(data.survey)
    general, specific, unknown = [], [], []
    for name, cap in caps.items():
        values = [cap[k] for k in ("train", "DNN", "CNN", "RNN")]
        (specific if False in values else general if all(v is True for v in values) else unknown).append(name)
    evidence = [Evidence(f"{caps[n]['title']}: " + ", ".join(
        f"{k} {'yes' if caps[n][k] else 'no' if caps[n][k] is False else 'unknown'}"
        for k in ("train", "DNN", "CNN", "RNN")), "table1") for n in caps]
    known = len(general) + len(specific)
    if known == 0:
        return _finding(1, [Part(NOT_TESTED, "The survey could not establish any framework's capabilities.")],
                        evidence)
    if _majority(len(specific), known):
        share = Part(HOLDS, f"{len(specific)} of {known} frameworks support only a subset of training/DNN/CNN/RNN.")
    else:
        share = Part(DIFFERS, f"Only {len(specific)} of {known} frameworks support only a subset of "
                              "training/DNN/CNN/RNN.")
    if unknown:
        share.how += f" Not counted (a fact unknown): {', '.join(caps[n]['title'] for n in unknown)}."
    if "tfjs" in general:
        tfjs = Part(HOLDS, "TensorFlow.js supports all four.")
    elif "tfjs" in specific:
        tfjs = Part(DIFFERS, "TensorFlow.js lacks one of the four.")
    else:
        tfjs = Part(NOT_TESTED, "TensorFlow.js's capabilities are not known from this survey.",
                    "webdlbench survey --frameworks tfjs --store STORE")
    return _finding(1, [share, tfjs], evidence)


# -- 2: model complexity -----------------------------------------------------------------------------
def growth_per_doubling(points: pd.DataFrame) -> tuple[float, float] | None:
    """(time factor per doubling of depth, per doubling of width) from a log2 least-squares fit of
    the medians, or None when depth and width do not both vary."""
    if points["depth"].nunique() < 2 or points["width"].nunique() < 2 or len(points) < 3:
        return None
    design = np.column_stack([np.ones(len(points)), np.log2(points["depth"].astype(float)),
                              np.log2(points["width"].astype(float))])
    target = np.log2(points["median"].astype(float).clip(lower=1e-9))
    if np.linalg.matrix_rank(design) < 3:
        return None
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    return float(2 ** coef[1]), float(2 ** coef[2])


def judge_model_complexity(data: FindingData) -> Finding:
    rows = _headline(data.summary)
    rows = rows[(rows["runtime"] == "browser") & (rows["model"] == "mlp")]
    parts, evidence = [], []
    for task, link, name in (("train", "fig1", "training"), ("infer", "fig4", "inference")):
        mine = rows[rows["task"] == task]
        fits = []
        for (framework, backend), points in mine.groupby(["framework", "backend"]):
            growth = growth_per_doubling(points)
            if growth is None:
                continue
            fits.append((framework, backend, *growth))
            evidence.append(Evidence(
                f"{name}, {framework}/{backend}: ×{growth[1]:.2f} per width doubling vs ×{growth[0]:.2f} per depth "
                f"doubling ({len(points)} models; " + _example_points(points) + ")", link))
        if not fits:
            parts.append(Part(NOT_TESTED, f"{name.capitalize()}: no series with two depths and two widths."))
            continue
        width_wins = [f for f in fits if f[3] > f[2]]
        depth_wins = [f"{f[0]}/{f[1]}" for f in fits if f[3] <= f[2]]
        if _majority(len(width_wins), len(fits)):
            parts.append(Part(HOLDS, f"{name.capitalize()}: width dominates in {len(width_wins)} of {len(fits)} "
                                     "series."))
        else:
            parts.append(Part(DIFFERS, f"{name.capitalize()}: width dominates in only {len(width_wins)} of "
                                       f"{len(fits)} series; depth weighs as much or more for "
                                       f"{', '.join(depth_wins)}."))
    return _finding(2, parts, evidence)


def _example_points(points: pd.DataFrame) -> str:
    """The smallest model and its neighbours one width step and one depth step up, with CIs."""
    depths, widths = sorted(points["depth"].unique()), sorted(points["width"].unique())
    wanted = [(depths[0], widths[0]), (depths[0], widths[1]), (depths[1], widths[0])]
    shown = []
    for depth, width in wanted:
        found = points[(points["depth"] == depth) & (points["width"] == width)]
        if len(found):
            shown.append(f"{depth}×{width}: {ci_text(found.iloc[0])}")
    return "; ".join(shown)


# -- 3: model loading --------------------------------------------------------------------------------
def judge_model_loading(data: FindingData) -> Finding:
    ok = _ok(data.summary)
    ok = ok[(ok["runtime"] == "browser") & (ok["task"] == "infer")]
    wide = {m: ok[ok["metric"] == m].set_index("spec_hash") for m in ("load_ms", "warmup_ms", "infer_ms")}
    hashes = wide["load_ms"].index.intersection(wide["warmup_ms"].index).intersection(wide["infer_ms"].index)
    if len(hashes) == 0:
        return _finding(3, [Part(NOT_TESTED, "No browser inference spec has load, warm-up and inference times.")],
                        [])
    per = []
    for h in hashes:
        load, warm, infer = (wide[m].loc[h] for m in ("load_ms", "warmup_ms", "infer_ms"))
        low = (load["ci_low"] + warm["ci_low"]) / infer["ci_high"] if infer["ci_high"] > 0 else math.inf
        per.append({"series": f"{load['framework']}/{load['backend']}", "low": low,
                    "ratio": (load["median"] + warm["median"]) / infer["median"] if infer["median"] > 0 else math.inf,
                    "example": f"{load['depth']}×{load['width']}: load {ci_text(load)} + warm-up {ci_text(warm)} "
                               f"vs inference {ci_text(infer)}"})
    frame = pd.DataFrame(per)
    evidence = []
    for series, group in frame.groupby("series"):
        top = group.sort_values("ratio").iloc[len(group) // 2]
        low, high = fmt(group["ratio"].min()), fmt(group["ratio"].max())
        evidence.append(Evidence(f"{series}: load + warm-up is {low}–{high}x "
                                 f"the inference ({len(group)} models); e.g. {top['example']}", "fig2"))
    much = int((frame["low"] >= MUCH_LONGER).sum())
    if _majority(much, len(frame)):
        part = Part(HOLDS, f"Load + warm-up is at least {MUCH_LONGER:g}x the inference in {much} of {len(frame)} "
                           "specs (conservative CI bounds).")
    else:
        short = sorted(frame[frame["low"] < MUCH_LONGER]["series"].unique())
        part = Part(DIFFERS, f"Load + warm-up is at least {MUCH_LONGER:g}x the inference in only {much} of "
                             f"{len(frame)} specs; not for {', '.join(short)}.")
    return _finding(3, [part, Part(NOT_TESTED, "Integrated vs standalone GPU warm-up is not judged.",
                                      "paper-inference in two environments, one with an integrated and one with a "
                                      "standalone GPU")], evidence)


# -- 4 and 5: GPU against native -------------------------------------------------------------------
def _hardware_rows(rows: pd.DataFrame, fingerprint: dict) -> tuple[pd.DataFrame, list[str]]:
    keep, said = [], []
    for backend in sorted(rows["backend"].unique()):
        hardware, text = hardware_gpu(fingerprint, backend)
        said.append(f"{backend}: {text}")
        if hardware:
            keep.append(backend)
    return rows[rows["backend"].isin(keep)], said


def _native_reference(native: pd.DataFrame) -> pd.DataFrame:
    """Per configuration, TensorFlow's row if there is one, else the first other native framework's."""
    order = native.assign(_pref=(native["framework"] != "tensorflow").astype(int))
    keys = ["model", "task", "depth", "width", "batch", "seed"]
    return order.sort_values(["_pref", "framework", "threads"]).drop_duplicates(keys).drop(columns="_pref")


def judge_gpu_vs_native_gpu(data: FindingData) -> Finding:
    rows = _headline(data.summary)
    rows = rows[(rows["task"] == "infer") & rows["model"].map(is_pretrained)]
    browser = rows[(rows["runtime"] == "browser") & (rows["framework"] == "tfjs") & rows["backend"].isin(GPU_BACKENDS)]
    native = rows[(rows["runtime"] == "native") & (rows["backend"] == "gpu")]
    if browser.empty:
        return _finding(4, [Part(NOT_TESTED, "No pre-trained model ran on TF.js's GPU backends.")], [])
    browser, said = _hardware_rows(browser, data.fingerprint)
    if browser.empty:
        return _finding(4, [Part(NOT_TESTED, "No hardware GPU in the browser (" + "; ".join(said) + ").")], [])
    if native.empty:
        return _finding(4, [Part(NOT_TESTED, "No native GPU result for the pre-trained models.")], [])
    pairs = browser.merge(_native_reference(native), on=["model", "task", "depth", "width", "batch", "seed"],
                                                       suffixes=("", "_n"))
    if pairs.empty:
        return _finding(4, [Part(NOT_TESTED, "No pre-trained model ran both in the browser GPU and natively.")], [])
    evidence, close = [], 0
    for r in pairs.to_dict("records"):
        ratio = r["median"] / r["median_n"]
        close += ratio <= paper.PRETRAINED_GPU_RATIO[1]
        evidence.append(Evidence(f"{r['model']}: TF.js {r['backend']} {ci_text(r)} vs {r['framework_n']} GPU "
                                 f"{ci_text(_side(r, '_n'))}: "
                                 f"ratio {fmt(ratio)}", "fig5"))
    if _majority(close, len(pairs)):
        part = Part(HOLDS, f"TF.js is within 2x of native on the GPU for {close} of {len(pairs)} model/backend pairs.")
    else:
        part = Part(DIFFERS, f"TF.js is within 2x of native on the GPU for only {close} of {len(pairs)} pairs.")
    return _finding(4, [part], evidence)


def judge_gpu_vs_native_cpu(data: FindingData) -> Finding:
    rows = _headline(data.summary)
    browser = rows[(rows["runtime"] == "browser") & (rows["framework"] == "tfjs") & rows["backend"].isin(GPU_BACKENDS)]
    native = rows[(rows["runtime"] == "native") & (rows["backend"] == "cpu")]
    missing = [] if not browser.empty else ["No TF.js GPU-backend results."]
    if not browser.empty:
        browser, said = _hardware_rows(browser, data.fingerprint)
        missing += [] if not browser.empty else ["No hardware GPU in the browser (" + "; ".join(said) + ")."]
    missing += [] if not native.empty else ["No native CPU results."]
    if missing:
        return _finding(5, [Part(NOT_TESTED, " ".join(missing))], [])
    pairs = browser.merge(_native_reference(native), on=["model", "task", "depth", "width", "batch", "seed"],
                          suffixes=("", "_n"))
    if pairs.empty:
        return _finding(5, [Part(NOT_TESTED, "No configuration ran both on the browser GPU and natively on the CPU.")],
                        [])
    better = pairs[pairs["ci_high"] < pairs["ci_low_n"]]
    evidence = [Evidence(f"{r['task']} {r['model']} {r['depth']}×{r['width']}: TF.js {r['backend']} {ci_text(r)} vs "
                         f"{r['framework_n']} CPU {ci_text(_side(r, '_n'))}",
                         "fig5" if is_pretrained(r["model"]) else "ratios")
                for r in pairs.sort_values(["task", "model", "depth", "width"]).head(12).to_dict("records")]
    if _majority(len(better), len(pairs)):
        part = Part(HOLDS, f"The browser GPU beats native CPU in {len(better)} of {len(pairs)} configurations.")
    else:
        part = Part(DIFFERS, f"The browser GPU beats native CPU in only {len(better)} of {len(pairs)} configurations.")
    return _finding(5, [part], evidence)


# -- 6: model file encoding --------------------------------------------------------------------------
def judge_file_encoding(data: FindingData, formats: dict[str, str]) -> Finding:
    """formats: framework -> its model_format text (JSON formats start with 'JSON')."""
    ok = _ok(data.summary)
    ok = ok[(ok["runtime"] == "browser") & (ok["task"] == "infer") & (ok["model"] == "mlp")]
    sizes = ok[ok["metric"] == "model_file_bytes"].drop_duplicates(["framework", "depth", "width"])
    json_fws = sorted(f for f in sizes["framework"].unique() if str(formats.get(f, "")).upper().startswith("JSON"))
    binary = sizes[sizes["framework"] == "tfjs"]
    if not json_fws or binary.empty:
        return _finding(6, [Part(NOT_TESTED, "Needs model files of a JSON framework and of TF.js (binary).")], [])
    evidence, size_short = [], []
    for fw in json_fws:
        pairs = sizes[sizes["framework"] == fw].merge(binary, on=["depth", "width"], suffixes=("", "_b"))
        if pairs.empty:
            continue
        ratios = pairs["median"] / pairs["median_b"]
        if ratios.median() < JSON_RATIO_AT_LEAST:
            size_short.append(f"{fw} {fmt(ratios.median())}x")
        evidence.append(Evidence(f"{fw} files are {fmt(ratios.min())}–{fmt(ratios.max())}x the TF.js files (median "
                                 f"{fmt(ratios.median())}x over {len(pairs)} models; paper: 7x)", "table3"))
    size = (Part(DIFFERS, "JSON is bigger than binary by less than the paper's factor: " + ", ".join(size_short) + ".")
            if size_short else Part(HOLDS, f"Every JSON format is at least {JSON_RATIO_AT_LEAST:g}x the binary size."))
    loads = ok[ok["metric"] == "load_ms"]
    reference = loads[(loads["framework"] == "tfjs") & (loads["backend"] == "cpu")]
    if reference.empty:
        reference = loads[loads["framework"] == "tfjs"].drop_duplicates(["depth", "width"])
    pairs = loads[loads["framework"].isin(json_fws)].merge(reference, on=["depth", "width"], suffixes=("", "_b"))
    if pairs.empty:
        return _finding(6, [size, Part(NOT_TESTED, "No load times of both encodings.")], evidence)
    slower = pairs[pairs["ci_low"] > pairs["ci_high_b"]]
    for r in pairs.sort_values(["framework", "depth", "width"]).groupby("framework").tail(1).to_dict("records"):
        evidence.append(Evidence(f"load {r['depth']}×{r['width']}: {r['framework']} {ci_text(r)} vs TF.js "
                                 f"{r['backend_b']} {ci_text(_side(r, '_b'))}",
                                 "fig2"))
    load = (Part(HOLDS, f"JSON models load slower in {len(slower)} of {len(pairs)} shared models.")
            if _majority(len(slower), len(pairs)) else
            Part(DIFFERS, f"JSON models load slower in only {len(slower)} of {len(pairs)} shared models."))
    return _finding(6, [size, load], evidence)


# -- 7: call stack -------------------------------------------------------------------------------------
def judge_call_stack(data: FindingData) -> Finding:
    ok = _ok(data.summary)
    ok = ok[(ok["runtime"] == "browser") & (ok["task"] == "train")]
    stacks = ok[ok["metric"] == "max_stack_depth"]
    depth = {fw: stacks[stacks["framework"] == fw]["max"].max() for fw in ("tfjs", "convnetjs")}
    evidence = [Evidence(f"deepest stack, {fw}: {int(v)} frames over {int((stacks['framework'] == fw).sum())} "
                         f"profiled specs (paper: {paper.STACK_DEPTH[fw]})", "stack")
                for fw, v in depth.items() if not math.isnan(v)]
    if any(math.isnan(v) for v in depth.values()):
        stack = Part(NOT_TESTED, "No call-stack depth for both TF.js and ConvNetJS.")
    elif depth["tfjs"] >= DEEPER_AT_LEAST * depth["convnetjs"]:
        stack = Part(HOLDS, f"TF.js's stack is {fmt(depth['tfjs'] / depth['convnetjs'])}x as deep as ConvNetJS's.")
    else:
        stack = Part(DIFFERS, f"TF.js's stack is only {fmt(depth['tfjs'] / depth['convnetjs'])}x as deep as "
                              "ConvNetJS's.")
    times = ok[(ok["metric"] == "train_batch_ms") & (ok["model"] == "mlp")]
    pairs = times[(times["framework"] == "convnetjs")].merge(
        times[(times["framework"] == "tfjs") & (times["backend"].isin(CPU_BACKEND_NAMES))],
        on=["depth", "width", "batch"], suffixes=("", "_t"))
    if pairs.empty:
        return _finding(7, [stack, Part(NOT_TESTED, "No training of the same model by ConvNetJS and TF.js cpu.")],
                        evidence)
    faster = pairs[pairs["ci_high"] < pairs["ci_low_t"]]
    for r in pairs.sort_values(["depth", "width"]).iloc[[0, -1]].to_dict("records"):
        evidence.append(Evidence(f"training {r['depth']}×{r['width']}: ConvNetJS {ci_text(r)} vs TF.js cpu "
                                 f"{ci_text(_side(r, '_t'))}", "fig1"))
    perf = (Part(HOLDS, f"ConvNetJS trains faster than TF.js cpu in {len(faster)} of {len(pairs)} models.")
            if _majority(len(faster), len(pairs)) else
            Part(DIFFERS, f"ConvNetJS trains faster than TF.js cpu in only {len(faster)} of {len(pairs)} models."))
    return _finding(7, [stack, perf], evidence)


# -- 8: system resources ------------------------------------------------------------------------------
def judge_resources(data: FindingData) -> Finding:
    cores = data.fingerprint.get("cpu_count") or data.fingerprint.get("hardware_concurrency")
    ok = _ok(data.summary, "cpu_renderer_pct")
    ok = ok[(ok["runtime"] == "browser") & (ok["task"] == "train") & ~ok["backend"].isin(GPU_BACKENDS)]
    evidence = []
    for (fw, backend), group in ok.groupby(["framework", "backend"]):
        top = group.sort_values("median").iloc[-1]
        evidence.append(Evidence(f"renderer CPU, {fw}/{backend} training: highest spec median "
                                 f"{ci_text(top, '%')} ({top['depth']}×{top['width']}; {len(group)} specs)", "table2"))
    if ok.empty:
        cpu = Part(NOT_TESTED, "No renderer CPU% of CPU-side training.")
    elif not cores or int(cores) < 2:
        cpu = Part(NOT_TESTED, f"The machine has {cores or 'an unknown number of'} core(s): multi-core use "
                               "cannot show.")
    else:
        busy = ok[ok["median"] > MULTI_CORE_PCT]
        names = sorted({f"{r['framework']}/{r['backend']}" for r in busy.to_dict("records")})
        cpu = (Part(DIFFERS, f"More than one core is used at the median by {', '.join(names)} "
                             f"(of {cores} cores).") if names else
               Part(HOLDS, f"No CPU-side backend keeps the renderer above {MULTI_CORE_PCT:g}% ({cores} cores)."))
    errors = data.summary[data.summary["outcome"] != "ok"].drop_duplicates("spec_hash")
    oom = errors[errors["error"].str.lower().str.contains("|".join(GPU_MEMORY_ERROR_WORDS), regex=True, na=False)]
    adapter = data.fingerprint.get("webgpu_adapter") or {}
    limit = adapter.get("max_buffer_size")
    hardware = any(hardware_gpu(data.fingerprint, b)[0] for b in ("webgl", "webgpu"))
    if limit:
        evidence.append(Evidence(f"WebGPU max buffer size: {int(limit):,} bytes ({int(limit) / 2**30:.2f} GiB)",
                                 "environment"))
    for r in oom.head(3).to_dict("records"):
        evidence.append(Evidence(f"GPU memory outcome, {label(r)} {r['task']} {r['model']} {r['depth']}×{r['width']}: "
                                 f"{str(r['error']).splitlines()[0][:200]}", "outcomes"))
    if not hardware:
        memory = Part(NOT_TESTED, "GPU memory: no hardware GPU in the browser.")
    elif len(oom) or (limit and int(limit) <= paper.GPU_MEMORY_LIMIT_BYTES):
        memory = Part(HOLDS, "GPU memory: " + (f"{len(oom)} spec(s) ran out of GPU memory." if len(oom) else
                                               "the browser caps a WebGPU buffer at 1 GiB."))
    elif limit:
        memory = Part(DIFFERS, f"GPU memory: the browser allows {int(limit) / 2**30:.1f} GiB per WebGPU buffer and "
                               "no spec ran out of GPU memory.")
    else:
        memory = Part(NOT_TESTED, "GPU memory: no WebGPU limit recorded and nothing ran out of memory.")
    return _finding(8, [cpu, memory], evidence)


def judge_all(data: FindingData, formats: dict[str, str]) -> list[Finding]:
    """The eight findings of Table 6, in order."""
    return [judge_task_support(data), judge_model_complexity(data), judge_model_loading(data),
            judge_gpu_vs_native_gpu(data), judge_gpu_vs_native_cpu(data), judge_file_encoding(data, formats),
            judge_call_stack(data), judge_resources(data)]
