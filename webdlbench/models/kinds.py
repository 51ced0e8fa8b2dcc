"""The registry of model kinds, its rules as data: what `depth` and `width` mean for each, its
input and classes (from its data, models/datasets.py), where its reference outputs come from and
how close they must be, which browser frameworks and native runtimes run it, and its learning-rate
rule (models/training.py). Code elsewhere asks a kind these questions and never its name.

A Spec names its kind in `model` ("mlp", "cnn", "lstm", "keras:MobileNetV2", ...); `depth` and
`width` keep their columns in the store, with the meaning the kind gives them:

| kind | network | depth | width | input | data |
|---|---|---|---|---|---|
| mlp | DNN | hidden Dense layers | units per hidden layer | 784 | MNIST |
| cnn | CNN | Keras layers (>= 6; 6 = the TF.js MNIST example) | filters of every Conv2D | 28x28x1 | MNIST |
| lstm | RNN | stacked LSTM layers | units per LSTM layer | 40 one-hot characters | corpus.py |
| keras:NAME | Keras application | 1 (one fixed architecture) | input side in pixels (default: the model's own) | width x width x 3 | a real photo |

The MLP is the paper's §4 network: weights from models/mlp.py, numpy reference, every framework.
Every other kind is a tf_keras model (models/keras_models.py) converted once with the official TF.js
converter into an artifact (models/artifacts.py), loaded by TF.js in the page and by native
TensorFlow from the same weights; its reference outputs come from TensorFlow itself (no numpy twin
of an LSTM or InceptionV3). Other frameworks and native runtimes record `unsupported` for these
kinds, with why (`unsupported_reason`).
"""
from __future__ import annotations

import dataclasses

from dataclasses import dataclass

from webdlbench.models import mlp, training, user_ids
from webdlbench.models.kind import ModelKind
# The kinds of today's web-AI stack (RQ4) are declared with their own package (models/webai/).
from webdlbench.models.webai.kinds import KINDS as WEBAI_KINDS

# The Keras applications are the paper's §5.1 comparison (Table 4, Figure 5), not one of Table 5's
# factor sweeps: their browser/native ratios are listed under this network type, with no tree.
APPLICATION_NETWORK = "Keras application"
TREE_NETWORKS = ("DNN", "CNN", "RNN")  # Table 5's rows: one decision tree each
# Output tolerances of the converted kinds against TensorFlow's float32 outputs (see ModelKind). Seen
# here (TF.js cpu, wasm, WebGL and WebGPU on SwiftShader): CNN and LSTM within 6e-8 absolute and 1e-6
# relative; ResNet50, VGG16, InceptionV3 and MobileNetV2 within 3.8e-5 relative.
CONVERTED_ATOL = 1e-6
CONVERTED_RTOL = 1e-3


def _converted(**fields) -> ModelKind:
    """A kind the TF.js converter makes: TF.js runs it in the page, TensorFlow natively, and
    TensorFlow's own outputs are its reference."""
    return ModelKind(converted=True, browser_frameworks=("tfjs",), native_runtimes=("tensorflow",),
                     reference="tensorflow", output_atol=CONVERTED_ATOL, output_rtol=CONVERTED_RTOL, **fields)


def _application(name: str, size: int, min_size: int) -> ModelKind:
    # Also ONNX Runtime Web in the page and PyTorch natively, on the same weights: the tf_keras file
    # converted to ONNX (models/torch_graph_maker.py), which PyTorch runs op by op (native/torch_graph.py)
    # — on CUDA where TensorFlow has none.
    return dataclasses.replace(_converted(
        name=f"keras:{name}", network=APPLICATION_NETWORK, title=f"Keras {name}",
        depth_means="1: one fixed architecture", width_means=f"input side in pixels (the model's own: {size})",
        data="image", tasks=("infer",), min_width=min_size, fixed_depth=1, default_width=size),
        browser_frameworks=("tfjs", "onnxruntime_web"), native_runtimes=("tensorflow", "pytorch"))


# The eleven Keras applications of the paper's §5.1 (name, input side, smallest side Keras allows).
APPLICATIONS = (
    ("VGG16", 224, 32), ("VGG19", 224, 32), ("ResNet50", 224, 32), ("MobileNet", 224, 32),
    ("MobileNetV2", 224, 32), ("DenseNet121", 224, 32), ("DenseNet169", 224, 32), ("NASNetLarge", 331, 32),
    ("Xception", 299, 71), ("InceptionV3", 299, 75), ("InceptionResNetV2", 299, 75),
)

KINDS: dict[str, ModelKind] = {k.name: k for k in (
    ModelKind(name="mlp", network="DNN", title="MLP (paper §4.1)", depth_means="hidden Dense layers",
              width_means="units per hidden layer", data="mnist", flat_input=True,
              learning_rate_rule=training.rate_per_root_depth, forward_flops=mlp.forward_flops),
    _converted(name="cnn", network="CNN", title="CNN (TF.js MNIST example)",
               depth_means="Keras layers, >= 6: 6 is the TF.js MNIST example (conv-pool-conv-pool-flatten-dense), "
                           "each one more is a 3x3 'same' Conv2D after the second pool",
               width_means="filters of every Conv2D", data="mnist", min_depth=6,
               learning_rate_rule=training.rate_per_filters_and_convolutions),
    _converted(name="lstm", network="RNN", title="LSTM character model (TF.js text-generation example)",
               depth_means="stacked LSTM layers", width_means="units per LSTM layer", data="text"),
    *(_application(*a) for a in APPLICATIONS),
)}
KINDS.update(WEBAI_KINDS)


@dataclass(frozen=True)
class UserModelKind(ModelKind):
    """A user's own model file (`model = "file:PATH"`, models/user_models.py): its input is the
    file's, fed whole (batch dimension included); its outputs' size is known once a runtime ran it."""

    def input_shape(self, depth: int, width: int) -> tuple[int, ...]:
        from webdlbench.models import user_models

        return user_models.inspect(self.name).input_shape

    def classes(self) -> int:
        raise ValueError(f"{self.title}: its output size is known from its reference outputs only")


def user_kind(model: str) -> UserModelKind:
    """The kind of a user's `file:` model (models/user_models.py), made from its id alone: inference
    only, on the runtimes of its format, checked against the native runtime's outputs with the
    converted kinds' tolerances."""
    fmt = user_ids.file_format(user_ids.parse_id(model)[0])
    browser, native = user_ids.LOADERS[fmt]
    return UserModelKind(
        name=model, network=user_ids.USER_NETWORK, title=f"your model {user_ids.display_name(model)}",
        depth_means="1: a file holds one architecture", width_means="1: a file holds one architecture",
        data="file", tasks=("infer",), converted=True, browser_frameworks=browser, native_runtimes=native,
        reference="onnxruntime" if fmt == user_ids.ONNX else "tensorflow",
        output_atol=CONVERTED_ATOL, output_rtol=CONVERTED_RTOL, fixed_depth=1, default_width=1)


def get(name: str) -> ModelKind:
    if user_ids.is_user_model(name):  # a user's model file: its kind is made from the file's id
        return user_kind(name)
    return KINDS[name]


def unsupported_reason(kind: ModelKind, who: str, runtime: str) -> str:
    """'' when `who` (a browser framework or native runtime) runs this kind, else why not."""
    allowed = kind.browser_frameworks if runtime == "browser" else kind.native_runtimes
    if allowed is None or who in allowed:
        return ""
    return (f"{who} runs only the MLP here: the {kind.title} is a tf_keras model converted with the TF.js "
            f"converter, which only {', '.join(allowed)} ({runtime}) loads; no {who} definition of the same "
            f"weights exists")
