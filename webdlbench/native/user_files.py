"""Native adapters for a user's own model file (models/user_models.py), run by native/worker.py
like any runtime's: ONNX Runtime on the ONNX file, TensorFlow on the Keras file or SavedModel the
TF.js model came from. The same adapters compute the reference outputs (models/user_reference.py).

The worker feeds each input as [1, *input shape]; a user's input shape already holds its batch
dimension (the whole tensor), so the leading 1 is dropped before the call. The first output is the
one compared, flattened. No RUNTIME here: these are the onnxruntime and tensorflow runtimes.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from webdlbench.native.onnxruntime_runner import OnnxRuntimeAdapter
from webdlbench.native.tensorflow_runner import TensorFlowAdapter

KERAS_SUFFIXES = (".keras", ".h5")
SAVED_MODEL_FILE = "saved_model.pb"


class OnnxFileAdapter(OnnxRuntimeAdapter):
    """The user's model.onnx (the folder holds it under onnxruntime_runner.MODEL_FILE)."""

    input_name = ""

    def load(self, folder):
        session = super().load(folder)
        self.input_name = session.get_inputs()[0].name
        return session

    def predict(self, session, x: np.ndarray) -> np.ndarray:
        return np.asarray(session.run(None, {self.input_name: x.reshape(x.shape[1:])})[0])


class TensorFlowFileAdapter(TensorFlowAdapter):
    """The Keras file (.keras, .h5) or SavedModel folder in `folder`, or (for the reference only,
    when none was given) the TF.js model.json read back by the TF.js converter's own loader."""

    def load(self, folder):
        tf = self.tf
        folder = Path(folder)
        with tf.device(self.device):
            if folder.suffix == ".json":
                return _callable(tf, load_tfjs_layers_model(folder))
            keras_files = sorted(p for p in folder.iterdir() if p.suffix in KERAS_SUFFIXES)
            if keras_files:
                return _callable(tf, self._load_keras(keras_files[0]))
            if (folder / SAVED_MODEL_FILE).is_file():
                return _signature(tf.saved_model.load(str(folder)))
        raise FileNotFoundError(f"no .keras, .h5 or {SAVED_MODEL_FILE} in {folder}")

    def _load_keras(self, path: Path):
        """tf_keras (Keras 2) reads .h5 and its own .keras; a Keras 3 .keras file needs Keras 3."""
        try:
            return self.keras.models.load_model(str(path), compile=False)
        except Exception as first:
            try:
                import keras
            except ImportError:
                raise first from None
            if not keras.__version__.startswith("3"):
                raise
            return keras.saving.load_model(str(path), compile=False)

    def predict(self, serve, x: np.ndarray) -> np.ndarray:
        with self.tf.device(self.device):
            return np.asarray(serve(self.tf.constant(x.reshape(x.shape[1:]))))


def _callable(tf, model):
    @tf.function
    def serve(x):
        y = model(x, training=False)
        return y[0] if isinstance(y, (list, tuple)) else y

    return lambda x: serve(x).numpy()


def _signature(loaded):
    """A SavedModel's serving signature, called with its one input; its first output (by name)."""
    serve = loaded.signatures["serving_default"]
    _, inputs = serve.structured_input_signature
    name = next(iter(inputs))

    def call(x):
        outputs = serve(**{name: x})
        return outputs[sorted(outputs)[0]].numpy()
    return call


def load_tfjs_layers_model(model_json: Path):
    """A TF.js Layers model.json as a tf_keras model, by tensorflowjs's own loader (in the
    converter's process setup: models/tfjs_converter.py's stand-ins)."""
    from webdlbench.models.tfjs_converter import install_stand_ins

    install_stand_ins()
    from tensorflowjs.converters import keras_tfjs_loader

    return keras_tfjs_loader.load_keras_model(str(model_json), load_weights=True)
