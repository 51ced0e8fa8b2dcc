"""Native ONNX Runtime (inference only): the same MLP as an ONNX graph, on the CPU provider or CUDA.

The .onnx file is built with `onnx.helper` from the same weights (Gemm, Relu, ..., Gemm, Softmax);
loading it is creating the InferenceSession (parse + graph optimisation), as a deployed model is.
Threads: intra_op_num_threads = spec.threads, inter_op 1, sequential execution.
"""
from __future__ import annotations

import numpy as np

from webdlbench.native import NativeRuntime, Unsupported

MODEL_FILE = "model.onnx"
# Opset and IR version every ONNX Runtime since 1.14 reads; nothing in the MLP needs newer ones.
OPSET = 17
IR_VERSION = 8
PROVIDERS = {"cpu": "CPUExecutionProvider", "gpu": "CUDAExecutionProvider"}

RUNTIME = NativeRuntime(
    name="onnxruntime",
    title="ONNX Runtime",
    python_module="onnxruntime",
    backends={"cpu": ("infer", "embed", "classify"), "gpu": ("infer",)},  # embed, classify: native/webai.py
    notes="inference only; model built with onnx.helper; intra_op_num_threads = spec.threads",
    adapter="webdlbench.native.onnxruntime_runner:OnnxRuntimeAdapter",
    distributions=("onnxruntime", "onnxruntime-gpu"),
    model_format="ONNX (.onnx, opset 17)",
)


def onnx_model(layers):
    """The MLP as an ONNX ModelProto: input [N, 784] float -> softmax probabilities [N, 10]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, initializers = [], []
    current = "input"
    for i, (kernel, bias) in enumerate(layers):
        initializers += [numpy_helper.from_array(kernel, f"W{i}"), numpy_helper.from_array(bias, f"b{i}")]
        nodes.append(helper.make_node("Gemm", [current, f"W{i}", f"b{i}"], [f"z{i}"]))
        current = f"z{i}"
        if i < len(layers) - 1:
            nodes.append(helper.make_node("Relu", [current], [f"h{i}"]))
            current = f"h{i}"
    nodes.append(helper.make_node("Softmax", [current], ["output"], axis=1))
    graph = helper.make_graph(
        nodes, "webdlbench_mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", layers[0][0].shape[0]])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", layers[-1][0].shape[1]])],
        initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="webdlbench")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


class OnnxRuntimeAdapter:
    def __init__(self, spec: dict):
        self.spec = spec
        self.ort = None
        self.provider = PROVIDERS[spec["backend"]]
        self.ready = False  # init() found the provider
        self._profile_dir = ""  # the operators pass's trace folder (load_profiled)

    def init(self) -> dict:
        import onnxruntime as ort

        self.ort = ort
        available = ort.get_available_providers()
        if self.provider not in available:
            raise Unsupported(f"ONNX Runtime {ort.__version__} has no {self.provider} here "
                              f"(available: {', '.join(available)})")
        self.ready = True
        return {"device": self.provider, "intra_op_threads": self.spec["threads"]}

    def environment(self) -> dict:
        import onnx

        ort = self.ort
        env = {"onnxruntime_version": ort.__version__, "onnx_version": onnx.__version__,
               "numpy_version": np.__version__, "ort_device": ort.get_device(),
               "ort_providers_available": ort.get_available_providers()}
        if self.ready and self.provider == "CUDAExecutionProvider":
            env["gpu_name"] = _nvidia_gpu_name()
        return env

    def build(self, layers, learning_rate: float):
        raise Unsupported("ONNX Runtime is measured for inference only (onnxruntime-training is not used)")

    def prepare_batch(self, x, labels):
        raise Unsupported("ONNX Runtime is measured for inference only")

    def train_batch(self, model, batch) -> float:
        raise Unsupported("ONNX Runtime is measured for inference only")

    def save(self, layers, folder) -> None:
        import onnx

        onnx.save(onnx_model(layers), str(folder / MODEL_FILE))

    def load(self, folder, profile_prefix: str = ""):
        ort = self.ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.spec["threads"]
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        if profile_prefix:  # the operators pass: ORT's session profiler, on from the session's creation
            options.enable_profiling = True
            options.profile_file_prefix = profile_prefix
        session = ort.InferenceSession(str(folder / MODEL_FILE), sess_options=options, providers=[self.provider])
        if session.get_providers()[0] != self.provider:
            raise Unsupported(f"ONNX Runtime fell back to {session.get_providers()[0]} instead of {self.provider}")
        return session

    def predict(self, session, x: np.ndarray) -> np.ndarray:
        return session.run(None, {"input": x})[0]  # outputs come back as numpy arrays

    # -- the operators pass (native/ops_profile.py) -------------------------------------------------
    def load_profiled(self, folder):
        """The model's session with ORT's session profiler on (it writes a Chrome trace at the end)."""
        import tempfile

        self._profile_dir = tempfile.mkdtemp(prefix="webdlbench-ort-profile-")
        return self.load(folder, profile_prefix=f"{self._profile_dir}/ort")

    def profile_ops(self, session, inputs: list[np.ndarray]) -> dict:
        """The predictions under ORT's session profiler: each node's kernel time per prediction."""
        import json
        import shutil

        for x in inputs:
            self.predict(session, x)
        try:
            with open(session.end_profiling()) as trace:
                events = json.load(trace)
        finally:
            shutil.rmtree(self._profile_dir, ignore_errors=True)
        runs = kernels_per_run(events, len(inputs))
        if len(runs) != len(inputs):
            raise RuntimeError(f"ONNX Runtime's profile held {len(runs)} model_run events for {len(inputs)} predictions")
        timer = {"trusted": True} if self.provider == "CPUExecutionProvider" else {
            "trusted": False, "words": "ONNX Runtime's node times on CUDA are the launches, not the GPU kernels' work"}
        return {"profiler": f"onnxruntime {self.ort.__version__} session profiler (enable_profiling) on {self.provider}",
                "kernels": runs, "timer": timer}


KERNEL_SUFFIX = "_kernel_time"


def kernels_per_run(events: list[dict], count: int) -> list[list[dict]]:
    """ORT's trace events -> the node kernels of its last `count` model runs, each in execution order
    ({name: the op type, node, provider, ms, inputs, outputs}); earlier runs are the warm-up."""
    runs = sorted((e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"),
                  key=lambda e: e["ts"])[-count:] if count else []
    nodes = sorted((e for e in events if e.get("cat") == "Node" and str(e.get("name", "")).endswith(KERNEL_SUFFIX)),
                   key=lambda e: e["ts"])
    return [[{"name": e["args"].get("op_name"), "node": e["name"][:-len(KERNEL_SUFFIX)],
              "provider": e["args"].get("provider"), "ms": e["dur"] / 1e3,
              "inputs": e["args"].get("input_type_shape"), "outputs": e["args"].get("output_type_shape")}
             for e in nodes if run["ts"] <= e["ts"] <= run["ts"] + run["dur"]] for run in runs]


def _nvidia_gpu_name() -> str:
    import subprocess

    try:
        done = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                              text=True, timeout=20)
        return done.stdout.strip().splitlines()[0] if done.returncode == 0 and done.stdout.strip() else "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
