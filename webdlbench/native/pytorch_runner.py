"""Native PyTorch (CPU, or CUDA where present): eager nn.Sequential, the way PyTorch is used.

Training: SGD at the browser's rate on the cross-entropy of the logits (log-softmax + NLL, mean
over the batch: the same loss as softmax + categorical cross-entropy, computed stably). Inference:
softmax(model(x)) under `torch.inference_mode()`, read back with `.numpy()`. The model file is the
state dict written by `torch.save`; loading it rebuilds the Sequential and loads the tensors with
`weights_only=True` (TorchScript is deprecated in torch 2.13, and a torch.export program ran
batch-1 inference 4x slower than the eager module here: neither is how PyTorch is run).
"""
from __future__ import annotations

import numpy as np

from webdlbench.native import NativeRuntime, Unsupported, torch_graph

MODEL_FILE = "model.pt"

RUNTIME = NativeRuntime(
    name="pytorch",
    title="PyTorch",
    python_module="torch",
    backends={"cpu": ("train", "infer", "embed", "generate", "classify"), "gpu": ("train", "infer", "embed", "generate")},  # embed, generate, classify: native/webai.py
    notes="eager nn.Sequential (a Keras application: its ONNX graph run op by op, native/torch_graph.py); "
          "torch.set_num_threads(spec.threads); CUDA synchronised inside timed regions, no TF32",
    adapter="webdlbench.native.pytorch_runner:PyTorchAdapter",
    distributions=("torch",),
    model_format="torch.save state dict (.pt); a Keras application: its ONNX graph as graph.json + weights.npz",
)


class PyTorchAdapter:
    def __init__(self, spec: dict):
        self.spec = spec
        self.torch = None
        self.device = "cpu"

    def init(self) -> dict:
        import torch

        self.torch = torch
        threads = self.spec["threads"]
        torch.set_num_threads(threads)
        torch.set_num_interop_threads(threads)  # only possible before any parallel work
        if self.spec["backend"] == "gpu":
            if not torch.cuda.is_available():
                raise Unsupported(f"torch.cuda.is_available() is False (torch {torch.__version__}, "
                                  f"CUDA build: {torch.version.cuda or 'none'}); native GPU runs need CUDA")
            self.device = "cuda"
            # float32 as the reference computes it: no TF32 in cuDNN's convolutions or in matmuls.
            torch.backends.cudnn.allow_tf32 = False
            torch.backends.cuda.matmul.allow_tf32 = False
        return {"device": self.device, "torch_threads": torch.get_num_threads(),
                "torch_interop_threads": torch.get_num_interop_threads()}

    def environment(self) -> dict:
        torch = self.torch
        env = {"torch_version": torch.__version__, "numpy_version": np.__version__,
               "torch_cuda_build": torch.version.cuda, "torch_threads": torch.get_num_threads(),
               "torch_interop_threads": torch.get_num_interop_threads(),
               "torch_mkldnn": torch.backends.mkldnn.is_available()}
        if self.device == "cuda":
            env["gpu_name"] = torch.cuda.get_device_name(0)
        return env

    def _sync(self) -> None:
        if self.device == "cuda":
            self.torch.cuda.synchronize()

    def _model(self, layers):
        nn = self.torch.nn
        modules = []
        for i, (kernel, _) in enumerate(layers):
            modules.append(nn.Linear(kernel.shape[0], kernel.shape[1]))
            if i < len(layers) - 1:
                modules.append(nn.ReLU())
        return nn.Sequential(*modules)

    def _state(self, layers) -> dict:
        torch = self.torch
        state = {}
        linear = 0
        for kernel, bias in layers:
            state[f"{linear}.weight"] = torch.from_numpy(np.ascontiguousarray(kernel.T))  # [out, in]
            state[f"{linear}.bias"] = torch.from_numpy(bias.copy())
            linear += 2  # Linear, ReLU, Linear, ...
        return state

    def build(self, layers, learning_rate: float):
        model = self._model(layers)
        model.load_state_dict(self._state(layers))
        model.to(self.device).train()
        optimizer = self.torch.optim.SGD(model.parameters(), lr=learning_rate)
        return model, optimizer

    def prepare_batch(self, x: np.ndarray, labels: np.ndarray):
        torch = self.torch
        batch = (torch.from_numpy(x.copy()).to(self.device), torch.from_numpy(labels.astype(np.int64)).to(self.device))
        self._sync()
        return batch

    def train_batch(self, trainer, batch) -> float:
        model, optimizer = trainer
        x, y = batch
        optimizer.zero_grad(set_to_none=True)
        loss = self.torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        self._sync()
        return loss.item()

    def save(self, layers, folder) -> None:
        self.torch.save(self._state(layers), folder / MODEL_FILE)

    def load(self, folder):
        torch = self.torch
        if (folder / torch_graph.GRAPH_FILE).is_file():  # a Keras application's ONNX graph (native/torch_graph.py)
            try:
                return torch_graph.TorchGraph(folder, torch, self.device)
            except torch_graph.UnsupportedOperators as exc:
                raise Unsupported(str(exc)) from None
        model = self._model_from_state(torch.load(folder / MODEL_FILE, weights_only=True, map_location=self.device))
        return model

    def _model_from_state(self, state: dict):
        nn = self.torch.nn
        kernels = [state[k] for k in sorted((k for k in state if k.endswith(".weight")),
                                            key=lambda k: int(k.split(".")[0]))]
        modules = []
        for i, weight in enumerate(kernels):
            modules.append(nn.Linear(weight.shape[1], weight.shape[0], device=self.device))
            if i < len(kernels) - 1:
                modules.append(nn.ReLU())
        model = nn.Sequential(*modules)
        model.load_state_dict(state)
        return model.eval()

    def profile_ops(self, model, inputs: list[np.ndarray]) -> dict:
        """The operators pass: each prediction under torch.profiler; per prediction its operators in
        execution order, each with its self CPU time (no child operator counted twice)."""
        from torch.profiler import ProfilerActivity, profile, record_function
        kernels = []
        for x in inputs:
            with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
                with record_function("prediction"):
                    self.predict(model, x)
            events = sorted((e for e in prof.events() if e.name != "prediction"), key=lambda e: e.time_range.start)
            kernels.append([{"name": e.name, "ms": e.self_cpu_time_total / 1e3, "inputs": list(e.input_shapes or [])}
                            for e in events])
        timer = {"trusted": True} if self.device == "cpu" else {
            "trusted": False, "words": "torch.profiler's CPU self time does not hold the GPU kernels' time"}
        return {"profiler": f"torch.profiler (CPU, self time) on {self.device}", "kernels": kernels, "timer": timer}

    def predict(self, model, x: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            if isinstance(model, torch_graph.TorchGraph):  # the Keras model's own softmax is in its graph
                return model(x).cpu().numpy()
            y = torch.softmax(model(torch.from_numpy(x).to(self.device)), dim=1)
            return y.cpu().numpy()  # the copy back waits for the device
