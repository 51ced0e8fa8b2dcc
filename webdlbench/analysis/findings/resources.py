"""Finding 8 (the CPU backend cannot use several cores; GPU memory is limited to 1 GB): the page's
renderer CPU% while training, and the GPU process's memory.

The GPU-memory half reads a measurement named here: metric `gpu_memory_peak_bytes` (per replicate,
the most GPU memory the browser's GPU process held while the page measured, from `nvidia-smi
--query-compute-apps=pid,used_memory` on NVIDIA) and, in the fingerprint, `gpu_memory_total_bytes`
(the card's memory). Where nvidia-smi cannot list the GPU process (in a container it sees the host's
process ids), the card's memory in use while the page measured (`gpu_memory_used_peak_bytes`) is an
upper bound on it: enough to show the process stayed below 1 GiB, never that it went above. Without
either that half is not tested here: WebGPU's `maxBufferSize` is a limit per buffer, not the memory a
page may use, and is shown for reference only.
"""
from __future__ import annotations

from webdlbench.analysis import compare, paper
from webdlbench.analysis.findings.base import (DIFFERS, GPU_BACKENDS, HOLDS, INCONCLUSIVE, NOT_TESTED, Evidence,
                                               Finding, FindingData, Part, counted, finding, hardware_gpu, label,
                                               ok_rows)
from webdlbench.analysis.findings.rules import MULTI_CORE_PCT

GPU_MEMORY_METRIC = "gpu_memory_peak_bytes"
GPU_MEMORY_TOTAL = "gpu_memory_total_bytes"
CARD_MEMORY_METRIC = "gpu_memory_used_peak_bytes"  # the whole card's memory in use: an upper bound
GPU_MEMORY_ERROR_WORDS = ("out of memory", "out_of_memory", "oom")
MEMORY_FILL = (f"a GPU machine whose runs record {GPU_MEMORY_METRIC} (the browser GPU process's memory via "
               "nvidia-smi)")


def judge_resources(data: FindingData) -> Finding:
    evidence: list[Evidence] = []
    parts = [_cores_part(data, evidence), _memory_part(data, evidence)]
    _memory_pass_evidence(data, evidence)
    return finding(8, parts, evidence)


def _memory_pass_evidence(data: FindingData, evidence: list[Evidence]) -> None:
    """What the memory pass (`--memory`) measured, beside the judged parts: the most memory a model
    took against its file size, and the most its framework held in GPU memory (tf.memory())."""
    model = ok_rows(data.summary, "model_file_bytes").set_index("spec_hash")["median"]
    heap = ok_rows(data.summary, "memory_js_heap_peak_bytes")
    heap = heap[heap["spec_hash"].isin(model.index)]
    if not heap.empty:
        heap = heap.assign(times=heap["median"].to_numpy() / model[heap["spec_hash"]].to_numpy())
        top = heap.sort_values("times").iloc[-1]
        evidence.append(Evidence(f"memory pass: peak JS heap up to {top['times']:.0f}× the model file, {label(top)} "
                                 f"{top['model']} {top['depth']}×{top['width']} ({top['median'] / 2**20:.1f} MiB)",
                                 "memory"))
    gpu = ok_rows(data.summary, "memory_framework_gpu_bytes")
    if not gpu.empty:
        top = gpu.sort_values("median").iloc[-1]
        evidence.append(Evidence(f"memory pass, for reference (not judged: the framework's own count, not the GPU "
                                 f"process's): {label(top)} held {top['median'] / 2**20:.1f} MiB in GPU memory "
                                 f"({top['model']} {top['depth']}×{top['width']})", "memory"))


def _cores_part(data: FindingData, evidence: list[Evidence]) -> Part:
    cores = data.fingerprint.get("cpu_count") or data.fingerprint.get("hardware_concurrency")
    ok = ok_rows(data.summary, "cpu_renderer_pct")
    ok = ok[(ok["runtime"] == "browser") & (ok["task"] == "train") & ~ok["backend"].isin(GPU_BACKENDS)]
    if ok.empty:
        return Part(NOT_TESTED, "No renderer CPU% of CPU-side training.")
    if not cores or int(cores) < 2:
        return Part(NOT_TESTED, f"The machine has {cores or 'an unknown number of'} core(s): multi-core use cannot "
                                "show.")
    estimates = [compare.level_test(data.lookup.values(h, "cpu_renderer_pct")) for h in ok["spec_hash"]]
    ok = ok.assign(decision=compare.decide(estimates, MULTI_CORE_PCT))
    above = ok[[d.direction == compare.ABOVE for d in ok["decision"]]]
    below = sum(d.direction == compare.BELOW for d in ok["decision"])
    for (fw, backend), group in ok.groupby(["framework", "backend"]):
        top = group.sort_values("median").iloc[-1]
        evidence.append(Evidence(compare.threshold_wording(
            top["decision"], f"renderer CPU, {fw}/{backend} training, busiest of {len(group)} specs "
                             f"({top['depth']}×{top['width']})", "%"), "table2"))
    if len(above):
        names = sorted({f"{r['framework']}/{r['backend']}" for r in above.to_dict("records")})
        return Part(DIFFERS, f"Cores: the renderer stays above {MULTI_CORE_PCT:g}% (more than one core, CI wholly "
                             f"above) in {len(above)} of {len(ok)} specs, by {', '.join(names)} ({cores} cores).")
    text = counted(below, 0, len(ok), f"specs keep the renderer below {MULTI_CORE_PCT:g}% (CI wholly below)",
                   "above")
    return Part(HOLDS if 2 * below > len(ok) else INCONCLUSIVE, f"Cores: {text} ({cores} cores).")


def _memory_part(data: FindingData, evidence: list[Evidence]) -> Part:
    limit = paper.GPU_MEMORY_LIMIT_BYTES
    adapter = data.fingerprint.get("webgpu_adapter") or {}
    if adapter.get("max_buffer_size"):
        evidence.append(Evidence(f"for reference, not judged: WebGPU maxBufferSize {int(adapter['max_buffer_size']):,} "
                                 "bytes (a limit per buffer, not on the memory a page uses)", "environment"))
    if not any(hardware_gpu(data.fingerprint, b)[0] for b in ("webgl", "webgpu")):
        return Part(NOT_TESTED, "GPU memory: no hardware GPU in the browser.", MEMORY_FILL)
    rows = ok_rows(data.summary, GPU_MEMORY_METRIC)
    rows = rows[rows["runtime"] == "browser"]
    metric, bound = GPU_MEMORY_METRIC, False
    if rows.empty:  # the GPU process unlisted: the card's memory in use bounds it from above
        rows = ok_rows(data.summary, CARD_MEMORY_METRIC)
        rows = rows[rows["runtime"] == "browser"]
        metric, bound = CARD_MEMORY_METRIC, True
    if rows.empty:
        return Part(NOT_TESTED, f"GPU memory: the GPU process's memory was not measured ({GPU_MEMORY_METRIC}).",
                    MEMORY_FILL)
    total = data.fingerprint.get(GPU_MEMORY_TOTAL)
    if total:
        evidence.append(Evidence(f"GPU memory of the card: {int(total) / 2**30:.1f} GiB", "environment"))
    estimates = [compare.level_test(data.lookup.values(h, metric)) for h in rows["spec_hash"]]
    rows = rows.assign(decision=compare.decide(estimates, float(limit)))
    above = rows[[d.direction == compare.ABOVE for d in rows["decision"]]]
    top = rows.sort_values("median").iloc[-1]
    what = "the card's memory in use (an upper bound: nvidia-smi did not list the GPU process)" if bound \
        else "most GPU memory"
    evidence.append(Evidence(f"{what}, {label(top)} {top['task']} {top['model']} "
                             f"{top['depth']}×{top['width']}: {top['median'] / 2**30:.2f} GiB", "table2"))
    errors = data.summary[data.summary["outcome"] != "ok"].drop_duplicates("spec_hash")
    oom = errors[errors["error"].str.lower().str.contains("|".join(GPU_MEMORY_ERROR_WORDS), regex=True, na=False)]
    for r in oom.head(3).to_dict("records"):
        evidence.append(Evidence(f"GPU memory outcome, {label(r)} {r['task']} {r['model']} {r['depth']}×{r['width']}: "
                                 f"{str(r['error']).splitlines()[0][:200]}", "outcomes"))
    if len(above) and bound:
        return Part(INCONCLUSIVE, f"GPU memory: the card had more than 1 GiB in use in {len(above)} of {len(rows)} "
                                  "specs, but nvidia-smi did not list the browser's GPU process, so its own share is "
                                  "unknown.", MEMORY_FILL)
    if len(above):
        return Part(DIFFERS, f"GPU memory: the browser's GPU process held more than 1 GiB (CI wholly above) in "
                             f"{len(above)} of {len(rows)} specs.")
    below = sum(d.direction == compare.BELOW for d in rows["decision"])
    if len(oom) and below == len(rows):
        held = "the card had" if bound else "the GPU process held"
        return Part(HOLDS, f"GPU memory: {len(oom)} spec(s) ran out of GPU memory while in every measured spec "
                           f"{held} less than 1 GiB{' in use (an upper bound on the GPU process)' if bound else ''}.")
    why = ("nothing ran out of GPU memory" if not len(oom) else
           f"{len(oom)} spec(s) ran out of GPU memory, but not every measured spec stayed wholly below 1 GiB")
    return Part(INCONCLUSIVE, f"GPU memory: no spec held more than 1 GiB (CI wholly above) and {why}.",
                MEMORY_FILL.replace("a GPU machine", "larger models (e.g. paper-pretrained) on a GPU machine"))
