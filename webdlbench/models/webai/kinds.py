"""Today's web-AI stack (RQ4): model kinds of the transformer era, made locally with their real
architectures and the official exporters, measured on today's runtimes against native.

| kind | network | depth | width | what runs |
|---|---|---|---|---|
| encoder:bert-tiny | Transformer encoder | layers (2, fixed) | sequence length (tokens) | BERT-Tiny geometry: hidden 128, 2 heads |
| encoder:MiniLM-L6 | Transformer encoder | layers (6, fixed) | sequence length (tokens) | MiniLM-L6 geometry: hidden 384, 12 heads |
| llm:15M | Transformer decoder (LLM) | layers (6, fixed) | prompt length (tokens) | Llama, stories15M geometry: hidden 288, 6 heads |
| llm:110M | Transformer decoder (LLM) | layers (12, fixed) | prompt length (tokens) | Llama, stories110M geometry: hidden 768, 12 heads |
| image:MobileNetV2 | Image classifier | 1 (one fixed architecture) | input side in pixels | keras:MobileNetV2 (its builder, seed; BatchNorm re-estimated) in TF.js, ONNX and TFLite files |
| image:ViT-tiny | Image classifier | layers (12, fixed) | input side (224, fixed) | ViT-Tiny geometry: hidden 192, 3 heads, patch 16 |
| llm:15M-q8_0, llm:110M-q8_0 | Transformer decoder (LLM) | as their base | as their base | the same weights in a GGUF file quantised to Q8_0 (wllama, llama.cpp) |
| encoder:bert-tiny-q8, -fp16; encoder:MiniLM-L6-q8, -fp16 | Transformer encoder | as their base | as their base | the same ONNX model quantised (ONNX Runtime's dynamic int8) or in float16, named as transformers.js's dtypes expect |

An encoder's task is `embed`: one sequence of `width` token ids (batch 1, no padding) in, its
mean-pooled last hidden state out. A decoder's task is `generate`: a prompt of `width` token ids in,
GENERATED_TOKENS new tokens out by greedy decoding with the end-of-sequence token masked (EOS
ignored, as every runtime is told). Weights are random (seeded) — no hub download exists here, and
timing does not depend on weight values — but the architectures, the tokenizers (trained here on a
local corpus: corpus.py) and the files (optimum's ONNX export, llama.cpp's own GGUF converter) are
the real ones, so every runtime of a kind runs the same weights. An image classifier's task is
`classify`: one image in (a view of the real photo the Keras applications use, preprocessed as the
model expects), its 1,000 class outputs out (image.py says how each is made and checked).
A quantised kind (`<base>-<type>`) is its base kind's model — the same weights, tokenizer and
reference — in a quantised file: its generations are not expected to equal the fp32 reference, so
a decoder's check is top-1 agreement with PyTorch's fp32 model forced along each generation, an
encoder's that each embedding is nearer PyTorch's fp32 embedding of its input than any two inputs'
embeddings are to each other (checks.py); either's figure is reported with every result.
How a model is made: build.py (a subprocess); where it is cached: artifacts.py.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

# The registry (models/kinds.py) lists these kinds beside its own; they build on its ModelKind.
from webdlbench.models.kind import ModelKind

ENCODER_NETWORK = "Transformer encoder"
DECODER_NETWORK = "Transformer decoder (LLM)"
IMAGE_NETWORK = "Image classifier"
# Tasks of these kinds (spec.TASKS has them too): what the page and native worker run for them.
TASKS = ("embed", "generate", "classify")
# New tokens per generation (the 128), whatever the prompt length.
GENERATED_TOKENS = 128
# The output check of `embed`: every embedding's cosine similarity with PyTorch's (fp32, same
# weights and ids) at least this (the bar; seen here: 0.99999994 for ONNX Runtime).
MIN_COSINE = 0.999
# Runtimes that run each family, browser and native (everything else: unsupported, with why).
BROWSER_RUNTIMES = {"encoder": ("transformersjs", "onnxruntime_web"), "decoder": ("transformersjs", "wllama")}
NATIVE_RUNTIMES = {"encoder": ("pytorch", "onnxruntime"), "decoder": ("pytorch", "llamacpp")}
# The image classifiers' runtimes differ by model (ModelKind.browser_frameworks / native_runtimes):
# MobileNetV2 is a Keras model (TF.js, and its ONNX and TFLite conversions), ViT a transformers one.
# Output tolerances of `classify` (|out - ref| <= atol + rtol |ref|, numpy.allclose's rule):
# MobileNetV2's outputs are softmax probabilities near 1e-3 (random weights, 1,000 classes), checked
# against Keras's as the converted kinds are (models/kinds.py: 1e-6 absolute, 1e-3 relative);
# ViT's are logits of magnitude ~1, against PyTorch's, 1e-4 absolute and 1e-3 relative: float32
# reorderings across 12 layers (seen: ONNX Runtime within 2e-6) pass, a wrong preprocessing,
# layout or weight fails by orders of magnitude.
MOBILENET_TOLERANCE = (1e-6, 1e-3)
VIT_TOLERANCE = (1e-4, 1e-3)
# Quantised decoders run only where their file's format does (a GGUF file: llama.cpp in wasm and natively).
QUANTISED_RUNTIMES = {"gguf": (("wllama",), ("llamacpp",)),
                      "onnx": (("transformersjs", "onnxruntime_web"), ("onnxruntime",))}
# An encoder's weight types as ONNX files, named as transformers.js looks for its dtypes (its
# DEFAULT_DTYPE_SUFFIX_MAPPING): q8 -> onnx/model_quantized.onnx, fp16 -> onnx/model_fp16.onnx.
ONNX_SUFFIXES = {"q8": "_quantized", "fp16": "_fp16"}
# The floor of a quantised decoder's top-1 agreement with the fp32 reference under forced decoding
# (checks.py). Not a quality bar: with random weights the logits are nearly flat (the reference's
# smallest top-2 gap is ~0.02), so Q8_0's rounding flips many choices (seen: 70% for llm:15M). A
# different model, prompt or position offset agrees at chance (1 in 32,000): this catches those.
MIN_QUANTISED_TOP1 = 0.25


@dataclass(frozen=True)
class Geometry:
    """A transformer's shape (the fields of transformers' BertConfig / LlamaConfig; a decoder's
    key-value heads equal its heads)."""

    layers: int
    hidden: int
    heads: int
    intermediate: int
    max_positions: int = 512


@dataclass(frozen=True)
class WebAIKind(ModelKind):
    """A model kind of RQ4: made by build.py, not by the TF.js converter."""

    family: str = "encoder"
    geometry: Geometry = field(default=Geometry(2, 128, 2, 512))
    # An image classifier's multiply-adds per image at its default width (orders sizes: work()).
    multiply_adds: int = 0
    max_side: int = 0  # an image classifier's largest input side (0: none)
    # An image classifier built by a Keras kind's builder and seed (models/keras_models.py), its
    # BatchNorm statistics then re-estimated (models/webai/image.py); "" for one made otherwise.
    keras_kind: str = ""
    # A quantised kind: the kind whose model (weights, tokenizer, reference) it is, and its file's
    # weight type (llama.cpp's converter's --outtype, e.g. q8_0); "" for a full-precision kind.
    base: str = ""
    weight_type: str = ""

    @property
    def quantised(self) -> bool:
        return bool(self.weight_type)

    @property
    def max_width(self) -> int:
        """The longest input: an encoder's positions; a decoder's, less the tokens it generates;
        an image classifier's largest side."""
        if self.family == "image":
            return self.max_side
        generated = GENERATED_TOKENS if self.family == "decoder" else 0
        return self.geometry.max_positions - generated

    def work(self, width: int) -> float:
        """How much one input computes, to order sizes: a transformer's layer parameters times its
        tokens; an image classifier's multiply-adds (scaled by its area from the default side)."""
        if self.family == "image":
            return float(self.multiply_adds * (width / self.default_width) ** 2)
        g = self.geometry
        return float(g.layers * (4 * g.hidden * g.hidden + 2 * g.hidden * g.intermediate) * width)

    def problem(self, depth: int, width: int) -> str:
        found = super().problem(depth, width)
        if found:
            return found
        if width > self.max_width:
            unit = "pixels (width is the input side)" if self.family == "image" else "tokens (width is the sequence length)"
            return f"{self.name} takes at most {self.max_width} {unit}"
        return ""


def _encoder(name: str, title: str, geometry: Geometry) -> WebAIKind:
    return WebAIKind(
        name=name, network=ENCODER_NETWORK, title=title,
        depth_means=f"{geometry.layers}: transformer layers (one fixed architecture)",
        width_means="sequence length in tokens (batch 1, no padding)", data="text-ids",
        tasks=("embed",), browser_frameworks=BROWSER_RUNTIMES["encoder"], native_runtimes=NATIVE_RUNTIMES["encoder"],
        reference="pytorch", min_width=4, fixed_depth=geometry.layers, default_width=128,
        family="encoder", geometry=geometry)


def _decoder(name: str, title: str, geometry: Geometry) -> WebAIKind:
    return WebAIKind(
        name=name, network=DECODER_NETWORK, title=title,
        depth_means=f"{geometry.layers}: transformer layers (one fixed architecture)",
        width_means=f"prompt length in tokens (then {GENERATED_TOKENS} generated)", data="text-ids",
        tasks=("generate",), browser_frameworks=BROWSER_RUNTIMES["decoder"], native_runtimes=NATIVE_RUNTIMES["decoder"],
        reference="pytorch", min_width=2, fixed_depth=geometry.layers, default_width=128,
        family="decoder", geometry=geometry)


def _quantised(base: WebAIKind, weight_type: str) -> WebAIKind:
    """A decoder in a GGUF file of llama.cpp's type `weight_type`; an encoder in an ONNX file of
    transformers.js's dtype `weight_type`."""
    file_format = "gguf" if base.family == "decoder" else "onnx"
    browser, native = QUANTISED_RUNTIMES[file_format]
    return dataclasses.replace(
        base, name=f"{base.name}-{weight_type}", title=f"{base.title}, {file_format.upper()} {weight_type.upper()}",
        browser_frameworks=browser, native_runtimes=native, reference="pytorch", base=base.name,
        weight_type=weight_type)


def _image(name: str, title: str, browser: tuple[str, ...], native: tuple[str, ...], reference: str,
           tolerance: tuple[float, float], **fields) -> WebAIKind:
    return WebAIKind(
        name=name, network=IMAGE_NETWORK, title=title, data="image", tasks=("classify",),
        browser_frameworks=browser, native_runtimes=native, reference=reference, output_atol=tolerance[0],
        output_rtol=tolerance[1], family="image", **fields)


def _vit_multiply_adds(g: Geometry, side: int = 224, patch: int = 16) -> int:
    """ViT's multiply-adds per image: the patch embedding, then per layer the four attention
    projections and the MLP over every token, and the attention's two token-by-token products."""
    patches = (side // patch) ** 2
    tokens = patches + 1  # and the class token
    embedding = patches * patch * patch * 3 * g.hidden
    per_layer = tokens * (4 * g.hidden * g.hidden + 2 * g.hidden * g.intermediate) + 2 * tokens * tokens * g.hidden
    return embedding + g.layers * per_layer


VIT_TINY = Geometry(12, 192, 3, 768, max_positions=197)

KINDS: dict[str, WebAIKind] = {k.name: k for k in (
    # BERT-Tiny (Turc et al. 2019): the smallest published BERT; here the CI-sized encoder.
    _encoder("encoder:bert-tiny", "BERT-Tiny encoder (2 layers, hidden 128)", Geometry(2, 128, 2, 512)),
    # all-MiniLM-L6-v2's geometry: the sentence-embedding model web developers reach for first.
    _encoder("encoder:MiniLM-L6", "MiniLM-L6 encoder (6 layers, hidden 384)", Geometry(6, 384, 12, 1536)),
    # llama2.c's stories15M and stories110M geometries (tied embeddings, vocabulary 32,000): the
    # Llama architecture at the sizes small enough for a page, ~15M and ~110M parameters.
    _decoder("llm:15M", "Llama decoder, 15M parameters (6 layers, hidden 288)", Geometry(6, 288, 6, 768)),
    _decoder("llm:110M", "Llama decoder, 110M parameters (12 layers, hidden 768)", Geometry(12, 768, 12, 2048)),
    # keras:MobileNetV2's architecture, builder and seed (its BatchNorm statistics re-estimated on the
    # reference photos: image.py says why), converted by the TF.js converter, tf2onnx and TensorFlow's
    # TFLite converter: one set of weights on every runtime.
    # 300M multiply-adds at 224 px (Sandler et al. 2018, Table 6).
    _image("image:MobileNetV2", "MobileNetV2 image classifier (keras:MobileNetV2, BatchNorm re-estimated)",
           ("tfjs", "onnxruntime_web", "litertjs"), ("tensorflow", "onnxruntime", "tflite"), "tensorflow",
           MOBILENET_TOLERANCE, depth_means="1: one fixed architecture", width_means="input side in pixels (224: its own)",
           min_width=32, max_side=1024, fixed_depth=1, default_width=224, multiply_adds=300_000_000,
           keras_kind="keras:MobileNetV2"),
    # ViT-Tiny (DeiT-Ti's geometry, Touvron et al. 2021): hidden 192, 12 layers, 3 heads, patch 16.
    _image("image:ViT-tiny", "ViT-Tiny image classifier (12 layers, hidden 192)", ("transformersjs", "onnxruntime_web"),
           ("pytorch", "onnxruntime"), "pytorch", VIT_TOLERANCE,
           depth_means="12: transformer layers (one fixed architecture)", width_means="input side in pixels (224, fixed)",
           min_width=224, max_side=224, fixed_depth=12, default_width=224, geometry=VIT_TINY,
           multiply_adds=_vit_multiply_adds(VIT_TINY)),
)}
# The decoders in llama.cpp's 8-bit type (GGUF Q8_0: blocks of 32 int8 weights, one fp16 scale each).
KINDS.update({k.name: k for k in (_quantised(KINDS[name], "q8_0") for name in ("llm:15M", "llm:110M"))})
# The encoders as transformers.js's q8 (ONNX Runtime's dynamic quantisation: int8 weights, activations
# quantised at run time) and fp16 files.
KINDS.update({k.name: k for k in (_quantised(KINDS[name], weight_type) for name in ("encoder:bert-tiny", "encoder:MiniLM-L6")
                                  for weight_type in ONNX_SUFFIXES)})


def model_kind(kind: WebAIKind) -> WebAIKind:
    """The kind whose model this kind runs: its base for a quantised kind, else itself."""
    return KINDS[kind.base] if kind.base else kind


def owns(kind: ModelKind) -> bool:
    """True for the kinds of this package (their files and replicates are made here)."""
    return isinstance(kind, WebAIKind)


def unsupported_reason(kind: WebAIKind, who: str, runtime: str) -> str:
    """'' when `who` (a browser framework or a native runtime) runs this kind, else why not."""
    allowed = kind.browser_frameworks if runtime == "browser" else kind.native_runtimes
    if who in allowed:
        return ""
    if kind.family == "image":
        files = ("Keras model converted to TF.js, ONNX and TFLite" if "tfjs" in kind.browser_frameworks
                 else "transformers model exported to ONNX")
        return f"{who} does not run the {kind.title}: it is a {files}, which {', '.join(allowed)} ({runtime}) load here"
    if kind.quantised:
        files = "a GGUF file" if kind.family == "decoder" else "an ONNX file"
        return (f"{who} does not run the {kind.title}: it is {files} in {kind.weight_type}, which "
                f"{', '.join(allowed)} ({runtime}) load here")
    files = "ONNX" if kind.family == "encoder" else "ONNX and GGUF"
    return (f"{who} does not run the {kind.title}: it is a transformers model exported to {files}, which "
            f"{', '.join(allowed)} ({runtime}) load here")

