"""Today's web-AI stack (RQ4): model kinds of the transformer era, made locally with their real
architectures and the official exporters, measured on today's runtimes against native.

| kind | network | depth | width | what runs |
|---|---|---|---|---|
| encoder:bert-tiny | Transformer encoder | layers (2, fixed) | sequence length (tokens) | BERT-Tiny geometry: hidden 128, 2 heads |
| encoder:MiniLM-L6 | Transformer encoder | layers (6, fixed) | sequence length (tokens) | MiniLM-L6 geometry: hidden 384, 12 heads |
| llm:15M | Transformer decoder (LLM) | layers (6, fixed) | prompt length (tokens) | Llama, stories15M geometry: hidden 288, 6 heads |
| llm:110M | Transformer decoder (LLM) | layers (12, fixed) | prompt length (tokens) | Llama, stories110M geometry: hidden 768, 12 heads |

An encoder's task is `embed`: one sequence of `width` token ids (batch 1, no padding) in, its
mean-pooled last hidden state out. A decoder's task is `generate`: a prompt of `width` token ids in,
GENERATED_TOKENS new tokens out by greedy decoding with the end-of-sequence token masked (EOS
ignored, as every runtime is told). Weights are random (seeded) — no hub download exists here, and
timing does not depend on weight values — but the architectures, the tokenizers (trained here on a
local corpus: corpus.py) and the files (optimum's ONNX export, llama.cpp's own GGUF converter) are
the real ones, so every runtime of a kind runs the same weights.
How a model is made: build.py (a subprocess); where it is cached: artifacts.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# The registry (models/kinds.py) lists these kinds beside its own; they build on its ModelKind.
from webdlbench.models.kind import ModelKind

ENCODER_NETWORK = "Transformer encoder"
DECODER_NETWORK = "Transformer decoder (LLM)"
# Tasks of these kinds (spec.TASKS has them too): what the page and native worker run for them.
TASKS = ("embed", "generate")
# New tokens per generation (the 128), whatever the prompt length.
GENERATED_TOKENS = 128
# The output check of `embed`: every embedding's cosine similarity with PyTorch's (fp32, same
# weights and ids) at least this (the bar; seen here: 0.99999994 for ONNX Runtime).
MIN_COSINE = 0.999
# Runtimes that run each family, browser and native (everything else: unsupported, with why).
BROWSER_RUNTIMES = {"encoder": ("transformersjs", "onnxruntime_web"), "decoder": ("transformersjs", "wllama")}
NATIVE_RUNTIMES = {"encoder": ("pytorch", "onnxruntime"), "decoder": ("pytorch", "llamacpp")}


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

    @property
    def max_width(self) -> int:
        """The longest input: an encoder's positions; a decoder's, less the tokens it generates."""
        generated = GENERATED_TOKENS if self.family == "decoder" else 0
        return self.geometry.max_positions - generated

    def problem(self, depth: int, width: int) -> str:
        found = super().problem(depth, width)
        if found:
            return found
        if width > self.max_width:
            return f"{self.name} takes at most {self.max_width} tokens (width is the sequence length)"
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


KINDS: dict[str, WebAIKind] = {k.name: k for k in (
    # BERT-Tiny (Turc et al. 2019): the smallest published BERT; here the CI-sized encoder.
    _encoder("encoder:bert-tiny", "BERT-Tiny encoder (2 layers, hidden 128)", Geometry(2, 128, 2, 512)),
    # all-MiniLM-L6-v2's geometry: the sentence-embedding model web developers reach for first.
    _encoder("encoder:MiniLM-L6", "MiniLM-L6 encoder (6 layers, hidden 384)", Geometry(6, 384, 12, 1536)),
    # llama2.c's stories15M and stories110M geometries (tied embeddings, vocabulary 32,000): the
    # Llama architecture at the sizes small enough for a page, ~15M and ~110M parameters.
    _decoder("llm:15M", "Llama decoder, 15M parameters (6 layers, hidden 288)", Geometry(6, 288, 6, 768)),
    _decoder("llm:110M", "Llama decoder, 110M parameters (12 layers, hidden 768)", Geometry(12, 768, 12, 2048)),
)}


def owns(kind: ModelKind) -> bool:
    """True for the kinds of this package (their files and replicates are made here)."""
    return isinstance(kind, WebAIKind)


def unsupported_reason(kind: WebAIKind, who: str, runtime: str) -> str:
    """'' when `who` (a browser framework or a native runtime) runs this kind, else why not."""
    allowed = (BROWSER_RUNTIMES if runtime == "browser" else NATIVE_RUNTIMES)[kind.family]
    if who in allowed:
        return ""
    files = "ONNX" if kind.family == "encoder" else "ONNX and GGUF"
    return (f"{who} does not run the {kind.title}: it is a transformers model exported to {files}, which "
            f"{', '.join(allowed)} ({runtime}) load here")

