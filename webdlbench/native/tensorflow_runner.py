"""Native TensorFlow (CPU, or a GPU where TensorFlow sees one): the paper's native reference.

The model is a tf_keras (Keras 2) Sequential of Dense layers, the same as the TF.js model, trained
with the same SGD and categorical cross-entropy. Timed calls go through `tf.function`s: Keras
`predict` costs ~55 ms of Python per call and would measure nothing (docs/ENVIRONMENT.md).
The saved model is a Keras `.keras` file written by tf_keras itself; loading it is timed.
"""
from __future__ import annotations

import numpy as np

from webdlbench.native import NativeRuntime, Unsupported

MODEL_FILE = "model.keras"  # tf_keras's own format (a zip of config + weights)

RUNTIME = NativeRuntime(
    name="tensorflow",
    title="TensorFlow",
    python_module="tensorflow",
    # classify: RQ4's image classifier (native/webai_image.py), from the same Keras file as TF.js's
    backends={"cpu": ("train", "infer", "classify"), "gpu": ("train", "infer")},
    notes="tf_keras model, tf.function timed regions, intra/inter-op threads = spec.threads",
    adapter="webdlbench.native.tensorflow_runner:TensorFlowAdapter",
    distributions=("tensorflow", "tensorflow-cpu"),
    model_format="Keras .keras file (tf_keras)",
)


class TensorFlowAdapter:
    def __init__(self, spec: dict):
        self.spec = spec
        self.tf = None
        self.keras = None
        self.device = "/CPU:0"
        self.classes = 10  # the MLP's; a converted model's own output width (build_from_file)

    def init(self) -> dict:
        import tensorflow as tf

        self.tf = tf
        threads = self.spec["threads"]
        # Must happen before TensorFlow runs its first op; the env variables pin the rest.
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        gpus = tf.config.list_physical_devices("GPU")
        if self.spec["backend"] == "gpu":
            if not gpus:
                raise Unsupported(f"TensorFlow {tf.__version__} sees no GPU (built with CUDA: "
                                  f"{tf.test.is_built_with_cuda()}); native GPU runs need one")
            self.device = "/GPU:0"
        import tf_keras

        self.keras = tf_keras
        return {"device": self.device, "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
                "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads()}

    def environment(self) -> dict:
        tf = self.tf
        env = {"tensorflow_version": tf.__version__, "numpy_version": np.__version__,
               "tf_built_with_cuda": tf.test.is_built_with_cuda(),
               "tf_intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
               "tf_inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads()}
        if self.keras is not None:
            env["tf_keras_version"] = self.keras.__version__
        if self.device.startswith("/GPU"):
            details = tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0])
            env["gpu_name"] = details.get("device_name", "unknown")
        return env

    # -- the model --------------------------------------------------------------------------------
    def _model(self, layers):
        keras = self.keras
        model = keras.Sequential([keras.Input(shape=(layers[0][0].shape[0],))])
        for i, (kernel, _) in enumerate(layers):
            model.add(keras.layers.Dense(kernel.shape[1], activation="softmax" if i == len(layers) - 1 else "relu"))
        model.set_weights([a for pair in layers for a in pair])
        return model

    def build(self, layers, learning_rate: float):
        with self.tf.device(self.device):
            return self._train_step(self._model(layers), learning_rate)

    def build_from_file(self, folder, learning_rate: float):
        """A converted kind (CNN, LSTM): the tf_keras file saved beside its TF.js conversion."""
        with self.tf.device(self.device):
            model = self.keras.models.load_model(str(folder / MODEL_FILE), compile=False)
            self.classes = int(model.output_shape[-1])
            return self._train_step(model, learning_rate)

    def _train_step(self, model, learning_rate: float):
        tf, keras = self.tf, self.keras
        with tf.device(self.device):
            optimizer = keras.optimizers.SGD(learning_rate=learning_rate)

            @tf.function
            def step(x, y):
                with tf.GradientTape() as tape:
                    probabilities = model(x, training=True)
                    # Keras's categorical cross-entropy on the softmax output, mean over the batch,
                    # exactly what TF.js's `categoricalCrossentropy` computes (TF.js mirrors Keras).
                    loss = tf.reduce_mean(keras.losses.categorical_crossentropy(y, probabilities))
                grads = tape.gradient(loss, model.trainable_variables)
                optimizer.apply_gradients(zip(grads, model.trainable_variables))
                return loss

        return step

    def prepare_batch(self, x: np.ndarray, labels: np.ndarray):
        tf = self.tf
        with tf.device(self.device):
            return tf.constant(x), tf.one_hot(tf.constant(labels, tf.int32), self.classes)

    def train_batch(self, step, batch) -> float:
        return float(step(*batch).numpy())  # .numpy() waits for the step (and copies from a GPU)

    def save(self, layers, folder) -> None:
        self._model(layers).save(str(folder / MODEL_FILE))

    def load(self, folder):
        tf = self.tf
        with tf.device(self.device):
            model = self.keras.models.load_model(str(folder / MODEL_FILE), compile=False)

        @tf.function(input_signature=[tf.TensorSpec([None, *model.input_shape[1:]], tf.float32)])
        def serve(x):
            with tf.device(self.device):
                return model(x, training=False)

        return serve

    def predict(self, serve, x: np.ndarray) -> np.ndarray:
        return serve(x).numpy()  # the tensor from numpy, the call, the read-back: all timed

    def profile_ops(self, serve, inputs: list[np.ndarray]) -> dict:
        """The operators pass (native/ops_profile.py): each prediction under TensorFlow's profiler,
        its op kernels' self times from the host trace (native/tf_profile.py)."""
        from webdlbench.native.tf_profile import profile_prediction

        kernels = [profile_prediction(self.tf, lambda x=x: self.predict(serve, x)) for x in inputs]
        if not all(kernels):
            raise RuntimeError("TensorFlow's profiler trace held no op kernel events (host tracer level 3)")
        timer = {"trusted": True} if self.device == "/CPU:0" else {
            "trusted": False, "words": "the host trace's op times on a GPU are the launches, not the kernels' work"}
        return {"profiler": f"tf.profiler.experimental (host trace, op self time) on {self.device}",
                "kernels": kernels, "timer": timer}
