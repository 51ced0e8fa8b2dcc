"""The operators pass's pure parts: one vocabulary for TF.js kernels and PyTorch operators, time
per operator per prediction, the browser/native ratio (none where a timer is not trusted), and the
Chrome trace."""
import pandas as pd

from webdlbench.analysis.operators import chrome_trace, common_name, operator_ratios, ops_table, per_operator


def result(result_id, runtime, framework, backend, kernels, trusted=True, words=""):
    timer = {"trusted": trusted, **({"words": words} if words else {})}
    return {"result_id": result_id, "runtime": runtime, "framework": framework, "backend": backend, "model": "mlp",
            "depth": 1, "width": 64, "environment": "", "spec_hash": f"h{result_id}",
            "info": {"passes": {"ops": {"outcome": "ok", "profiler": "p", "timer": timer, "kernels": kernels}}}}


TFJS = [[{"name": "_FusedMatMul", "ms": 0.3}, {"name": "_FusedMatMul", "ms": 0.1}, {"name": "Softmax", "ms": 0.1},
         {"name": "Reshape", "ms": 0.0}]] * 3
TORCH = [[{"name": "aten::linear", "ms": 0.01}, {"name": "aten::addmm", "ms": 0.09}, {"name": "aten::relu", "ms": 0.01},
          {"name": "aten::softmax", "ms": 0.02}]] * 3


def test_kernels_of_both_sides_share_one_vocabulary():
    assert common_name("_FusedMatMul") == common_name("aten::addmm") == "MatMul/Dense"
    assert common_name("Softmax") == common_name("aten::_softmax") == "Softmax"
    assert common_name("SomethingNew") == "other: SomethingNew"


def test_time_per_operator_sums_its_kernels_and_keeps_an_untimed_one_untimed():
    found = per_operator(TFJS)
    assert abs(found["MatMul/Dense"][0] - 0.4) < 1e-9 and found["MatMul/Dense"][1] == ["_FusedMatMul"]
    untimed = per_operator([[{"name": "MatMul", "ms": None}]])
    assert untimed["MatMul/Dense"][0] is None


def test_the_ratio_per_operator_and_no_number_from_an_untrusted_timer():
    results = pd.DataFrame([result(1, "browser", "tfjs", "cpu", TFJS), result(2, "native", "pytorch", "cpu", TORCH),
                            result(3, "browser", "tfjs", "webgl", [[{"name": "MatMul", "ms": None}]], trusted=False,
                                   words="WebGL query timers are not supported in this environment.")])
    table = ops_table(results)
    matmul = table[(table["result_id"] == 1) & (table["operator"] == "MatMul/Dense")].iloc[0]
    assert abs(matmul["share"] - 0.8) < 1e-9
    assert table[table["result_id"] == 3]["ms"].isna().all()
    ratios = operator_ratios(table).set_index(["browser", "operator"])
    assert abs(ratios.loc[("tfjs/cpu", "MatMul/Dense"), "ratio"] - 4.0) < 1e-9
    assert abs(ratios.loc[("tfjs/cpu", "Softmax"), "ratio"] - 5.0) < 1e-9
    webgl = ratios.loc[("tfjs/webgl", "MatMul/Dense")]
    assert pd.isna(webgl["ratio"]) and "WebGL query timers" in webgl["note"]


def test_the_chrome_trace_lays_the_first_prediction_end_to_end():
    trace = chrome_trace(pd.DataFrame([result(1, "browser", "tfjs", "cpu", TFJS)]))
    events = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert [e["name"] for e in events] == ["_FusedMatMul", "_FusedMatMul", "Softmax", "Reshape"]
    assert events[1]["ts"] == events[0]["dur"] == 300.0 and events[2]["ts"] == 400.0
    assert trace["traceEvents"][0]["args"]["name"].startswith("tfjs/cpu (browser)")


def test_tfjs_op_scopes_are_not_counted_beside_their_kernels():
    found = per_operator([[{"name": "_FusedMatMul", "ms": 0.2}, {"name": "fusedMatMul__op", "ms": 0.25}]])
    assert found == {"MatMul/Dense": (0.2, ["_FusedMatMul"])}


def test_onnx_runtime_ops_share_the_vocabulary_and_give_the_ratio_web_against_native():
    assert common_name("Gemm") == common_name("FusedGemm") == common_name("MatMul") == "MatMul/Dense"
    assert common_name("Conv") == "Conv2D" and common_name("LSTM") == "LSTM cell"
    web = [[{"name": "FusedGemm", "ms": 0.05}, {"name": "Gemm", "ms": 0.01}, {"name": "Softmax", "ms": 0.004}]] * 3
    native = [[{"name": "FusedGemm", "ms": 0.02}, {"name": "Gemm", "ms": 0.005}, {"name": "Softmax", "ms": 0.002}]] * 3
    untimed = [[{"name": "FusedGemm", "ms": None}, {"name": "Softmax", "ms": None}]]
    words = "the WebGPU device has no timestamp-query feature: ONNX Runtime Web reads no GPU kernel times"
    table = ops_table(pd.DataFrame([result(1, "browser", "onnxruntime_web", "wasm", web),
                                    result(2, "native", "onnxruntime", "cpu", native),
                                    result(3, "browser", "onnxruntime_web", "webgpu", untimed, trusted=False,
                                           words=words)]))
    ratios = operator_ratios(table).set_index(["browser", "native", "operator"])
    assert abs(ratios.loc[("onnxruntime_web/wasm", "onnxruntime/cpu", "MatMul/Dense"), "ratio"] - 2.4) < 1e-9
    assert abs(ratios.loc[("onnxruntime_web/wasm", "onnxruntime/cpu", "Softmax"), "ratio"] - 2.0) < 1e-9
    webgpu = ratios.loc[("onnxruntime_web/webgpu", "onnxruntime/cpu", "MatMul/Dense")]
    assert pd.isna(webgpu["ratio"]) and pd.isna(webgpu["browser_ms"]) and "timestamp-query" in webgpu["note"]
