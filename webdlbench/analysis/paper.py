"""The numbers Ma et al. printed (WWW'19, "Moving Deep Learning into Web Browser: How Far Can We Go?"),
typed in from the paper's text, each with where it comes from, so the report can show them beside
ours. Nothing here is measured; nothing here is computed.

Units are the paper's: CPU utilisation in %, model file sizes in "MB" (the paper does not say
whether 10^6 or 2^20 bytes), times in ms, ratios as browser time / native time.
"""
from __future__ import annotations

from dataclasses import dataclass

from webdlbench.analysis.survey import PAPER_2018

CITATION = ("Ma, Xiang, Zheng, Tian, Liu. Moving Deep Learning into Web Browser: How Far Can We Go? "
            "WWW '19")

# Table 1 (§3, "as of Nov. 2018"): kept with the survey that regenerates it.
TABLE1 = PAPER_2018
TABLE1_SOURCE = "Table 1 (§3)"

# Table 2 (§4.2): CPU utilisation (%) while training, (max, min, average). The paper's GPU rows are
# TF.js on the integrated (iGPU, Intel HD 630) and the standalone card (nGPU, GTX 1070 Max-Q).
TABLE2_SOURCE = "Table 2 (§4.2)"
TABLE2 = {
    ("brainjs", "CPU"): (104.0, 99.9, 101.2),
    ("convnetjs", "CPU"): (108.0, 101.9, 104.1),
    ("synaptic", "CPU"): (113.9, 88.7, 102.8),
    ("tfjs", "CPU"): (108.0, 61.0, 82.1),
    ("tfjs", "iGPU"): (82.0, 54.9, 65.9),
    ("tfjs", "nGPU"): (75.9, 48.0, 60.0),
}
# Which of the paper's rows a backend of ours corresponds to.
TABLE2_BACKENDS = {"cpu": ("CPU",), "webgl": ("iGPU", "nGPU"), "webgpu": ("iGPU", "nGPU")}

# Table 3 (§4.3): model file size (MB) by (depth, width); TF.js's equals Keras.js's and WebDNN's
# (all converted from Keras), so the paper printed one column for the three.
TABLE3_SOURCE = "Table 3 (§4.3)"
TABLE3_FRAMEWORKS = ("brainjs", "convnetjs", "synaptic", "tfjs")
TABLE3 = {
    (1, 64): (1.4, 1.3, 3.4, 0.2), (1, 128): (2.7, 2.7, 6.7, 0.4), (1, 256): (5.5, 5.4, 13.3, 0.8),
    (2, 64): (1.5, 1.5, 3.7, 0.2), (2, 128): (3.2, 3.1, 7.8, 0.5), (2, 256): (7.2, 7.1, 17.7, 1.1),
    (4, 64): (1.7, 1.7, 4.2, 0.3), (4, 128): (4.0, 4.0, 10.1, 0.6), (4, 256): (10.7, 10.5, 26.5, 1.6),
}
JSON_OVER_BINARY = 7.0  # §4.3: the binary file is "just about 1/7 of the model file in JSON"


def table3_mb(framework: str, depth: int, width: int) -> float | None:
    """The paper's Table 3 cell, or None where it printed none."""
    row = TABLE3.get((depth, width))
    if row is None or framework not in TABLE3_FRAMEWORKS:
        return None
    return row[TABLE3_FRAMEWORKS.index(framework)]


@dataclass(frozen=True)
class PretrainedModel:
    name: str
    size_mb: float
    params_m: float   # trainable parameters, millions
    flops_m: float    # "Computation (FLOPs)" as printed, millions

    @property
    def key(self) -> str:
        return model_key(self.name)


# Table 4 (§5.1.1): the Keras pre-trained models that ran in TF.js.
TABLE4_SOURCE = "Table 4 (§5.1.1)"
TABLE4 = (
    PretrainedModel("MobileNetV2", 14, 3.5, 7.2),
    PretrainedModel("DenseNet121", 33, 8.0, 16.3),
    PretrainedModel("Xception", 88, 22.9, 46.0),
    PretrainedModel("InceptionV3", 92, 23.8, 47.8),
    PretrainedModel("ResNet50", 99, 25.6, 51.4),
)
# §5.1.1: the Keras models that failed in the browser, with the browser's error as printed.
TABLE4_FAILURES = (
    ("NASNetLarge", "truncatedNormal is not a valid Distribution"),
    ("ResNet V3 (as printed)", "Unknown layer: Lambda"),
    ("VGG16", "GL OUT OF MEMORY"),
    ("VGG19", "GL OUT OF MEMORY"),
)
# §5.1.2: TF.js on the standalone GPU is "1x-2x slower" than native TensorFlow on pre-trained models.
PRETRAINED_GPU_RATIO = (1.0, 2.0)
PRETRAINED_SOURCE = "§5.1.2, Figure 5"


def model_key(name: str) -> str:
    """A model name compared loosely: 'keras:MobileNetV2', 'mobilenet_v2' and 'MobileNetV2' are one."""
    return "".join(ch for ch in str(name).rsplit(":", 1)[-1].lower() if ch.isalnum())


def table4_model(name: str) -> PretrainedModel | None:
    return next((m for m in TABLE4 if m.key == model_key(name)), None)


# Table 5 (§5.2.1): the factor grid of the decision-tree analysis, per network type.
TABLE5_SOURCE = "Table 5 (§5.2.1)"
TABLE5 = {
    "DNN": {"backend": ("CPU", "GPU"), "task": ("training", "inference"), "depth": (1, 2, 4, 8, 16),
            "width": (64, 128, 256, 512)},
    "CNN": {"backend": ("CPU", "GPU"), "task": ("training", "inference"), "depth": (6, 9, 15, 27),
            "width": (200, 400, 800)},
    "RNN": {"backend": ("CPU", "GPU"), "task": ("training", "inference"), "depth": (1, 2, 3),
            "width": (4, 8, 16, 32, 64, 256)},
}


@dataclass(frozen=True)
class QuotedRatio:
    """A browser/native time ratio the paper quoted in §5.2.3, and the rows of ours it compares with."""

    key: str
    text: str            # what the paper said, near verbatim
    value: float         # the number quoted
    network: str
    task: str | None     # "train" / "infer", None = both
    backend_class: str   # "cpu" / "gpu"
    min_depth: int = 0   # depth > min_depth
    min_width: int = 0   # width > min_width
    statistic: str = "mean"
    max_depth: float = float("inf")  # depth < max_depth
    source: str = "§5.2.3"


QUOTED_RATIOS = (
    QuotedRatio("dnn_train_cpu_large", "DNN training, depth > 3 and width > 192, CPU backend: ratio 44.7",
                44.7, "DNN", "train", "cpu", 3, 192, "mean"),
    QuotedRatio("dnn_train_gpu_large", "the same on the GPU backend: ratio 4.4", 4.4, "DNN", "train", "gpu", 3, 192,
                "mean"),
    QuotedRatio("dnn_train_cpu", "DNN on the CPU backend, training: 33.9x slower on average", 33.9, "DNN", "train",
                "cpu"),
    QuotedRatio("dnn_infer_cpu", "DNN on the CPU backend, inference: 5.8x slower on average", 5.8, "DNN", "infer",
                "cpu"),
    QuotedRatio("cnn_cpu_max", "CNN on the CPU backend: from below 5 to over 2200 (depth < 7.5, width > 600)",
                2200, "CNN", None, "cpu", 0, 600, "max", max_depth=7.5),
    QuotedRatio("cnn_infer_gpu_large", "CNN inference on the GPU, depth > 12 and width > 600: as fast as native "
                "(about 1)", 1.0, "CNN", "infer", "gpu", 12, 600, "mean"),
)

# §4.2: training time on the CPU relative to ConvNetJS.
TRAINING_VS_CONVNETJS = {"brainjs": (2.0, 2.0), "tfjs": (2.0, 3.0)}
TRAINING_VS_CONVNETJS_SOURCE = "§4.2"
# §4.3 (Figures 3, 4): Keras.js warms up within 3 ms; almost every inference within 1.5 ms except
# synaptic (shortest 6.68 ms).
INFERENCE_WITHIN_MS = 1.5
SYNAPTIC_SHORTEST_INFER_MS = 6.68
KERASJS_WARMUP_MS = 3.0
# §4.4: depth of the call stack while training the same model.
STACK_DEPTH = {"convnetjs": 3, "tfjs": 48}
STACK_DEPTH_SOURCE = "§4.4"
# §4.2 / Table 2: "110% is the upper bound of CPU utilization" (one core plus other threads).
ONE_CORE_UPPER_PCT = 110.0
# §5.1.1 / Table 6 no. 8: "GPU memory usage is limited in 1GB".
GPU_MEMORY_LIMIT_BYTES = 1 << 30


@dataclass(frozen=True)
class PaperFinding:
    number: int
    name: str
    finding: str
    implication: str
    stakeholder: str
    source: str = "Table 6 (§6)"


# Table 6 (§6): the eight findings, verbatim.
TABLE6 = (
    PaperFinding(1, "Specific DL Tasks Support",
                 "Frameworks supporting DL in browsers are emerging and being actively maintained. Most of them are "
                 "not for general purpose and support only a specific subset of DL tasks.",
                 "It is better for developers to use general-purpose DL frameworks like TensorFlow.js to implement "
                 "their DL-powered Web applications.", "Application Developer"),
    PaperFinding(2, "Model Complexity",
                 "The width of DL models dominates the performance variation of both training and inference tasks "
                 "considering the complexity of DL models.",
                 "Developers should pay attention to the width of their models, and balance the width and required "
                 "performance if possible.", "Application Developer"),
    PaperFinding(3, "Model Loading",
                 "For inference tasks, loading and warming up the DL model accounts for much longer time than "
                 "running the inference task itself. The warmup time on the integrated graphics card is generally "
                 "shorter than that on the standalone graphics card.",
                 "Developers should pre-load and warm up the model before using it for inference.",
                 "Application Developer"),
    PaperFinding(4, "Benefits from GPU",
                 "For popular pre-trained models like MobileNet and Inception, TensorFlow.js has comparable "
                 "performance with native TensorFlow when running inference on the standalone graphics card.",
                 "It is possible to develop Web applications rather than native applications for these tasks.",
                 "Application Developer"),
    PaperFinding(5, "Benefits from Integrated Graphics Card",
                 "TensorFlow.js running on the integrated graphics card works better than native TensorFlow running "
                 "on CPU backend.",
                 "For devices without standalone GPUs, developers can use the browser for DL tasks, leveraging "
                 "integrated graphics card for acceleration.", "Application Developer"),
    PaperFinding(6, "Model File Encoding and Size",
                 "Model file encoded in JSON is much bigger (7x) in size than that encoded in binary, and "
                 "significantly increases the model loading time.",
                 "It is better to encode DL models in binary files.", "DL-Framework Vendor"),
    PaperFinding(7, "Framework Call Stack",
                 "The call stack of TensorFlow.js is much deeper than that of ConvNetJS, pulling down the "
                 "performance.",
                 "Framework vendors could leverage compiler optimization techniques to reduce the call stack when "
                 "the DL models are used in the production environment.", "DL-Framework Vendor"),
    PaperFinding(8, "System Resource Utilization",
                 "The capability of multi-core CPU cannot be utilized when running DL tasks on the CPU backend in "
                 "browsers since the JavaScript program is single-threaded. GPU memory usage is limited in 1GB, "
                 "failing to load and run larger models.",
                 "JavaScript engine should take into account the support of multi-process or scheduling among multi "
                 "cores for better performance of DL tasks in browsers. The GPU memory should be configurable for DL "
                 "tasks.", "Browser Vendor"),
)
