"""RQ4's image classifiers natively (models/webai/image.py): adapters of the native worker's
`classify` loop (native/webai.py: run_classify) on the same files the pages fetch.

  tensorflow   keras:MobileNetV2's own `.keras` file in tf_keras, called through a tf.function of
               batch 1 (Keras `predict` costs ~55 ms of Python per call: docs/ENVIRONMENT.md)
  onnxruntime  the ONNX file (tf2onnx's or optimum's), CPU provider, intra_op_num_threads = threads
  tflite       the .tflite file in LiteRT's interpreter (ai-edge-litert, TFLite's own runtime; XNNPACK,
               as LiteRT.js uses in wasm), num_threads = threads
  pytorch      ViT-Tiny as transformers runs it: ViTForImageClassification, eager, inference_mode

Every adapter's classify(model, image) takes one preprocessed image [1, ...] (float32) and returns
its class outputs read back (numpy); the cold load includes importing the library, as for the
encoders (native/webai.py).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from webdlbench.native.webai import OnnxRuntimeEncoder, TransformersEncoder


def tflite_interpreter(path: Path, threads: int):
    """LiteRT's Interpreter (ai-edge-litert) on a .tflite file, with its default XNNPACK delegate."""
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_path=str(path), num_threads=threads)


class KerasClassifier:
    """TensorFlow: the Keras file through tf_keras, one tf.function of the input's shape."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.tf = None

    def init(self) -> dict:
        return {"threads_requested": self.spec["threads"]}

    def environment(self) -> dict:
        if self.tf is None:
            return {}
        import tf_keras

        return {"tensorflow_version": self.tf.__version__, "tf_keras_version": tf_keras.__version__,
                "numpy_version": np.__version__}

    def load(self, path: Path):
        if self.tf is None:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            import tensorflow as tf

            threads = self.spec["threads"]  # before TensorFlow runs its first op
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
            self.tf = tf
        import tf_keras

        model = tf_keras.models.load_model(str(path), compile=False)
        signature = [self.tf.TensorSpec([1, *model.input_shape[1:]], self.tf.float32)]
        return self.tf.function(lambda x: model(x, training=False), input_signature=signature)

    def classify(self, serve, image: np.ndarray) -> np.ndarray:
        return serve(self.tf.constant(image)).numpy()[0]

    def backend_used(self, serve) -> dict:
        return {"device": "cpu", "runtime": f"TensorFlow {self.tf.__version__} (tf_keras, tf.function)",
                "intra_op_threads": self.tf.config.threading.get_intra_op_parallelism_threads(),
                "inter_op_threads": self.tf.config.threading.get_inter_op_parallelism_threads()}


class OnnxRuntimeClassifier(OnnxRuntimeEncoder):
    """ONNX Runtime on the image classifier's ONNX file (the session options of OnnxRuntimeEncoder)."""

    def load(self, path: Path):
        return super().load(Path(path).parent.parent)  # OnnxRuntimeEncoder opens <folder>/onnx/model.onnx

    def classify(self, session, image: np.ndarray) -> np.ndarray:
        return session.run(None, {session.get_inputs()[0].name: image})[0][0]


class TfliteClassifier:
    """LiteRT (TFLite) on the .tflite file: one interpreter per load, tensors allocated in the load."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.module = None

    def init(self) -> dict:
        return {"threads_requested": self.spec["threads"]}

    def environment(self) -> dict:
        if self.module is None:
            return {}
        from importlib.metadata import version

        return {"ai_edge_litert_version": version("ai-edge-litert"), "numpy_version": np.__version__}

    def load(self, path: Path):
        if self.module is None:
            import ai_edge_litert.interpreter

            self.module = ai_edge_litert.interpreter
        interpreter = tflite_interpreter(path, self.spec["threads"])
        interpreter.allocate_tensors()
        return (interpreter, interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"])

    def classify(self, model, image: np.ndarray) -> np.ndarray:
        interpreter, given, taken = model
        interpreter.set_tensor(given, image)
        interpreter.invoke()
        return interpreter.get_tensor(taken)[0].copy()  # get_tensor's array is the interpreter's buffer

    def backend_used(self, model) -> dict:
        from importlib.metadata import version

        return {"device": "cpu", "runtime": f"ai-edge-litert {version('ai-edge-litert')} Interpreter",
                "num_threads": self.spec["threads"], "delegate": "XNNPACK (the interpreter's default)"}


class TransformersImageClassifier(TransformersEncoder):
    """PyTorch as transformers runs ViT: ViTForImageClassification.from_pretrained, eager."""

    def load(self, folder: Path):
        self.load_library()
        from transformers import ViTForImageClassification

        return ViTForImageClassification.from_pretrained(folder).eval()

    def classify(self, model, image: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            return model(pixel_values=self.torch.from_numpy(image)).logits[0].numpy()
