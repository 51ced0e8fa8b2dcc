"""The operators pass's readers of the libraries' own profilers, without a runtime: ONNX Runtime's
session trace (native, and the page's copy in web/ort-profile.js run in Node), TensorFlow's XSpace
host trace. The inputs are the profilers' output formats (the I/O boundary), written by hand."""
import json
import shutil
import subprocess
from types import SimpleNamespace

import pytest

from webdlbench.analysis.operators import common_name
from webdlbench.native.onnxruntime_runner import kernels_per_run
from webdlbench.native.tf_profile import op_kernels
from webdlbench.paths import WEB_DIR

NODE = shutil.which("node")


def ort_event(cat, name, ts, dur, **args):
    return {"cat": cat, "pid": 1, "tid": 1, "dur": dur, "ts": ts, "ph": "X", "name": name, "args": args}


def node(name, op, ts, dur, provider="CPUExecutionProvider"):
    return ort_event("Node", f"{name}_kernel_time", ts, dur, op_name=op, provider=provider,
                     input_type_shape=[{"float": [1, 784]}], output_type_shape=[{"float": [1, 32]}])


# A warm-up run, then two profiled runs, each with its fences and a Session event around the nodes.
ORT_TRACE = [
    ort_event("Session", "model_loading_uri", 0, 300), ort_event("Session", "session_initialization", 300, 900),
    node("dense_0/MatMul_token_1", "FusedGemm", 1300, 40), node("softmax", "Softmax", 1345, 4),
    ort_event("Session", "model_run", 1290, 70),
    ort_event("Node", "dense_0/MatMul_token_1_fence_before", 2000, 0, op_name="FusedGemm"),
    node("dense_0/MatMul_token_1", "FusedGemm", 2001, 30), node("dense_1/MatMul", "Gemm", 2032, 9),
    node("softmax", "Softmax", 2042, 3), ort_event("Session", "model_run", 1999, 50),
    node("dense_0/MatMul_token_1", "FusedGemm", 3001, 28), node("dense_1/MatMul", "Gemm", 3030, 8),
    node("softmax", "Softmax", 3040, 2), ort_event("Session", "model_run", 2999, 48),
]


def test_ort_trace_gives_the_last_runs_kernels_in_order_without_fences_or_warm_up():
    runs = kernels_per_run(ORT_TRACE, 2)
    assert [[k["name"] for k in run] for run in runs] == [["FusedGemm", "Gemm", "Softmax"]] * 2
    assert [k["ms"] for k in runs[0]] == [0.03, 0.009, 0.003]
    assert runs[1][0]["node"] == "dense_0/MatMul_token_1" and runs[1][0]["provider"] == "CPUExecutionProvider"
    assert runs[0][0]["inputs"] == [{"float": [1, 784]}]
    assert {common_name(k["name"]) for k in runs[0]} == {"MatMul/Dense", "Softmax"}


def test_ort_trace_with_fewer_runs_than_asked_gives_what_it_holds():
    assert len(kernels_per_run(ORT_TRACE, 5)) == 3
    assert kernels_per_run([], 2) == []


def run_page_parser(script: str) -> dict:
    """web/ort-profile.js in Node (window = the global object), then `script`, printing JSON."""
    source = (WEB_DIR / "ort-profile.js").read_text()
    program = f"globalThis.window = globalThis;\n{source}\nconst P = window.webdlbenchOrtProfile;\n{script}"
    done = subprocess.run([NODE, "-e", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed (make setup needs it for npm ci)")
def test_the_page_reads_ort_traces_as_the_native_side_does():
    found = run_page_parser(f"console.log(JSON.stringify(P.kernelsPerRun({json.dumps(ORT_TRACE)}, 2)));")
    assert found == [[{k: v for k, v in kernel.items()} for kernel in run] for run in kernels_per_run(ORT_TRACE, 2)]


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed (make setup needs it for npm ci)")
def test_webgpu_kernels_take_gpu_times_or_no_number_with_the_reason():
    kernels = [{"name": "MatMul", "node": "dense_0/MatMul", "provider": "JsExecutionProvider", "ms": 0.2},
               {"name": "Shape", "node": "shape", "provider": "CPUExecutionProvider", "ms": 0.01}]
    gpu = [{"kernelName": "dense_0/MatMul", "startTime": 1000, "endTime": 51000},
           {"kernelName": "dense_0/MatMul", "startTime": 60000, "endTime": 70000}]
    found = run_page_parser(f"const k = {json.dumps(kernels)}; const g = {json.dumps(gpu)};\n"
                            "console.log(JSON.stringify([P.withGpuTimes(k, g, true), P.withGpuTimes(k, g, false), "
                            "P.withGpuTimes(k, [], true)]));")
    timed, no_feature, none_back = found
    assert timed[0]["ms"] == pytest.approx(0.06) and timed[1]["ms"] == 0.01  # two programs of one node, summed
    assert no_feature[0]["ms"] is None and "timestamp-query" in no_feature[0]["error"]
    assert no_feature[1]["ms"] == 0.01  # a CPU kernel keeps its own time
    assert none_back[0]["ms"] is None and "no GPU timestamp" in none_back[0]["error"]


def xspace(lines):
    """A hand-made XSpace: one host plane; `lines`: [(timestamp_ns, [(name, offset_ps, duration_ps)])]."""
    metadata, made = {}, []
    for timestamp_ns, events in lines:
        found = []
        for name, offset_ps, duration_ps in events:
            key = metadata.setdefault(name, len(metadata) + 1)
            found.append(SimpleNamespace(metadata_id=key, offset_ps=offset_ps, duration_ps=duration_ps))
        made.append(SimpleNamespace(timestamp_ns=timestamp_ns, events=found))
    plane = SimpleNamespace(name="/host:CPU", lines=made,
                            event_metadata={key: SimpleNamespace(name=name) for name, key in metadata.items()})
    other = SimpleNamespace(name="/device:GPU:0", lines=made, event_metadata=plane.event_metadata)
    return SimpleNamespace(planes=[plane, other])


def test_tensorflow_host_trace_gives_op_self_times_in_order():
    space = xspace([(1000, [("StatefulPartitionedCall:StatefulPartitionedCall", 0, 10_000_000),
                            ("ExecutorState::Process", 100_000, 9_000_000),  # not an op: ignored
                            ("sequential/dense/MatMul:MatMul", 1_000_000, 4_000_000),
                            ("sequential/dense/BiasAdd:BiasAdd", 5_000_000, 1_000_000),
                            ("sequential/dense/Softmax:Softmax", 7_000_000, 2_000_000)]),
                    (1000, [("sequential/dense/Relu:Relu", 20_000_000, 500_000)])])
    kernels = op_kernels(space)
    assert [k["name"] for k in kernels] == ["StatefulPartitionedCall", "MatMul", "BiasAdd", "Softmax", "Relu"]
    # The call op keeps only its own time: 10 µs less the 7 µs of the ops inside it.
    assert [k["ms"] for k in kernels] == pytest.approx([0.003, 0.004, 0.001, 0.002, 0.0005])
    assert kernels[1]["node"] == "sequential/dense/MatMul"
    assert [common_name(k["name"]) for k in kernels[1:]] == ["MatMul/Dense", "Add", "Softmax", "Relu"]
