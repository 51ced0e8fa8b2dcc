"""Where the time of one inference goes, per operator, in the browser and natively (the `--ops`
pass, runners/passes.py): the libraries' kernel names mapped to one vocabulary, each operator's
time per prediction and share, the browser/native ratio per operator, and a Chrome trace.

Pure: the stored results' info in, frames and dicts out.
"""
from __future__ import annotations

from statistics import median

import pandas as pd

# The common vocabulary: an operator -> the kernel names that compute it (TF.js kernels, PyTorch
# aten operators, ONNX Runtime's node op types, web and native: its graph optimiser fuses MatMul +
# Add (+ Relu) into Gemm / FusedGemm, which count as MatMul/Dense; TensorFlow's oneDNN kernels,
# `_Mkl…`, likewise fuse a Dense layer's MatMul + BiasAdd + Relu). A name not listed keeps its own
# name under "other: ...".
VOCABULARY = {
    "MatMul/Dense": ("_FusedMatMul", "MatMul", "BatchMatMul", "aten::addmm", "aten::mm", "aten::matmul",
                     "aten::linear", "aten::bmm", "Gemm", "FusedGemm", "FusedMatMul", "MatMulInteger",
                     "QLinearMatMul", "MatMulNBits", "_MklMatMul", "_MklFusedMatMul", "_MklNativeFusedMatMul",
                     "_MklBatchMatMulV2"),
    "Conv2D": ("Conv2D", "FusedConv2D", "aten::conv2d", "aten::convolution", "aten::_convolution",
               "aten::mkldnn_convolution", "aten::thnn_conv2d", "Conv", "FusedConv", "NhwcConv", "QLinearConv",
               "_MklConv2D", "_MklNativeConv2D", "_MklFusedConv2D", "_MklNativeFusedConv2D"),
    "DepthwiseConv": ("DepthwiseConv2dNative", "FusedDepthwiseConv2D", "_MklDepthwiseConv2dNative",
                      "_MklNativeFusedDepthwiseConv2dNative", "_MklNativeDepthwiseConv2dNative"),
    "Add": ("Add", "AddV2", "BiasAdd", "aten::add", "aten::add_", "_MklAdd", "_MklAddV2"),
    "Relu": ("Relu", "Relu6", "aten::relu", "aten::relu_", "aten::clamp_min", "aten::hardtanh", "_MklRelu"),
    "Softmax": ("Softmax", "aten::softmax", "aten::_softmax", "_MklSoftmax"),
    "Pooling": ("MaxPool", "AvgPool", "aten::max_pool2d", "aten::avg_pool2d", "aten::adaptive_avg_pool2d",
                "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "_MklMaxPool", "_MklAvgPool", "_MklNativeMaxPool",
                "_MklNativeAvgPool"),
    "BatchNorm": ("FusedBatchNorm", "aten::batch_norm", "aten::_batch_norm_impl_index", "aten::native_batch_norm",
                  "BatchNormalization", "FusedBatchNormV3", "_MklFusedBatchNormV3", "_MklNativeFusedBatchNormV3"),
    "LSTM cell": ("LSTMBlockCell", "aten::lstm", "aten::lstm_cell", "LSTM"),
    "Layout and copies": ("Reshape", "Cast", "Identity", "Transpose", "Slice", "Concat", "Pack", "Unpack",
                          "aten::view", "aten::reshape", "aten::to", "aten::_to_copy", "aten::copy_", "aten::empty",
                          "aten::t", "aten::transpose", "aten::as_strided", "aten::expand", "aten::empty_strided",
                          "aten::from_numpy", "aten::detach", "aten::lift_fresh", "aten::resolve_conj",
                          "aten::resolve_neg", "aten::contiguous", "aten::clone", "aten::cat", "Flatten", "Squeeze",
                          "Unsqueeze", "MemcpyToHost", "MemcpyFromHost", "ReadVariableOp"),
}
_OPERATOR_OF = {name: op for op, names in VOCABULARY.items() for name in names}
OPS_COLUMNS = ["environment", "framework", "backend", "runtime", "model", "depth", "width", "spec_hash", "result_id",
               "operator", "ms", "share", "kernels", "trusted", "timer_words", "profiler"]


# TF.js's op scopes ("fusedMatMul__op") are records around kernels it also lists: not counted twice.
SCOPE_SUFFIX = "__op"


def kernels_only(prediction: list[dict]) -> list[dict]:
    return [k for k in prediction if not str(k["name"]).endswith(SCOPE_SUFFIX)]


def common_name(kernel: str) -> str:
    return _OPERATOR_OF.get(kernel, f"other: {kernel}")


def per_operator(predictions: list[list[dict]]) -> dict[str, tuple[float | None, list[str]]]:
    """operator -> (its time per prediction: the median over predictions of the summed kernel times,
    None where a kernel had no time; the kernel names seen)."""
    sums: dict[str, list[float | None]] = {}
    names: dict[str, set[str]] = {}
    for prediction in predictions:
        found: dict[str, float | None] = {}
        for kernel in kernels_only(prediction):
            op = common_name(kernel["name"])
            names.setdefault(op, set()).add(kernel["name"])
            ms = kernel.get("ms")
            found[op] = None if ms is None or found.get(op, 0.0) is None else found.get(op, 0.0) + float(ms)
        for op, ms in found.items():
            sums.setdefault(op, []).append(ms)
    return {op: (None if any(v is None for v in values) else median(values), sorted(names[op]))
            for op, values in sums.items()}


def ops_table(results: pd.DataFrame) -> pd.DataFrame:
    """One row per stored result with an operators pass and per operator: its time per prediction
    and its share of the profiled time; no time where the profiler's timer is not trusted."""
    rows = []
    for row in results.to_dict("records"):
        ops = ((row.get("info") or {}).get("passes") or {}).get("ops")
        if not ops or ops.get("outcome") != "ok" or not ops.get("kernels"):
            continue
        timer = ops.get("timer") or {}
        trusted = bool(timer.get("trusted"))
        found = per_operator(ops["kernels"])
        total = sum(ms for ms, _ in found.values() if ms is not None) if trusted else 0.0
        for op, (ms, kernels) in sorted(found.items(), key=lambda kv: -(kv[1][0] or 0)):
            rows.append({**{k: row.get(k) for k in OPS_COLUMNS[:9]}, "operator": op,
                         "ms": ms if trusted else None, "share": ms / total if trusted and ms is not None and total
                         else None, "kernels": ", ".join(kernels), "trusted": trusted,
                         "timer_words": "" if trusted else str(timer.get("words", "")), "profiler": ops.get("profiler")})
    return pd.DataFrame(rows, columns=OPS_COLUMNS)


def operator_ratios(table: pd.DataFrame) -> pd.DataFrame:
    """Browser/native ratio per operator, for every browser result and native result of the same
    model and size (and environment pair, when several): browser ms / native ms per prediction."""
    columns = ["model", "depth", "width", "browser", "native", "operator", "browser_ms", "native_ms", "ratio",
               "browser_share", "native_share", "note"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    keys = ["model", "depth", "width"]
    browser = table[table["runtime"] == "browser"]
    native = table[table["runtime"] == "native"]
    rows = []
    for b in browser.to_dict("records"):
        matches = native[(native[keys] == pd.Series({k: b[k] for k in keys})).all(axis=1)
                         & (native["operator"] == b["operator"])]
        for n in matches.to_dict("records"):
            note = "" if b["trusted"] else f"browser timer not trusted: {b['timer_words']}"
            note = note or ("" if n["trusted"] else f"native timer not trusted: {n['timer_words']}")
            ratio = b["ms"] / n["ms"] if not note and b["ms"] is not None and n["ms"] else None
            rows.append({**{k: b[k] for k in keys}, "browser": f"{b['framework']}/{b['backend']}",
                         "native": f"{n['framework']}/{n['backend']}", "operator": b["operator"],
                         "browser_ms": b["ms"], "native_ms": n["ms"], "ratio": ratio, "browser_share": b["share"],
                         "native_share": n["share"], "note": note})
    return pd.DataFrame(rows, columns=columns)


def chrome_trace(results: pd.DataFrame) -> dict:
    """The first profiled prediction of every result as Chrome trace events (Perfetto, chrome://tracing):
    a process per result, its kernels as complete events. The profilers give each kernel's duration,
    not its start, so kernels are laid end to end in execution order (said in each event's args)."""
    events = []
    for pid, row in enumerate(results.to_dict("records"), start=1):
        ops = ((row.get("info") or {}).get("passes") or {}).get("ops")
        if not ops or ops.get("outcome") != "ok" or not ops.get("kernels"):
            continue
        label = f"{row['framework']}/{row['backend']} ({row['runtime']}) {row['model']} {row['depth']}x{row['width']}"
        events.append({"name": "process_name", "ph": "M", "pid": pid, "tid": 1, "args": {"name": label}})
        at = 0.0
        for kernel in kernels_only(ops["kernels"][0]):
            duration_us = float(kernel["ms"]) * 1e3 if kernel.get("ms") is not None else 0.0
            events.append({"name": kernel["name"], "cat": common_name(kernel["name"]), "ph": "X", "pid": pid, "tid": 1,
                           "ts": at, "dur": duration_us,
                           "args": {"operator": common_name(kernel["name"]), "inputs": kernel.get("inputs"),
                                    "timed": kernel.get("ms") is not None, "layout": "end to end, in execution order"}})
            at += duration_us
    return {"traceEvents": events, "displayTimeUnit": "ms"}
