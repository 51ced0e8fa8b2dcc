"""RQ4 natively (models/webai/): the `embed`, `classify` and `generate` loops of the native worker,
twins of the page's (web/webai.js), and the adapters that run an encoder in PyTorch (transformers)
and ONNX Runtime, and a decoder LLM in PyTorch (transformers generate) and llama.cpp
(llama-cpp-python), on the same files the browser fetches (image classifiers' adapters:
webai_image.py).

A replicate is one fresh process, with two loads in it, as a page replicate is two visits:
  cold_load_ms    importing the library and loading the model (the process's first load; the
                  files may be in the OS page cache: natively there is no other cold to be had)
  first_infer_ms  the first embedding after it
  warm_load_ms    loading the model again in the same process (library imported, files cached)
  warmup_ms       the first embedding after the warm load; then warm-up until the timings settle
  infer_ms        steady state (worker.steady_state, the same rules as every other task)

Adapter (the job's "adapter", "module:Class", constructed as Adapter(spec)):
  init() -> dict          nothing heavy: the import is part of the cold load
  environment() -> dict   library versions and threads once imported ({} before)
  load(folder) -> model   the model folder of artifacts.py (model/); an image classifier's file
  embed(model, ids)       int32 token ids [length] -> the mean-pooled embedding, float32 numpy
  classify(model, image)  one preprocessed image [1, ...] float32 -> its class outputs, numpy
  generate(model, prompt, count) -> (tokens, stamps): a decoder's greedy tokens, EOS masked, and
                          when each arrived (ms after the call); prompt = {"ids", "text"}
  backend_used(model)     what actually ran (device, threads, execution providers)
A decoder's replicate is the same two loads; its steady state is generations, each giving
ttft_ms, prefill_tok_s and decode_tok_s, as the page's.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from webdlbench.models.webai.build import LIBRARY_ENVIRONMENT
from webdlbench.native import Unsupported, worker

ONNX_FILE = Path("onnx") / "model.onnx"
ADAPTERS = {("pytorch", "encoder"): "webdlbench.native.webai:TransformersEncoder",
            ("onnxruntime", "encoder"): "webdlbench.native.webai:OnnxRuntimeEncoder",
            ("pytorch", "decoder"): "webdlbench.native.webai:TransformersGenerator",
            ("llamacpp", "decoder"): "webdlbench.native.llamacpp_runner:LlamaCppGenerator",
            # image classifiers: native/webai_image.py
            ("tensorflow", "image"): "webdlbench.native.webai_image:KerasClassifier",
            ("onnxruntime", "image"): "webdlbench.native.webai_image:OnnxRuntimeClassifier",
            ("tflite", "image"): "webdlbench.native.webai_image:TfliteClassifier",
            ("pytorch", "image"): "webdlbench.native.webai_image:TransformersImageClassifier"}


def run_embed(job: dict, adapter, reply: dict) -> None:
    data = job["data"]["ids"]
    rows = np.fromfile(data["path"], dtype="<i4").reshape(data["count"], data["length"])
    _run_one_input_task(job, adapter, reply, rows, adapter.embed, "embed")


def run_classify(job: dict, adapter, reply: dict) -> None:
    """An image classifier's replicate (native/webai_image.py's adapters): as run_embed, one
    preprocessed image [1, ...] in, its class outputs out."""
    data = job["data"]["images"]
    images = np.fromfile(data["path"], dtype="<f4").reshape(data["count"], *data["shape"])
    _run_one_input_task(job, adapter, reply, images, adapter.classify, "classify")


def _run_one_input_task(job: dict, adapter, reply: dict, inputs: np.ndarray, call, what: str) -> None:
    """Two loads, then the steady state of `call(model, one input)`, whose output is read back."""
    spec = job["spec"]
    folder = Path(job.get("model_file") or job["model_dir"])
    resolution = worker.timer_resolution_ms()
    cold_load_ms, model = _timed(lambda: adapter.load(folder))
    first_infer_ms, first = _timed(lambda: call(model, inputs[0]))
    reply["warmup_output"] = worker._vector(first, what)
    del model
    warm_load_ms, model = _timed(lambda: adapter.load(folder))
    warmup_ms, _ = _timed(lambda: call(model, inputs[0]))

    def timed_region(count: int, offset: int = 0) -> float:  # `count` inferences, the last read back
        start = time.perf_counter_ns()
        for j in range(count):
            out = call(model, inputs[(offset + j) % len(inputs)])
        elapsed = (time.perf_counter_ns() - start) / 1e6
        worker._vector(out, what)
        return elapsed

    samples, reply["sampling"] = worker.steady_state(timed_region, warmup_ms, spec, resolution)
    reply["metrics"] = {"cold_load_ms": [cold_load_ms], "first_infer_ms": [first_infer_ms],
                        "warm_load_ms": [warm_load_ms], "warmup_ms": [warmup_ms], "infer_ms": samples}
    reply["outputs"] = [worker._vector(call(model, one), what) for one in inputs]  # untimed
    reply["info"]["backend_used"] = adapter.backend_used(model)


def run_generate(job: dict, adapter, reply: dict) -> None:
    spec, data = job["spec"], job["data"]
    ids = np.fromfile(data["ids"]["path"], dtype="<i4").tolist()
    prompt = {"ids": ids, "text": Path(data["prompt_text"]).read_text()}
    count = data["generated"]
    source = Path(job.get("model_file") or job["model_dir"])
    outputs: list[list[int]] = []

    def generate(model):
        tokens, stamps = adapter.generate(model, prompt, count)
        if len(tokens) != len(stamps) or not tokens:
            raise TypeError("adapter generate returned no tokens with their times")
        outputs.append([int(t) for t in tokens])
        return stamps

    cold_load_ms, model = _timed(lambda: adapter.load(source))
    first_infer_ms = generate(model)[0]
    reply["warmup_output"] = outputs[0]
    del model
    warm_load_ms, model = _timed(lambda: adapter.load(source))
    warmup_ms = generate(model)[0]
    for _ in range(1, spec["warmup"]):
        generate(model)
    ttft, prefill, decode = [], [], []
    deadline = time.perf_counter() + spec["time_budget_s"]
    while len(ttft) < spec["samples"] and (not ttft or time.perf_counter() < deadline):
        stamps = generate(model)
        ttft.append(stamps[0])
        prefill.append(len(ids) / (stamps[0] / 1000))
        if len(stamps) > 1:
            decode.append((len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1000))
    reply["metrics"] = {"cold_load_ms": [cold_load_ms], "first_infer_ms": [first_infer_ms],
                        "warm_load_ms": [warm_load_ms], "warmup_ms": [warmup_ms], "ttft_ms": ttft,
                        "prefill_tok_s": prefill, "decode_tok_s": decode}
    reply["outputs"] = outputs[1:]  # the first (cold) one is warmup_output; each is checked
    reply["sampling"] = {"generations": len(ttft), "warmup_calls": max(spec["warmup"], 1)}
    reply["info"]["backend_used"] = adapter.backend_used(model)


def _timed(call):
    start = time.perf_counter_ns()
    value = call()
    return (time.perf_counter_ns() - start) / 1e6, value


# What the worker runs for each task of these kinds (the job names it: worker.runner).
RUNNERS = {"embed": f"{__name__}:run_embed", "generate": f"{__name__}:run_generate",
           "classify": f"{__name__}:run_classify"}


class TransformersEncoder:
    """PyTorch as transformers runs it: BertModel.from_pretrained, eager, inference_mode; the
    pooling in torch; the result read back with .numpy(). Backend gpu: the model on CUDA, TF32 off."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.torch = None
        self.device = "cuda" if spec["backend"] == "gpu" else "cpu"

    def init(self) -> dict:
        if self.device == "cuda":  # known before any load is timed
            self.load_library()
            if not self.torch.cuda.is_available():
                raise Unsupported(f"torch.cuda.is_available() is False (torch {self.torch.__version__}, CUDA build: "
                                  f"{self.torch.version.cuda or 'none'}); native GPU runs need CUDA")
            self.torch.backends.cuda.matmul.allow_tf32 = False  # float32 as the reference computes it
            self.torch.backends.cudnn.allow_tf32 = False
        return {"threads_requested": self.spec["threads"], "device": self.device}

    def environment(self) -> dict:
        if self.torch is None:
            return {}
        import transformers

        torch = self.torch
        return {"torch_version": torch.__version__, "transformers_version": transformers.__version__,
                "numpy_version": np.__version__, "torch_threads": torch.get_num_threads(),
                "torch_interop_threads": torch.get_num_interop_threads()}

    def load_library(self) -> None:
        """Import torch and transformers (the first load's share of the cold load) and pin threads."""
        if self.torch is None:
            # transformers would import TensorFlow too (installed here for other runtimes) and look
            # for the hub: both are off, as where the model was made (models/webai/build.py).
            os.environ.update(LIBRARY_ENVIRONMENT)
            import torch

            torch.set_num_threads(self.spec["threads"])
            torch.set_num_interop_threads(self.spec["threads"])  # only possible before any parallel work
            self.torch = torch

    def load(self, folder: Path):
        self.load_library()
        from transformers import BertModel

        return BertModel.from_pretrained(folder).eval().to(self.device)

    def embed(self, model, ids: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            input_ids = torch.from_numpy(ids.astype(np.int64))[None, :].to(self.device)
            mask = torch.ones_like(input_ids)
            hidden = model(input_ids=input_ids, attention_mask=mask,
                           token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            pooled = ((hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True))[0]
            return pooled.cpu().numpy()  # the copy back waits for the device

    def backend_used(self, model) -> dict:
        used = {"device": self.device, "torch_threads": self.torch.get_num_threads(),
                "dtype": str(next(model.parameters()).dtype)}
        if self.device == "cuda":
            used.update(gpu_name=self.torch.cuda.get_device_name(0), tf32=False)
        return used


class OnnxRuntimeEncoder:
    """ONNX Runtime on the exported onnx/model.onnx (the file the pages fetch): CPU provider,
    intra_op_num_threads = spec.threads, sequential; the pooling in numpy."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.ort = None

    def init(self) -> dict:
        return {"threads_requested": self.spec["threads"]}

    def environment(self) -> dict:
        if self.ort is None:
            return {}
        return {"onnxruntime_version": self.ort.__version__, "numpy_version": np.__version__,
                "ort_providers_available": self.ort.get_available_providers()}

    def load(self, folder: Path):
        if self.ort is None:
            import onnxruntime

            self.ort = onnxruntime
        options = self.ort.SessionOptions()
        options.intra_op_num_threads = self.spec["threads"]
        options.inter_op_num_threads = 1
        options.execution_mode = self.ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        path = folder if folder.suffix == ".onnx" else folder / ONNX_FILE  # a quantised kind names its file
        return self.ort.InferenceSession(str(path), sess_options=options,
                                         providers=["CPUExecutionProvider"])

    def embed(self, session, ids: np.ndarray) -> np.ndarray:
        input_ids = ids.astype(np.int64)[None, :]
        mask = np.ones_like(input_ids)
        feeds = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
        names = {i.name for i in session.get_inputs()}
        hidden = session.run(None, {k: v for k, v in feeds.items() if k in names})[0]
        weights = mask[..., None].astype(np.float32)
        return ((hidden * weights).sum(1) / weights.sum(1))[0]

    def backend_used(self, session) -> dict:
        return {"device": "cpu", "execution_providers": session.get_providers(),
                "intra_op_threads": self.spec["threads"]}


class _Stamps:
    """A transformers streamer that timestamps every new token (generate puts the prompt first)."""

    def __init__(self):
        self.start = time.perf_counter_ns()
        self.stamps: list[float] = []
        self.tokens: list[int] = []
        self.prompted = False

    def put(self, value) -> None:
        if not self.prompted:
            self.prompted = True
            return
        self.stamps.append((time.perf_counter_ns() - self.start) / 1e6)
        self.tokens.append(int(value.reshape(-1)[0]))

    def end(self) -> None:
        pass


class TransformersGenerator(TransformersEncoder):
    """PyTorch as transformers runs a causal LM: LlamaForCausalLM.from_pretrained, eager, and
    generate() greedy with min_new_tokens = max_new_tokens (EOS masked) and a timestamping streamer."""

    def load(self, folder: Path):
        self.load_library()
        from transformers import LlamaForCausalLM

        return LlamaForCausalLM.from_pretrained(folder).eval().to(self.device)

    def generate(self, model, prompt: dict, count: int) -> tuple[list[int], list[float]]:
        torch = self.torch
        with torch.inference_mode():  # each token is read back (the streamer's int()) as it comes
            input_ids = torch.tensor([prompt["ids"]], dtype=torch.int64, device=self.device)
            streamer = _Stamps()
            model.generate(input_ids, attention_mask=torch.ones_like(input_ids), do_sample=False, max_new_tokens=count,
                           min_new_tokens=count, pad_token_id=model.config.eos_token_id, streamer=streamer)
        return streamer.tokens, streamer.stamps
